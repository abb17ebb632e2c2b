"""minilab.data: tasks (world, local files and folders, hub names offline),
tokenizers, tokenize(), transfer sets and LM corpora. No model is trained."""
import json
import time

import pytest

from minilab import data, world
from minilab.data import DataError, TaskData


def one_line(err):
    msg = str(err.value)
    assert msg and '\n' not in msg, msg
    return msg


@pytest.fixture(scope='module')
def world_tok():
    return data.load_tokenizer('world')


# -------------------------------------------------------------- world tasks


def test_world_sentiment():
    task = data.load_task('world/sentiment', train_size=40, dev_size=20, test_size=30)
    assert isinstance(task, TaskData)
    assert (len(task.train), len(task.dev), len(task.test)) == (40, 20, 30)
    for split in (task.train, task.dev, task.test):
        assert set(split.column_names) == {'text', 'text_pair', 'label'}
    assert task.num_labels == 2 and task.label_names == ['negative', 'positive']
    assert not task.is_pair
    assert set(task.train['label']) == {0, 1}
    # the same texts as the world generates
    assert list(task.train['text']) == world.task_split('sentiment', 'train', 40)['text']


def test_world_nli_has_text_pair():
    task = data.load_task('world/nli', train_size=30, dev_size=9, test_size=9)
    assert task.is_pair and task.num_labels == 3
    assert all(isinstance(p, str) and p for p in task.train['text_pair'])


def test_world_domain_and_seed_are_passed_on():
    a = data.load_task('world/sentiment', 20, 5, 5, domain='electronics')
    assert list(a.train['text']) == world.task_split('sentiment', 'train', 20,
                                                     domain='electronics')['text']
    b = data.load_task('world/sentiment', 20, 5, 5, seed=1)
    assert list(b.train['text']) != list(data.load_task('world/sentiment', 20, 5, 5).train['text'])


def test_unknown_world_task():
    with pytest.raises(DataError) as err:
        data.load_task('world/poetry')
    msg = one_line(err)
    assert "'world/poetry'" in msg and 'world/sentiment' in msg


# -------------------------------------------------------------- local files


def test_local_csv_custom_columns_and_string_labels(tmp_path):
    rows = [('good film', 'pos'), ('bad film', 'neg'), ('fine film', 'pos'), ('dull film', 'neg')] * 10
    path = tmp_path / 'reviews.csv'
    path.write_text('review,stars,other\n' + ''.join(f'{t},{y},x\n' for t, y in rows))
    task = data.load_task(str(path), text_column='review', label_column='stars')
    assert task.label_names == ['neg', 'pos']
    total = len(task.train) + len(task.dev) + len(task.test)
    assert total == len(rows)
    assert len(task.dev) > 0 and len(task.test) > 0  # both held out of the one file
    assert set(task.train.column_names) == {'text', 'text_pair', 'label'}
    for split in (task.train, task.dev, task.test):
        for row in split:
            assert row['label'] == (1 if row['text'] in ('good film', 'fine film') else 0)
    # held-out splits do not overlap train (by row identity: count the texts)
    assert len(set(task.test['text']) | set(task.dev['text']) | set(task.train['text'])) == 4


def test_explicit_label_names(tmp_path):
    path = tmp_path / 'r.csv'
    path.write_text('text,label\n' + 'a,pos\nb,neg\n' * 10)
    task = data.load_task(str(path), label_names=['pos', 'neg'])
    assert task.label_names == ['pos', 'neg']
    row = next(r for r in task.train if r['text'] == 'a')
    assert row['label'] == 0


def test_glue_style_tsv_folder(tmp_path):
    folder = tmp_path / 'SST-2'
    folder.mkdir()
    train = ['sentence\tlabel'] + [f'a "quoted phrase number {i}\t{i % 2}' for i in range(20)] \
        + ['it was "great\t1', 'plain words\t0']
    (folder / 'train.tsv').write_text('\n'.join(train) + '\n')
    (folder / 'dev.tsv').write_text('sentence\tlabel\nthe "best film\t1\nugly\t0\n')
    task = data.load_task(str(folder))
    assert task.label_names == ['0', '1']
    assert list(task.dev['text']) == ['the "best film', 'ugly']  # dev.tsv is dev, quotes kept raw
    assert list(task.dev['label']) == [1, 0]
    assert len(task.test) > 0
    assert len(task.train) + len(task.test) == 22  # test held out of train
    assert not set(task.test['text']) & set(task.train['text'])
    everything = list(task.train['text']) + list(task.test['text'])
    assert 'it was "great' in everything
    assert len(everything) == 22  # the unbalanced quote did not swallow lines


def test_jsonl_folder_with_validation_and_test(tmp_path):
    folder = tmp_path / 'nli'
    folder.mkdir()
    for split, n in [('train', 12), ('validation', 5), ('test', 7)]:
        with open(folder / f'{split}.jsonl', 'w') as f:
            for i in range(n):
                f.write(json.dumps({'premise': f'{split} p {i}', 'hypothesis': f'h {i}',
                                    'label': ['yes', 'no', 'maybe'][i % 3]}) + '\n')
    task = data.load_task(str(folder))
    assert (len(task.train), len(task.dev), len(task.test)) == (12, 5, 7)
    assert task.is_pair and task.label_names == ['maybe', 'no', 'yes']
    assert task.dev[0]['text'] == 'validation p 0' and task.dev[0]['text_pair'] == 'h 0'
    assert all(t.startswith('test ') for t in task.test['text'])


