"""minilab.hubdata: names resolve to a local copy in the data directory first,
else to the hub, with the same columns and label ids either way. The real copies
are those of ../shared/data (or $MINILAB_DATA); those tests skip without them.
The hub is never reached: its side is played by a monkeypatched load_dataset."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from minilab import data, hubdata, paths
from minilab.data import DataError

SHARED = Path(os.environ.get('MINILAB_DATA') or paths.ROOT.parent / 'shared' / 'data')
HOW = (f'no local copies at {SHARED}: set MINILAB_DATA to a data directory laid out by name '
       f'(glue/sst2/train.tsv, imdb/train.jsonl.gz, ...), such as the project\'s shared/data')


@pytest.fixture
def shared(monkeypatch):
    if not (SHARED / 'glue' / 'sst2' / 'train.tsv').is_file():
        pytest.skip(HOW)
    monkeypatch.setattr(paths, 'DATA', SHARED)
    return SHARED


def one_line(err):
    msg = str(err.value)
    assert msg and '\n' not in msg, msg
    return msg


def first_json(path):
    with open(path) as f:
        return json.loads(f.readline())


# -------------------------------------------------------------- the table and the lookup


def test_lookup_names_patterns_and_splits():
    assert hubdata.lookup('imdb')[1]['path'] == 'stanfordnlp/imdb'
    name, entry, split = hubdata.lookup('multi_domain/books')
    assert entry['local'] == 'multi_domain_sentiment/books' and split is None
    assert hubdata.lookup('imdb/unsupervised')[::2] == ('imdb', 'unsupervised')
    assert hubdata.lookup('glue/sst2/validation')[::2] == ('glue/sst2', 'validation')
    assert hubdata.lookup('multi_domain/books/test')[::2] == ('multi_domain/books', 'test')
    assert hubdata.lookup('owner/dataset') == (None, None, None)
    assert hubdata.lookup('multi_domain/') == (None, None, None)
    assert set(data.HUB_TASKS) >= {'glue/sst2', 'glue/mnli', 'imdb', 'ag_news', 'dbpedia_14', 'sick'}
    for name, entry in hubdata.NAMES.items():
        assert entry['kind'] in ('task', 'pool', 'corpus') and entry.get('local'), name
        assert entry['kind'] != 'task' or entry.get('labels'), name


def test_minilab_data_sets_the_data_directory(tmp_path):
    code = 'from minilab import paths; print(paths.DATA)'
    env = dict(os.environ, MINILAB_DATA=str(tmp_path), PYTHONPATH=str(paths.ROOT))
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == str(tmp_path), out.stderr
    env.pop('MINILAB_DATA')
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == str(paths.ROOT / 'data'), out.stderr


def test_no_copy_and_no_hub_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, 'DATA', tmp_path)
    with pytest.raises(DataError) as err:
        data.load_task('glue/cola')
    msg = one_line(err)
    assert "'glue/cola'" in msg and str(tmp_path) in msg and 'looked for glue/cola' in msg
    assert 'offline' in msg and 'world/sentiment' in msg
    with pytest.raises(DataError) as err:  # no hub copy at all: the data directory or nothing
        data.lm_corpus('gutenberg')
    msg = one_line(err)
    assert 'no hub copy' in msg and 'corpora/gutenberg.txt.gz' in msg
    monkeypatch.setattr(paths, 'DATA', tmp_path / 'absent')
    with pytest.raises(DataError) as err:
        data.TransferSet('multi_domain/books', 5).load()
    assert 'does not exist (set MINILAB_DATA)' in one_line(err)


def test_pools_and_corpora_are_not_tasks():
    for spec, what in [('qqp', 'a pool'), ('gutenberg', 'a corpus'), ('imdb/unsupervised', "one split of 'imdb'")]:
        with pytest.raises(DataError) as err:
            data.load_task(spec)
        msg = one_line(err)
        assert f'{spec!r} is {what}, not a task' in msg and 'glue/sst2' in msg


# -------------------------------------------------------------- a user's own data directory


def write_jsonl(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in rows))


def test_a_users_data_directory_in_the_hub_name_layout(tmp_path, monkeypatch):
    """Any name: DATA/<name>/ (a folder) or DATA/<name>.<ext> (a file), known or not."""
    monkeypatch.setattr(paths, 'DATA', tmp_path)
    rows = [{'review': f'r{i}', 'label': i % 3} for i in range(30)]
    write_jsonl(tmp_path / 'myorg' / 'reviews' / 'train.jsonl', rows)
    write_jsonl(tmp_path / 'myorg' / 'reviews' / 'test.jsonl', rows[:6])
    where = hubdata.locate('myorg/reviews')
    assert where.kind == 'copy' and where.path == tmp_path / 'myorg' / 'reviews'
    task = data.load_task('myorg/reviews')
    assert task.label_names == ['0', '1', '2'] and len(task.test) == 6
    write_jsonl(tmp_path / 'pool.jsonl', [{'text': 'one'}, {'text': 'two'}])
    assert sorted(data.TransferSet('pool', 5).load()['text']) == ['one', 'two']
    # a kit name in the hub layout, with the hub's own columns: GLUE's rule (dev is the test)
    (tmp_path / 'glue' / 'cola').mkdir(parents=True)
    (tmp_path / 'glue' / 'cola' / 'train.tsv').write_text(
        'sentence\tlabel\n' + ''.join(f's{i}\t{i % 2}\n' for i in range(30)))
    (tmp_path / 'glue' / 'cola' / 'validation.tsv').write_text('sentence\tlabel\nv0\t1\nv1\t0\n')
    cola = data.load_task('glue/cola')
    assert cola.label_names == ['unacceptable', 'acceptable']
    assert list(cola.test['text']) == ['v0', 'v1'] and cola.sources['test'] == 'validation.tsv'
    assert cola.sources['dev'] == '10% of train.tsv, held out'


def test_an_existing_path_wins_over_a_name(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, 'DATA', tmp_path / 'data')
    write_jsonl(tmp_path / 'data' / 'imdb' / 'train.jsonl', [{'text': 'copy', 'label': 0}] * 20)
    (tmp_path / 'cwd' / 'imdb').mkdir(parents=True)
    (tmp_path / 'cwd' / 'imdb' / 'train.csv').write_text('text,label\n' + 'mine,pos\nours,neg\n' * 10)
    monkeypatch.chdir(tmp_path / 'cwd')
    assert hubdata.locate('imdb').kind == 'path'
    assert data.load_task('imdb').label_names == ['neg', 'pos']
    monkeypatch.chdir(tmp_path)
    assert hubdata.locate('imdb').kind == 'copy'


# -------------------------------------------------------------- the same either way


def fake_hub(monkeypatch, hub):
    """load_dataset(path, config) -> the DatasetDict in `hub`, as the hub would give it."""
    import datasets
    calls = []

    def load_dataset(path, name=None, **kwargs):
        calls.append((path, name))
        return hub[(path, name)]
    monkeypatch.setattr(datasets, 'load_dataset', load_dataset)
    return calls


def test_copy_and_hub_give_the_same_task(tmp_path, monkeypatch):
    """SST-2 (GLUE TSV copy, string labels '0'/'1') and SICK (jsonl copy with
    premise/hypothesis and label words) against the hub's schemas (ClassLabel ids,
    sentence_A/sentence_B): same columns, label names, ids and splits."""
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value
    sst = [(f'sentence {i}', i % 2) for i in range(40)]
    dev = [('dev one', 1), ('dev two', 0)]
    copy = tmp_path / 'data'
    (copy / 'glue' / 'sst2').mkdir(parents=True)
    for split, rows in [('train', sst), ('dev', dev), ('test', [('labeled test', 1)])]:
        (copy / 'glue' / 'sst2' / f'{split}.tsv').write_text(
            'sentence\tlabel\n' + ''.join(f'{t}\t{y}\n' for t, y in rows))
    names = ['entailment', 'neutral', 'contradiction']
    sick = [(f'p{i}', f'h{i}', names[i % 3]) for i in range(30)]
    for split, rows in [('train', sick), ('validation', sick[:3]), ('test', sick[3:9])]:
        write_jsonl(copy / 'sick' / f'{split}.jsonl',
                    [{'premise': p, 'hypothesis': h, 'label': y, 'relatedness': 3.0} for p, h, y in rows])

    def glue(rows):
        f = Features({'sentence': Value('string'), 'label': ClassLabel(names=['negative', 'positive']),
                      'idx': Value('int32')})
        return Dataset.from_dict({'sentence': [t for t, _ in rows], 'label': [y for _, y in rows],
                                  'idx': list(range(len(rows)))}, features=f)

    def sick_hub(rows):
        f = Features({'id': Value('string'), 'sentence_A': Value('string'),
                      'sentence_B': Value('string'), 'label': ClassLabel(names=names)})
        return Dataset.from_dict({'id': [str(i) for i in range(len(rows))],
                                  'sentence_A': [p for p, _, _ in rows],
                                  'sentence_B': [h for _, h, _ in rows],
                                  'label': [names.index(y) for _, _, y in rows]}, features=f)
    hub = {('nyu-mll/glue', 'sst2'): DatasetDict(train=glue(sst), validation=glue(dev),
                                                 test=glue([('hidden', -1)])),  # no test labels
           ('RobZamp/sick', None): DatasetDict(train=sick_hub(sick), validation=sick_hub(sick[:3]),
                                               test=sick_hub(sick[3:9]))}
    calls = fake_hub(monkeypatch, hub)
    for name in ('glue/sst2', 'sick'):
        monkeypatch.setattr(paths, 'DATA', copy)
        local = data.load_task(name, seed=3)
        monkeypatch.setattr(paths, 'DATA', tmp_path / 'empty')
        remote = data.load_task(name, seed=3)
        assert calls and calls[-1][0] == hubdata.NAMES[name]['path']
        assert local.label_names == remote.label_names == list(hubdata.NAMES[name]['labels'])
        for split in ('train', 'dev', 'test'):
            a, b = getattr(local, split), getattr(remote, split)
            assert a.features == b.features, split
            assert a.to_list() == b.to_list(), (name, split)
    assert local.is_pair and local.test[0]['label'] == 0  # 'entailment' -> 0, as on the hub


def test_pools_and_corpora_from_the_hub(tmp_path, monkeypatch):
    """Without copies: 'imdb/unsupervised' is the hub's unsupervised split; an
    unknown name is a repo id (else path/config), its text column guessed."""
    from datasets import Dataset, DatasetDict
    monkeypatch.setattr(paths, 'DATA', tmp_path)
    imdb = DatasetDict(train=Dataset.from_dict({'text': ['a', 'b'], 'label': [0, 1]}),
                       unsupervised=Dataset.from_dict({'text': ['u1', 'u2', 'u3'], 'label': [-1] * 3}))
    corpus = DatasetDict(train=Dataset.from_dict({'id': [1, 2], 'content': ['c1', 'c2']}))
    calls = fake_hub(monkeypatch, {('stanfordnlp/imdb', None): imdb, ('owner/corpus', None): corpus})
    assert sorted(data.TransferSet('imdb/unsupervised', 5).load()['text']) == ['u1', 'u2', 'u3']
    assert sorted(data.unlabeled_texts('imdb', None)['text']) == ['a', 'b']
    assert sorted(data.lm_corpus('owner/corpus', None)['text']) == ['c1', 'c2']
    assert calls == [('stanfordnlp/imdb', None)] * 2 + [('owner/corpus', None)]
    with pytest.raises(DataError) as err:
        data.TransferSet('imdb/validation', 5).load()
    assert "no 'validation' split; splits: train, unsupervised" in one_line(err)


# -------------------------------------------------------------- the real copies


@pytest.mark.parametrize('name, pair, labels, rows', [
    ('glue/sst2', False, ['negative', 'positive'], None),
    ('glue/mrpc', True, ['not_equivalent', 'equivalent'], None),
    ('glue/rte', True, ['entailment', 'not_entailment'], None),
    ('sick', True, ['entailment', 'neutral', 'contradiction'], 'sick/train.jsonl'),
    ('ag_news', False, ['World', 'Sports', 'Business', 'Sci/Tech'], 'ag_news/train.jsonl'),
    ('dbpedia_14', False, None, 'dbpedia_14/train.jsonl'),
    ('multi_domain/books', False, ['negative', 'positive'], 'multi_domain_sentiment/books/train.jsonl'),
])
def test_real_copies_load_by_name(shared, name, pair, labels, rows):
    where = hubdata.locate(name)
    assert where.kind == 'copy' and where.path.is_relative_to(shared)
    task = data.load_task(name, train_size=40, dev_size=20, test_size=20)
    assert (len(task.train), len(task.dev), len(task.test)) == (40, 20, 20)
    assert task.is_pair == pair and task.label_names == list(hubdata.NAMES.get(
        name, hubdata.lookup(name)[1])['labels'])
    assert labels is None or task.label_names == labels
    assert set(task.train.column_names) == {'text', 'text_pair', 'label'}
    if name.startswith('glue/'):  # GLUE's rule, as from the hub: dev.tsv is the test
        assert task.sources['test'] == 'dev.tsv' and 'held out' in task.sources['dev']
    if rows:  # the file's first row keeps the hub's id
        row = first_json(shared / rows)
        text = row.get('premise') or row.get('text') or row.get('content')
        full = data.load_task(name)
        hit = next(r for s in (full.train, full.dev) for r in s.to_list() if r['text'] == text)
        want = row['label'] if isinstance(row['label'], int) else task.label_names.index(row['label'])
        assert hit['label'] == want


def test_real_glue_files_map_their_label_values(shared):
    """MRPC's Quality 0/1 and RTE's words get the hub's ids."""
    mrpc = data.load_task('glue/mrpc')
    first = (shared / 'glue' / 'mrpc' / 'train.tsv').read_text().split('\n')[1].split('\t')
    hit = next(r for r in mrpc.train.to_list() + mrpc.dev.to_list() if r['text'] == first[3])
    assert hit['text_pair'] == first[4] and hit['label'] == int(first[0])
    rte = data.load_task('glue/rte', test_size=50)
    assert set(rte.test['label']) == {0, 1}


