"""minilab.reading: a user's files, each read on its own (tables, plain text,
.gz, folders of split files, the aclImdb layout), through data.load_task,
data.lm_corpus, data.unlabeled_texts and data.TransferSet. Every test writes its
own small files; no model is trained."""
import gzip
import json

import pytest

from minilab import data, reading
from minilab.data import DataError


def one_line(err):
    msg = str(err.value)
    assert msg and '\n' not in msg, msg
    return msg


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == '.gz':
        with gzip.open(path, 'wt', encoding='utf-8') as f:
            f.write(text)
    else:
        path.write_text(text)
    return path


def tsv(header, rows):
    return '\t'.join(header) + '\n' + ''.join('\t'.join(map(str, r)) + '\n' for r in rows)


TRAIN = [(i % 2, f'train sentence {i}') for i in range(30)]


# -------------------------------------------------------------- folders of split files


def test_each_split_file_has_its_own_columns(tmp_path):
    """The new user's SST-2 copy: train `label, sentence`, dev and test `label, content`."""
    write(tmp_path / 'sst' / 'train.tsv', tsv(['label', 'sentence'], TRAIN))
    write(tmp_path / 'sst' / 'dev.tsv', tsv(['label', 'content'], [(1, 'dev good'), (0, 'dev bad')]))
    write(tmp_path / 'sst' / 'test.tsv', tsv(['label', 'content'], [(0, 'test bad'), (1, 'test "good')]))
    task = data.load_task(str(tmp_path / 'sst'))
    assert (len(task.train), len(task.dev), len(task.test)) == (30, 2, 2)
    assert list(task.dev['text']) == ['dev good', 'dev bad'] and list(task.dev['label']) == [1, 0]
    assert list(task.test['text']) == ['test bad', 'test "good']
    assert task.label_names == ['0', '1']
    assert task.sources == {'train': 'train.tsv', 'dev': 'dev.tsv', 'test': 'test.tsv'}
    got = reading.read(tmp_path / 'sst')
    assert "text='sentence'" in got.columns['train'] and "text='content'" in got.columns['dev']


def test_glue_download_with_unlabeled_test(tmp_path):
    """GLUE's own layout: test.tsv of `index, sentence`, no labels. It is set
    aside; the dev file becomes test and dev is held out of train, as from the hub."""
    folder = tmp_path / 'SST-2'
    write(folder / 'train.tsv', tsv(['sentence', 'label'], [(t, y) for y, t in TRAIN]))
    write(folder / 'dev.tsv', tsv(['sentence', 'label'], [('dev good', 1), ('dev bad', 0)]))
    write(folder / 'test.tsv', tsv(['index', 'sentence'], [(0, 'hidden one'), (1, 'hidden two')]))
    task = data.load_task(str(folder))
    assert list(task.test['text']) == ['dev good', 'dev bad']
    assert len(task.train) + len(task.dev) == 30 and len(task.dev) == 3
    assert not set(task.dev['text']) & set(task.train['text'])
    assert 'hidden one' not in list(task.train['text']) + list(task.dev['text'])
    assert task.sources['test'] == 'dev.tsv'
    assert task.sources['dev'] == '10% of train.tsv, held out'
    assert task.sources['unused'] == 'test.tsv (no labels)'
    assert reading.read(folder).labeled == {'train': True, 'dev': True, 'test': False}


def test_unlabeled_test_without_dev_holds_both_out_of_train(tmp_path):
    write(tmp_path / 'train.csv', 'text,label\n' + ''.join(f'{t},{y}\n' for y, t in TRAIN))
    write(tmp_path / 'test.csv', 'id,text\n1,no label here\n')
    task = data.load_task(str(tmp_path))
    assert len(task.train) + len(task.dev) + len(task.test) == 30
    assert task.sources['dev'] == task.sources['test'] == '10% of train.csv, held out'
    assert task.sources['unused'] == 'test.csv (no labels)'