def test_local_sizes_subsample(tmp_path):
    path = tmp_path / 'r.csv'
    path.write_text('text,label\n' + ''.join(f's{i},{i % 2}\n' for i in range(100)))
    task = data.load_task(str(path), train_size=10, dev_size=3, test_size=4)
    assert (len(task.train), len(task.dev), len(task.test)) == (10, 3, 4)


def test_missing_file(tmp_path):
    path = tmp_path / 'nope' / 'missing.csv'
    with pytest.raises(DataError) as err:
        data.load_task(str(path))
    assert str(path) in one_line(err)


def test_missing_column(tmp_path):
    path = tmp_path / 'r.csv'
    path.write_text('body,stars\n' + 'good,1\nbad,0\n' * 10)
    with pytest.raises(DataError) as err:
        data.load_task(str(path), text_column='words', label_column='stars')
    msg = one_line(err)
    assert "'words'" in msg and 'body' in msg and 'stars' in msg and 'text_column=' in msg
    with pytest.raises(DataError) as err:  # no text column guessed, none given
        data.load_task(str(path), label_column='stars')
    msg = one_line(err)
    assert 'no text column' in msg and 'body' in msg
    with pytest.raises(DataError) as err:  # label column defaults to 'label'
        data.load_task(str(path), text_column='body')
    msg = one_line(err)
    assert "'label'" in msg and 'stars' in msg and 'label_column=' in msg


def test_string_labels_in_a_column_named_label(tmp_path):
    path = tmp_path / 'r.csv'
    path.write_text('text,label\n' + 'nice,positive\nugly,negative\n' * 10)
    task = data.load_task(str(path))
    assert task.label_names == ['negative', 'positive']
    for split in (task.train, task.dev, task.test):
        assert split.features['label'].dtype == 'int64'
        assert all(y == (t == 'nice') for t, y in zip(split['text'], split['label']))


def test_folder_without_train(tmp_path):
    (tmp_path / 'dev.csv').write_text('text,label\na,1\n')
    with pytest.raises(DataError) as err:
        data.load_task(str(tmp_path))
    assert 'dev.csv' in one_line(err)


def test_unsupported_extension(tmp_path):
    path = tmp_path / 'data.xml'
    path.write_text('<x/>')
    with pytest.raises(DataError) as err:
        data.load_task(str(path))
    msg = one_line(err)
    assert 'data.xml' in msg and '.csv' in msg and '.jsonl' in msg


@pytest.mark.parametrize('name', ['glue/sst2', 'imdb'])
def test_hub_name_offline_fails_fast(name, tmp_path, monkeypatch):
    monkeypatch.setattr(data.paths, 'DATA', tmp_path)  # no local copies (MINILAB_DATA)
    start = time.perf_counter()
    with pytest.raises(DataError) as err:
        data.load_task(name)
    seconds = time.perf_counter() - start
    msg = one_line(err)
    assert 'offline' in msg or 'could not be loaded' in msg
    assert repr(name) in msg and 'world/sentiment' in msg
    assert seconds < 5, f'{seconds:.1f} s'


# -------------------------------------------------------------- tokenizers


SENTENCES = ['the plot was superb .', 'the acting was not good .', 'a tractor is a kind of vehicle .',
             'the soup was superb but the waiter was rude .'] * 20


def test_train_wordpiece_round_trip_and_pairs():
    tok = data.train_wordpiece(SENTENCES, vocab_size=120)
    vocab = tok.get_vocab()
    for w in ('superb', 'plot', 'tractor', 'vehicle', '[CLS]', '[SEP]', '[MASK]', '[PAD]'):
        assert w in vocab, w
    text = 'the tractor was superb .'
    enc = tok(text)
    assert enc['input_ids'][0] == tok.cls_token_id and enc['input_ids'][-1] == tok.sep_token_id
    assert tok.decode(enc['input_ids'], skip_special_tokens=True) == text
    pair = tok('the plot was superb .', 'a kind of vehicle .')
    assert 'token_type_ids' in pair
    tt = pair['token_type_ids']
    assert 1 in tt and tt[0] == 0 and tt == sorted(tt)  # 0...0 1...1
    assert pair['input_ids'].count(tok.sep_token_id) == 2


def test_train_wordpiece_decode_joins_word_pieces():
    tok = data.train_wordpiece(SENTENCES, vocab_size=120)
    ids = tok('the scooter was superb .', add_special_tokens=False)['input_ids']
    pieces = tok.convert_ids_to_tokens(ids)
    assert any(p.startswith('##') for p in pieces), pieces  # an unseen word is split
    assert tok.decode(ids) == 'the scooter was superb .'


def test_train_wordpiece_lowercases():
    tok = data.train_wordpiece(SENTENCES, vocab_size=120)
    assert tok('The PLOT')['input_ids'] == tok('the plot')['input_ids']