def test_real_pools_and_corpora(shared):
    unsup = data.TransferSet('imdb/unsupervised', 20).load()
    assert len(unsup) == 20 and set(unsup.column_names) == {'text', 'text_pair'}
    assert hubdata.locate('imdb/unsupervised').local_split == 'unsup'
    qqp = data.TransferSet('qqp', 10).load()
    assert all(t and p for t, p in zip(qqp['text'], qqp['text_pair']))
    books = data.unlabeled_texts('multi_domain/books', 10)
    assert len(books) == 10 and 'label' not in books.column_names
    corpus = data.lm_corpus('nltk_english', 30, seed=1)
    assert len(corpus) == 30 and not any(t.startswith('"') and t.endswith('"') for t in corpus['text'])


@pytest.mark.slow
def test_real_imdb_and_gutenberg(shared):
    task = data.load_task('imdb', train_size=50, dev_size=20, test_size=20)
    assert task.label_names == ['neg', 'pos'] and task.sources['test'] == 'test.jsonl.gz'
    assert len(data.lm_corpus('gutenberg', 10)) == 10
    assert len(data.lm_corpus('imdb/unsupervised', 5)) == 5


def test_plan_checks_follow_the_copies(shared, monkeypatch):
    """data.resolve_* (Plan.check, offline): a name with a copy resolves, a name
    without one is asked of the hub; pools and corpora are not tasks."""
    for spec in ('glue/sst2', 'imdb', 'multi_domain/books'):
        assert data.resolve_task(spec) == spec
    assert data.resolve_pool('imdb/unsupervised') and data.resolve_pool('qqp')
    assert data.resolve_corpus('gutenberg') and data.resolve_corpus('imdb/unsupervised')
    with pytest.raises(DataError) as err:
        data.resolve_task('qqp')
    assert "'qqp' is a pool, not a task" in one_line(err)
    monkeypatch.setattr(paths, 'DATA', shared / 'no-such-folder')
    with pytest.raises(DataError) as err:
        data.resolve_corpus('gutenberg')
    assert "LM corpus 'gutenberg' has no hub copy" in one_line(err)
    with pytest.raises(DataError) as err:
        data.resolve_task('glue/sst2')
    assert 'neither a local path nor reachable on the hub' in one_line(err)