def test_formats_may_differ_between_split_files(tmp_path):
    write(tmp_path / 'train.jsonl.gz', ''.join(json.dumps({'premise': f'p{i}', 'hypothesis': f'h{i}',
                                                           'gold_label': ['yes', 'no'][i % 2]}) + '\n'
                                               for i in range(20)))
    write(tmp_path / 'validation.csv', 'sentence1,sentence2,label\na,b,no\nc,d,yes\n')
    write(tmp_path / 'test.tsv', tsv(['text', 'text_pair', 'label'], [('e', 'f', 'yes')]))
    task = data.load_task(str(tmp_path))
    assert task.is_pair and task.label_names == ['no', 'yes']
    assert (len(task.train), len(task.dev), len(task.test)) == (20, 2, 1)
    assert task.dev[0] == {'text': 'a', 'text_pair': 'b', 'label': 0}
    assert task.sources == {'train': 'train.jsonl.gz', 'dev': 'validation.csv', 'test': 'test.tsv'}


def test_pairs_and_single_texts_do_not_mix(tmp_path):
    write(tmp_path / 'train.tsv', tsv(['sentence1', 'sentence2', 'label'], [('a', 'b', 1)] * 20))
    write(tmp_path / 'dev.tsv', tsv(['sentence', 'label'], [('c', 1)]))
    with pytest.raises(DataError) as err:
        data.load_task(str(tmp_path))
    msg = one_line(err)
    assert 'train.tsv' in msg and 'dev.tsv' in msg and 'text_pair_column=' in msg


def test_two_files_for_one_split(tmp_path):
    write(tmp_path / 'train.csv', 'text,label\na,1\n')
    write(tmp_path / 'train.jsonl', '{"text": "a", "label": 1}\n')
    with pytest.raises(DataError) as err:
        data.load_task(str(tmp_path))
    msg = one_line(err)
    assert 'train.csv' in msg and 'train.jsonl' in msg


# -------------------------------------------------------------- column parameters


def test_column_parameters_through_load_task(tmp_path):
    """text_column / text_pair_column / label_column / label_names: given names
    must be in train; a file without them (dev here) gets its own guess."""
    rows = [(f'q{i}', f'a{i}', ['bad', 'good'][i % 2], 'x') for i in range(20)]
    write(tmp_path / 'train.csv', 'ask,answer,verdict,other\n' + ''.join(','.join(r) + '\n' for r in rows))
    write(tmp_path / 'dev.csv', 'question1,question2,label\ndq,da,good\n')
    task = data.load_task(str(tmp_path), text_column='ask', text_pair_column='answer',
                          label_column='verdict', label_names=['good', 'bad'])
    assert task.label_names == ['good', 'bad']
    row = next(r for r in task.train.to_list() + task.test.to_list() if r['text'] == 'q1')
    assert row == {'text': 'q1', 'text_pair': 'a1', 'label': 0}
    assert task.dev[0] == {'text': 'dq', 'text_pair': 'da', 'label': 0}
    with pytest.raises(DataError) as err:
        data.load_task(str(tmp_path), text_column='ask', label_column='grade')
    msg = one_line(err)
    assert "'grade'" in msg and 'verdict' in msg and 'train.csv' in msg and 'label_column=' in msg


def test_label_names_cover_numbers_and_no_label(tmp_path):
    """Numbers sort as numbers (ids 0..13 keep their ids); -1 is no label (the
    hub's convention) unless the label names say otherwise."""
    rows = [{'content': f'doc {i}', 'label': i % 14} for i in range(56)] + \
        [{'content': 'unlabeled', 'label': -1}]
    write(tmp_path / 'train.jsonl', ''.join(json.dumps(r) + '\n' for r in rows))
    task = data.load_task(str(tmp_path / 'train.jsonl'))
    assert task.label_names == [str(i) for i in range(14)]
    everything = task.train.to_list() + task.dev.to_list() + task.test.to_list()
    assert len(everything) == 56 and all(r['label'] == int(r['text'].split()[1]) % 14 for r in everything)
    write(tmp_path / 'pm.csv', 'text,label\n' + ''.join(f'r{i},{[-1, 1][i % 2]}\n' for i in range(20)))
    task = data.load_task(str(tmp_path / 'pm.csv'), label_names=['-1', '1'])
    assert len(task.train) + len(task.dev) + len(task.test) == 20