def test_world_tokenizer_is_cached(world_tok):
    assert len(world_tok) <= data.WORLD_VOCAB_SIZE
    start = time.perf_counter()
    again = data.load_tokenizer('world')
    assert time.perf_counter() - start < 3
    assert again.get_vocab() == world_tok.get_vocab()
    # the world's words, seen and unseen, are single tokens
    for w in ('superb', 'tractor', 'good', 'battery'):
        assert w in world_tok.get_vocab(), w
    pair = again('the horse ate .', 'an animal ate .')
    assert 1 in pair['token_type_ids']


def test_world_tokenizer_is_the_shipped_one_and_others_are_trained(tmp_path, monkeypatch):
    import json
    shipped = json.loads((data.SHIPPED_WORLD_TOKENIZER / 'tokenizer.json').read_text())
    assert data.load_tokenizer('world').get_vocab() == shipped['model']['vocab']
    assert data.SHIPPED_WORLD_TOKENIZER_ARGS['world_version'] == data.world.WORLD_VERSION
    monkeypatch.setattr(data.paths, 'CACHE', tmp_path)
    small = data.world_tokenizer(n_sentences=500, vocab_size=200)  # not the shipped arguments
    assert len(small) <= 200 and list(tmp_path.glob('tokenizers/world-*/tokenizer.json'))
    assert small.decode(small('the scooter was superb .', add_special_tokens=False)['input_ids']) \
        == 'the scooter was superb .'


def test_load_tokenizer_unknown_name():
    with pytest.raises(DataError) as err:
        data.load_tokenizer('no-such/model')
    msg = one_line(err)
    assert "'no-such/model'" in msg and "'world'" in msg


def test_load_tokenizer_local_folder(tmp_path):
    tok = data.train_wordpiece(SENTENCES, vocab_size=120)
    tok.save_pretrained(tmp_path / 'tok')
    back = data.load_tokenizer(str(tmp_path / 'tok'))
    assert back('the plot')['input_ids'] == tok('the plot')['input_ids']
    (tmp_path / 'empty').mkdir()
    with pytest.raises(DataError) as err:
        data.load_tokenizer(str(tmp_path / 'empty'))
    assert 'no tokenizer files' in one_line(err)


def test_tokenize_keeps_label(world_tok):
    task = data.load_task('world/nli', train_size=10, dev_size=2, test_size=2)
    out = data.tokenize(task.train, world_tok, max_length=16)
    assert set(out.column_names) == {'input_ids', 'token_type_ids', 'attention_mask', 'label'}
    assert list(out['label']) == list(task.train['label'])
    assert max(len(ids) for ids in out['input_ids']) <= 16
    assert all(1 in tt for tt in out['token_type_ids'])
    single = data.tokenize(data.TransferSet('world/sentiment', 5).load(), world_tok)
    assert 'label' not in single.column_names and 'text' not in single.column_names


# -------------------------------------------------------------- unlabeled data


def test_transfer_set_world():
    ts = data.TransferSet('world/sentiment', 50, domain='books')
    ds = ts.load()
    assert len(ds) == 50 and 'label' not in ds.column_names
    assert list(ds['text']) == world.transfer_pool('sentiment', 50, 'books', seed=1000)['text']
    assert ts.load() is ds  # loaded once
    key = json.loads(ts.key)
    assert key == {'pool': 'world/sentiment', 'size': 50, 'domain': 'books', 'seed': 0}
    assert data.TransferSet('world/sentiment', 50, domain='movies').key != ts.key


@pytest.mark.parametrize('size', [0, -3])
def test_transfer_set_size_must_be_positive(size):
    with pytest.raises(DataError):
        data.TransferSet('world/sentiment', size)


def test_transfer_set_from_local_file_drops_labels(tmp_path):
    path = tmp_path / 'r.csv'
    path.write_text('text,label\n' + ''.join(f's{i},{i % 2}\n' for i in range(40)))
    ds = data.TransferSet(str(path), 10).load()
    assert len(ds) == 10 and 'label' not in ds.column_names


def test_transfer_set_unknown_world_pool():
    with pytest.raises(DataError) as err:
        data.TransferSet('world/poetry', 5).load()
    assert 'world/nli' in one_line(err)


def test_lm_corpus_world():
    ds = data.lm_corpus('world', 30, seed=2)
    assert list(ds['text']) == world.lm_corpus(30, seed=2)
    assert set(ds.column_names) == {'text', 'text_pair'}


def test_lm_corpus_from_text_file(tmp_path):
    path = tmp_path / 'corpus.txt'
    path.write_text('first line .\n\n   \nsecond line .\nthird line .\n')
    ds = data.lm_corpus(str(path), size=None)
    assert sorted(ds['text']) == ['first line .', 'second line .', 'third line .']  # blanks dropped
    assert list(ds['text_pair']) == [None] * 3
    assert len(data.lm_corpus(str(path), size=2)) == 2


def test_lm_corpus_missing_source():
    with pytest.raises(DataError) as err:
        data.lm_corpus('no_such_corpus')
    assert "'no_such_corpus'" in one_line(err)