def test_a_label_outside_the_names_is_an_error_naming_the_file(tmp_path):
    write(tmp_path / 'train.csv', 'text,label\n' + 'a,pos\nb,neg\n' * 10)
    write(tmp_path / 'dev.csv', 'text,label\nc,neutral\n')
    with pytest.raises(DataError) as err:
        data.load_task(str(tmp_path))
    msg = one_line(err)
    assert "'neutral'" in msg and 'dev.csv' in msg and 'neg, pos' in msg and 'label_names=' in msg


# -------------------------------------------------------------- read errors


@pytest.mark.parametrize('name, text, cause', [
    ('train.tsv', 'sentence\tlabel\na\t1\nb\t0\textra\n', 'Expected 2 fields in line 3, saw 3'),
    ('train.jsonl', '{"text": "a", "label": 1}\n{"text": "b", label: 0}\n',
     'JSONDecodeError: Expecting property name enclosed in double quotes: line 2 column 15'),
    ('train.csv', '', 'EmptyDataError: No columns to parse from file'),
])
def test_a_bad_file_gives_its_real_cause(tmp_path, name, text, cause):
    write(tmp_path / 'd' / name, text)
    write(tmp_path / 'd' / 'dev.csv', 'text,label\na,1\n')
    with pytest.raises(DataError) as err:
        data.load_task(str(tmp_path / 'd'))
    msg = one_line(err)
    assert msg.startswith(f"could not read '{tmp_path / 'd' / name}' as ") and cause in msg, msg


def test_a_file_that_is_not_gzip(tmp_path):
    path = tmp_path / 'pool.jsonl.gz'
    path.write_text('plain text, not gzip')
    with pytest.raises(DataError) as err:
        data.TransferSet(str(path), 5).load()
    msg = one_line(err)
    assert 'pool.jsonl.gz' in msg and 'gzip' in msg and 'BadGzipFile' in msg


# -------------------------------------------------------------- plain text and .gz


def test_transfer_set_from_txt_and_txt_gz(tmp_path):
    lines = [f'an unlabeled review number {i} .' for i in range(12)]
    for name in ('pool.txt', 'pool.txt.gz'):
        path = write(tmp_path / name, '\n'.join(lines[:6]) + '\n\n  \n' + '\n'.join(lines[6:]) + '\n')
        ds = data.TransferSet(str(path), 50).load()
        assert sorted(ds['text']) == sorted(lines) and set(ds['text_pair']) == {None}
        assert len(data.TransferSet(str(path), 5).load()) == 5


def test_txt_of_json_strings_is_decoded(tmp_path):
    """One JSON string a line (the shared corpora's format): quotes and escapes decoded."""
    texts = ['"Merry Christmas!" said Scrooge\'s nephew.', 'plain', 'tab\there']
    path = write(tmp_path / 'corpus.txt.gz', ''.join(json.dumps(t) + '\n' for t in texts))
    assert sorted(data.lm_corpus(str(path), size=None)['text']) == sorted(texts)
    path = write(tmp_path / 'quoted.txt', '"Hello," he said.\nbye\n')  # not all JSON strings: as is
    assert sorted(data.lm_corpus(str(path), size=None)['text']) == ['"Hello," he said.', 'bye']


@pytest.mark.parametrize('name', ['c.tsv', 'c.csv.gz', 'c.json', 'c.jsonl.gz', 'c.parquet', 'c.tsv.gz'])
def test_any_table_is_an_lm_corpus_and_a_pool(tmp_path, name):
    sentences = [f'sentence number {i} , with a comma' for i in range(8)]
    path = tmp_path / name
    if name.endswith('.parquet'):
        import pandas as pd
        pd.DataFrame({'sentence': sentences, 'label': [0] * 8}).to_parquet(path)
    elif '.json' in name and 'jsonl' not in name:
        write(path, json.dumps([{'sentence': s, 'label': 0} for s in sentences]))
    elif 'jsonl' in name:
        write(path, ''.join(json.dumps({'sentence': s, 'label': 0}) + '\n' for s in sentences))
    else:
        sep = '\t' if 'tsv' in name else ','
        quote = (lambda s: s) if sep == '\t' else (lambda s: f'"{s}"')
        write(path, f'label{sep}sentence\n' + ''.join(f'0{sep}{quote(s)}\n' for s in sentences))
    corpus = data.lm_corpus(str(path), size=None)
    assert sorted(corpus['text']) == sorted(sentences) and set(corpus.column_names) == {'text', 'text_pair'}
    pool = data.unlabeled_texts(str(path), 3)
    assert len(pool) == 3 and 'label' not in pool.column_names


def test_lm_corpus_text_column_given(tmp_path):
    path = write(tmp_path / 'notes.csv', 'id,body,extra\n1,first note,x\n2,second note,y\n')
    with pytest.raises(DataError) as err:
        data.lm_corpus(str(path))
    msg = one_line(err)
    assert 'no text column' in msg and 'body' in msg and 'text_column=' in msg
    assert sorted(data.lm_corpus(str(path), size=None, text_column='body')['text']) == \
        ['first note', 'second note']
    ts = data.TransferSet(str(path), 2, text_column='body')
    assert sorted(ts.load()['text']) == ['first note', 'second note']
    assert json.loads(ts.key)['text_column'] == 'body'
    assert 'text_column' not in json.loads(data.TransferSet(str(path), 2).key)  # old keys unchanged


def test_qqp_style_pairs_as_a_pool(tmp_path):
    path = write(tmp_path / 'pairs.jsonl.gz', ''.join(
        json.dumps({'question1': f'q{i}?', 'question2': f'r{i}?', 'label': i % 2}) + '\n' for i in range(6)))
    ds = data.unlabeled_texts(str(path), None)
    assert ds[0] == {'text': 'q0?', 'text_pair': 'r0?'}


# -------------------------------------------------------------- one file per text (aclImdb)


def acl_imdb(root):
    for split in ('train', 'test'):
        for cls in ('pos', 'neg'):
            for i in range(12 if split == 'train' else 3):
                write(root / split / cls / f'{i}_{7 if cls == "pos" else 2}.txt',
                      f'{split} {cls} review {i}.<br /><br />Second paragraph.')
    for i in range(5):
        write(root / 'train' / 'unsup' / f'{i}_0.txt', f'unlabeled review {i}')
    write(root / 'train' / 'urls_pos.txt', 'http://www.imdb.com/title/tt0453418/usercomments\n')
    write(root / 'train' / 'labeledBow.feat', '0 1:1\n')
    write(root / 'imdb.vocab', 'the\n')
    write(root / 'README', 'Large Movie Review Dataset v1.0\n')
    return root


def test_aclimdb_layout_as_a_task(tmp_path):
    root = acl_imdb(tmp_path / 'aclImdb')
    task = data.load_task(str(root))
    assert task.label_names == ['neg', 'pos']  # from the subfolder names
    assert len(task.test) == 6 and len(task.train) + len(task.dev) == 24
    assert all(('pos' in r['text']) == (r['label'] == 1) for r in task.train)
    assert task.test[0]['text'].startswith('test ') and '<br />' in task.test[0]['text']
    assert not any('unlabeled' in t for t in task.train['text'])  # unsup is not train
    assert task.sources['test'] == 'test/neg, test/pos'


def test_aclimdb_layout_as_pools(tmp_path):
    root = acl_imdb(tmp_path / 'aclImdb')
    assert len(data.unlabeled_texts(str(root), None)) == 24  # train, labels dropped
    unsup = data.TransferSet(str(root / 'train' / 'unsup'), 10).load()
    assert sorted(unsup['text']) == [f'unlabeled review {i}' for i in range(5)]
    texts, got = reading.read_texts(root, 'unsup')
    assert len(texts) == 5 and got.origin['unsup'] == 'train/unsup'
    assert len(data.lm_corpus(str(root / 'test'), size=None)) == 6  # class folders, no split level


def test_a_folder_of_text_files_only_is_not_a_task(tmp_path):
    for i in range(3):
        write(tmp_path / 'texts' / f'{i}.txt', f'text {i}')
    with pytest.raises(DataError) as err:
        data.load_task(str(tmp_path / 'texts'))
    assert 'no labels' in one_line(err)
    assert len(data.lm_corpus(str(tmp_path / 'texts'), size=None)) == 3


# -------------------------------------------------------------- paths and names


def test_a_relative_path_without_a_slash_is_local(tmp_path, monkeypatch):
    write(tmp_path / 'mydata' / 'train.csv', 'text,label\n' + ''.join(f'{t},{y}\n' for y, t in TRAIN))
    write(tmp_path / 'corpus', 'not a data file')
    monkeypatch.chdir(tmp_path)
    assert reading.is_local('mydata') and not reading.is_local('ag_news')
    assert reading.is_local('new.txt.gz') and reading.is_local('./x') and not reading.is_local('a/b.gz')
    task = data.load_task('mydata')
    assert len(task.train) + len(task.dev) + len(task.test) == 30
    assert len(data.TransferSet('mydata', 4).load()) == 4
    with pytest.raises(DataError) as err:
        data.lm_corpus('corpus')
    msg = one_line(err)
    assert "'corpus'" in msg and '.txt' in msg and '.jsonl' in msg


def test_data_suffixes():
    assert reading.data_suffix('train.jsonl.gz') == ('.jsonl', True)
    assert reading.data_suffix('TRAIN.TSV') == ('.tsv', False)
    assert reading.data_suffix('x.parquet.gz') is None and reading.data_suffix('x.gz') is None
    assert reading.stem('dev_matched.tsv.gz') == 'dev_matched'
    assert reading.canonical_split('Validation') == 'dev'
    assert reading.canonical_split('unsupervised') == 'unsup'


def test_checks_before_compute_accept_what_is_read(tmp_path, monkeypatch):
    """data.resolve_* (Plan.check) follow the reader: .txt(.gz) pools, tables as
    corpora, aclImdb folders as tasks; a folder without train is no task."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / 'pool.txt.gz', 'one\ntwo\n')
    write(tmp_path / 'sents.tsv', tsv(['sentence'], [('a',), ('b',)]))
    acl_imdb(tmp_path / 'aclImdb')
    write(tmp_path / 'only_unsup' / 'unsup' / '0.txt', 'text')
    assert data.resolve_pool('pool.txt.gz') and data.resolve_corpus('pool.txt.gz')
    assert data.resolve_corpus('sents.tsv') and data.resolve_pool('sents.tsv')
    assert data.resolve_task('aclImdb') and data.resolve_pool('aclImdb/train/unsup')
    assert data.resolve_pool('only_unsup')
    with pytest.raises(DataError) as err:
        data.resolve_task('only_unsup')
    assert "task folder 'only_unsup' has no train.csv" in one_line(err)
    with pytest.raises(DataError) as err:
        data.resolve_pool('notes.xml')
    assert 'neither a local path nor reachable' in one_line(err)  # not a data file: a name
