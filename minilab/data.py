"""Data: the offline world, real datasets (hub names or local files), tokenizers,
and unlabeled transfer sets.

    from minilab import data
    task = data.load_task('world/sentiment')           # offline world (default)
    task = data.load_task('glue/sst2')                 # hub name: its local copy, else the hub
    task = data.load_task('path/to/SST-2')             # a GLUE-style folder of TSVs
    task = data.load_task('reviews.csv', text_column='review', label_column='stars')
    task = data.load_task('aclImdb')                   # train/pos/*.txt, train/neg/*.txt, test/...
    tok = data.load_tokenizer('world')                 # WordPiece trained offline
    tok = data.load_tokenizer('bert-base-uncased')     # any hub name or local folder
    transfer = data.TransferSet('world/sentiment', size=8000, domain='books')
    transfer = data.TransferSet('reviews.txt.gz', size=8000)   # one text a line
    corpus = data.lm_corpus('sentences.tsv', text_column='sentence')
    corpus = data.lm_corpus('gutenberg+nltk_english+imdb/unsupervised', 250_000)  # a mix

A task is a `TaskData` of three `datasets.Dataset`s (train, dev, test) with the
columns text, text_pair (None for single sentences) and label (int). Model
selection uses dev only; where a dataset has no labeled test split (GLUE), its
official validation split becomes test and dev is held out from train.
Local files and folders are read by `minilab.reading` (each file on its own,
its columns guessed per file); `TaskData.sources` says which split came from where.
A name ('glue/sst2', 'imdb/unsupervised', 'multi_domain/books', 'gutenberg', any
hub name) is read from its copy in the local data directory ($MINILAB_DATA) when
there is one, else from the hub, with the same columns and label ids either way
(`minilab.hubdata`).
"""
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from minilab import hubdata, packaged, paths, reading, world
from minilab.reading import DataError  # noqa: F401  (bad data input: a one-line message)


# -----------------------------------------------------------------------------
# known hub datasets: where the text and label live, which splits to use, where
# their local copies are (the whole table, pools and corpora too: hubdata.NAMES)

HUB_TASKS = hubdata.TASKS
WORLD_TASKS = [f'world/{t}' for t in world.TASKS]
DEV_FRACTION = 0.1  # held out of train when a dataset has no separate labeled dev


@dataclass
class TaskData:
    name: str
    train: object  # datasets.Dataset
    dev: object
    test: object
    label_names: list
    sources: dict = field(default_factory=dict)  # split -> where its rows came from

    @property
    def num_labels(self):
        return len(self.label_names)

    @property
    def is_pair(self):
        return self.train[0]['text_pair'] is not None


def load_task(spec, train_size=None, dev_size=None, test_size=None, seed=0,
              domain='movies', text_column=None, text_pair_column=None,
              label_column=None, label_names=None):
    """A labeled task by name: 'world/<task>', a known hub name, or a local path.

    Sizes subsample (deterministically, by seed) for quick runs; the world
    generates exactly that many. text_column, text_pair_column and label_column
    name columns (else they are guessed, per file for a local folder: see
    `minilab.reading`); label_names fixes the label ids (else: the dataset's
    own names, or the labels found in train, sorted).

    A local folder's splits: train.* is train; dev.* (validation...) is dev and
    test.* is test. Without a dev file, dev is held out of train (10%); without
    a test file, test is held out of train (10%). A test file without labels
    (GLUE's download: test.tsv of index, sentence) is set aside, and the folder
    is read as GLUE is from the hub: its dev file becomes test and dev is held
    out of train; with no dev file either, dev and test are both held out of
    train. `TaskData.sources` says which split is which."""
    from datasets import Dataset
    if spec.startswith('world/'):
        task = spec.split('/', 1)[1]
        if task not in world.TASKS:
            raise DataError(f'unknown world task {spec!r}; valid: {", ".join(WORLD_TASKS)}')
        splits = {}
        for split, n in [('train', train_size), ('dev', dev_size), ('test', test_size)]:
            splits[split] = Dataset.from_dict(world.task_split(task, split, n, seed=seed,
                                                               domain=domain))
        return TaskData(spec, splits['train'], splits['dev'], splits['test'],
                        list(world.LABELS[task]))
    where = hubdata.locate(spec)
    _must_be_a_task(where)
    if where.kind == 'hub':
        raw, columns = _load_hub(spec, where)
        columns = dict(columns)
        if text_column:
            columns['text'] = text_column
        if text_pair_column:
            columns['text_pair'] = text_pair_column
        columns.setdefault('label', label_column or 'label')
    else:  # a local path, or a name's copy in the data directory
        raw, columns = _load_local(where.spec if where.kind == 'path' else str(where.path),
                                   text_column, text_pair_column, label_column, where.test_split)
        if label_names is None:
            label_names = where.label_names
    task = _standardise(spec, raw, columns, label_names, seed)
    sizes = {'train': train_size, 'dev': dev_size, 'test': test_size}
    for split, n in sizes.items():
        ds = getattr(task, split)
        if n is not None and n < len(ds):
            setattr(task, split, ds.shuffle(seed=seed).select(range(n)))
    return task


def _must_be_a_task(where, world_tasks=None):
    if where.split or (where.entry or {}).get('kind', 'task') != 'task':
        what = f'one split of {where.name!r}' if where.split else f'a {where.entry["kind"]}'
        raise DataError(f'{where.spec!r} is {what}, not a task; known tasks: {", ".join(HUB_TASKS)}, '
                        f'multi_domain/<domain>, {", ".join(world_tasks or WORLD_TASKS)}')


def _load_hub(spec, where=None, valid=None):
    from datasets import load_dataset
    where = where or hubdata.locate(spec)
    tries = _hub_tries(spec, where)
    if tries[0].get('path') is None:
        raise DataError(f'dataset {spec!r} has no hub copy and {hubdata.no_copy_message(where)}')
    try:
        for i, known in enumerate(tries):
            try:
                raw = load_dataset(known['path'], known.get('name'))
                break
            except Exception:
                if i == len(tries) - 1:
                    raise
    except Exception as err:  # offline, unknown name, no such config
        offline = os.environ.get('HF_DATASETS_OFFLINE') == '1' or os.environ.get('HF_HUB_OFFLINE') == '1'
        why = 'unreachable (offline)' if offline or 'connect' in str(err).lower() \
            or 'offline' in str(err).lower() else f'{type(err).__name__}: {str(err).splitlines()[0]}'
        raise DataError(f'dataset {spec!r} could not be loaded: not a local path, '
                        f'{hubdata.no_copy_message(where)}, and the hub: {why}; valid offline: '
                        f'{valid or ", ".join(WORLD_TASKS)}, a local CSV/TSV/JSON(L)/Parquet/txt '
                        f'file or folder, or a name with a copy in the data directory') from None
    columns = {'text': known['text'], 'test_split': known.get('test', 'test'),
               'names': known.get('labels'),
               'origin': {s: f'{known["path"]} {known.get("name") or ""} {s}'.replace('  ', ' ')
                          for s in raw}}
    if known.get('text_pair'):
        columns['text_pair'] = known['text_pair']
    return raw, columns


def _hub_tries(spec, where):
    """What load_dataset is given, in order: a known name's (path, config);
    any other name as a repo id, then 'path/config'."""
    if where.entry:
        return [where.entry]
    tries = [dict(path=spec, text='text')]
    if spec.count('/') == 1:
        tries.append(dict(path=spec.split('/')[0], name=spec.split('/')[1], text='text'))
    return tries


def _load_local(spec, text_column=None, text_pair_column=None, label_column=None,
                test_split=None):
    """A file (train only; dev and test are held out of it) or a folder of
    train/dev/test files, each file read on its own (`minilab.reading`);
    test_split: the split used as test (a name's copy: 'dev' for GLUE)."""
    got = reading.read(spec, ['train', 'dev', 'test'], text_column, text_pair_column,
                       label_column)
    if not got.labeled['train']:
        raise DataError(f'{spec!r} has no labels in train ({got.origin["train"]}); a task needs '
                        f'them (unlabeled texts can be a transfer pool or an LM corpus)')
    columns = {'text': 'text', 'text_pair': 'text_pair' if got.pair else None, 'label': 'label',
               'origin': got.origin}
    if test_split:
        columns['test_split'] = test_split
    elif not got.labeled.get('test', True) and got.labeled.get('dev'):
        columns['test_split'] = 'dev'  # GLUE's download: the dev file is the test
    return got.splits, columns


def _standardise(spec, raw, columns, label_names, seed):
    """Rename to text/text_pair/label, map string labels to ids, pick splits."""
    from datasets import ClassLabel, Features, Value
    splits = dict(raw)
    train = splits['train']
    cols = train.column_names
    for key in ('text', 'text_pair', 'label'):
        col = columns.get(key)
        if key == 'text' and col is None:
            raise DataError(f'no text column found in {spec!r}; columns: {", ".join(cols)}; '
                            f'pass text_column=')
        if col is not None and col not in cols:
            raise DataError(f'column {col!r} not in {spec!r}; columns: {", ".join(cols)}; '
                            f'pass {key}_column=')
    origin = {s: columns.get('origin', {}).get(s, s) for s in splits}
    feature = train.features.get(columns['label'])
    class_ids = isinstance(feature, ClassLabel)  # the hub's ids: kept as they are
    if class_ids and columns.get('names') and list(feature.names) != list(columns['names']):
        import warnings  # the table's names label the local copies: they must be the hub's
        warnings.warn(f'{spec!r}: the hub names its labels {list(feature.names)}, '
                      f'minilab.hubdata {list(columns["names"])}; local copies use the latter')
    if label_names is None:
        label_names = list(feature.names) if class_ids else columns.get('names') or \
            reading.guess_label_names(reading.column(train, columns['label']))
    label_names = [str(n) for n in label_names]

    def convert(batch):
        labels = batch[columns['label']]
        if not class_ids:
            labels = reading.label_ids(labels, label_names, spec)
        pair = batch[columns['text_pair']] if columns.get('text_pair') else [None] * len(labels)
        return {'text': [str(t) for t in batch[columns['text']]], 'text_pair': pair,
                'label': labels}

    out = {}
    # explicit features: without them a string column named 'label' keeps its
    # string type and the converted ids come back as '0', '1'
    features = Features({'text': Value('string'), 'text_pair': Value('string'),
                         'label': Value('int64')})
    for name, ds in splits.items():
        if not class_ids:  # a bad label fails here, naming its file
            reading.label_ids(set(reading.column(ds, columns['label'])), label_names,
                              repr(origin[name]))
        ds = ds.map(convert, batched=True, remove_columns=ds.column_names, features=features)
        out[name] = ds.filter(lambda b: [y >= 0 for y in b['label']], batched=True)
    test_name = columns.get('test_split', 'test')
    test = out.get(test_name) if test_name in out and len(out[test_name]) else None
    dev_name = 'dev' if 'dev' in out and test_name != 'dev' else None
    if test_name != 'validation' and dev_name is None and 'validation' in out:
        dev_name = 'validation'
    dev = out[dev_name] if dev_name else None
    train = out['train']
    sources = {'train': origin['train'], 'dev': origin.get(dev_name), 'test': origin.get(test_name)}
    held = f'{DEV_FRACTION:.0%} of {origin["train"]}, held out'
    if (dev is None or test is None) and len(train) < 10:
        raise DataError(f'{spec!r} has {len(train)} labeled train rows ({origin["train"]}): too few '
                        f'to hold dev/test out of; give dev and test files')
    if dev is None:  # hold dev out of train so that test is never used for selection
        parts = train.train_test_split(test_size=DEV_FRACTION, seed=seed)
        train, dev = parts['train'], parts['test']
        sources['dev'] = held
    if test is None:
        parts = train.train_test_split(test_size=DEV_FRACTION, seed=seed + 1)
        train, test = parts['train'], parts['test']
        sources['test'] = held
    if held in sources.values():
        sources['train'] = f'{origin["train"]}, less what is held out'
    unused = [f'{origin[s]} (' + ('no labels' if len(splits[s]) and not len(out[s]) else
                                  f'not used: test is {sources["test"]}' if s == 'test' else
                                  'not used') + ')'
              for s in splits if s not in ('train', dev_name, test_name) or
              (s == test_name and test is not out.get(s))]
    if unused:
        sources['unused'] = ', '.join(unused)
    return TaskData(spec, train, dev, test, label_names, sources)


# -----------------------------------------------------------------------------
# tokenizers

WORLD_VOCAB_SIZE = 1000
SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
MODEL_INPUT_NAMES = ['input_ids', 'token_type_ids', 'attention_mask']


def train_wordpiece(texts, vocab_size=WORLD_VOCAB_SIZE, lowercase=True):
    """A BERT-style WordPiece tokenizer trained offline with `tokenizers`."""
    from tokenizers import (Tokenizer, decoders, models, normalizers, pre_tokenizers,
                            processors, trainers)
    from transformers import PreTrainedTokenizerFast
    tok = Tokenizer(models.WordPiece(unk_token='[UNK]'))
    tok.normalizer = normalizers.BertNormalizer(lowercase=lowercase)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    # decode() joins '##' pieces ('sco ##oter' -> 'scooter'); no cleanup, so the
    # world's ' .' spacing survives a round trip
    tok.decoder = decoders.WordPiece(cleanup=False)
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS)
    tok.train_from_iterator(texts, trainer)
    cls, sep = tok.token_to_id('[CLS]'), tok.token_to_id('[SEP]')
    tok.post_processor = processors.TemplateProcessing(
        single='[CLS] $A [SEP]', pair='[CLS] $A [SEP] $B:1 [SEP]:1',
        special_tokens=[('[CLS]', cls), ('[SEP]', sep)])
    # transformers 5 ignores vocab_file= (env.md); tokenizer_object= is the safe way
    # model_input_names: transformers 5 defaults to input_ids + attention_mask
    # only, dropping the pair segment ids the template above sets
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token='[UNK]', pad_token='[PAD]',
                                   cls_token='[CLS]', sep_token='[SEP]', mask_token='[MASK]',
                                   model_input_names=MODEL_INPUT_NAMES)


# The tokenizer every saved world-5 run used, shipped with the kit: `tokenizers`'
# WordPiece trainer breaks ties between equally frequent merges in an order that
# changes from run to run (measured: three trainings on the same 50,000 sentences
# gave three vocabularies), so a tokenizer trained on another machine would not
# match the saved runs and the cached checkpoints.
SHIPPED_WORLD_TOKENIZER = Path(__file__).parent / 'assets' / 'world-tokenizer-v5'
SHIPPED_WORLD_TOKENIZER_ARGS = dict(seed=0, n_sentences=50_000, vocab_size=1000, world_version=5)


def world_tokenizer(seed=0, n_sentences=50_000, vocab_size=WORLD_VOCAB_SIZE):
    """The world's WordPiece tokenizer: the shipped one for the default arguments
    of the current world, else trained once (not bit-reproducibly) and cached."""
    from transformers import PreTrainedTokenizerFast
    if dict(seed=seed, n_sentences=n_sentences, vocab_size=vocab_size,
            world_version=world.WORLD_VERSION) == SHIPPED_WORLD_TOKENIZER_ARGS:
        return PreTrainedTokenizerFast.from_pretrained(SHIPPED_WORLD_TOKENIZER,
                                                       model_input_names=MODEL_INPUT_NAMES)
    key = hashlib.sha256(repr(('world-wordpiece', 3, seed, n_sentences, vocab_size,
                                       world.WORLD_VERSION)).encode())
    folder = paths.CACHE / 'tokenizers' / f'world-{key.hexdigest()[:12]}'
    if not (folder / 'tokenizer.json').exists():
        tok = train_wordpiece(world.lm_corpus(n_sentences, seed=seed), vocab_size)
        tmp = folder.with_name(folder.name + '.tmp')
        tok.save_pretrained(tmp)
        tmp.replace(folder) if not folder.exists() else None
    return PreTrainedTokenizerFast.from_pretrained(folder, model_input_names=MODEL_INPUT_NAMES)


def load_tokenizer(name_or_path='world'):
    """'world' (offline WordPiece), a local tokenizer folder, or a hub name."""
    if name_or_path == 'world':
        return world_tokenizer()
    from transformers import AutoTokenizer
    try:
        return AutoTokenizer.from_pretrained(packaged.model_source(name_or_path))
    except (OSError, ValueError):  # transformers 5: ValueError for a folder without tokenizer files
        local = Path(name_or_path).exists()
        raise DataError(f'tokenizer {name_or_path!r} could not be loaded: '
                        + ('the folder has no tokenizer files' if local else
                           'not a local folder and the hub is unreachable (offline)')
                        + "; valid offline: 'world' or a folder saved with save_pretrained") from None


def tokenize(dataset, tokenizer, max_length=64):
    """input_ids / attention_mask / token_type_ids (+ label if present); no
    padding here: the collator pads each batch to its own longest row."""
    def encode(batch):
        pairs = batch['text_pair'] if 'text_pair' in batch and batch['text_pair'][0] is not None \
            else None
        enc = tokenizer(batch['text'], pairs, truncation=True, max_length=max_length)
        return dict(enc)
    keep = [c for c in ('label',) if c in dataset.column_names]
    return dataset.map(encode, batched=True,
                       remove_columns=[c for c in dataset.column_names if c not in keep])


# -----------------------------------------------------------------------------
# unlabeled data: the LM corpus and transfer sets


def _texts(spec, size=None, seed=0, text_column=None, text_pair_column=None, valid=None):
    """text and text_pair of a local file or folder, a name's copy in the data
    directory or a hub dataset: its train split, or the split the name gives
    ('imdb/unsupervised'); `size` rows drawn by seed."""
    where = hubdata.locate(spec)
    if where.kind != 'hub':
        ds = reading.read_texts(where.spec if where.kind == 'path' else where.path,
                                where.local_split, text_column, text_pair_column)[0]
        return ds.shuffle(seed=seed).select(range(size)) if size and size < len(ds) else ds
    raw, columns = _load_hub(spec, where, valid)
    split = where.split or (where.entry or {}).get('split') or 'train'
    if split not in raw:
        raise DataError(f'dataset {spec!r} has no {split!r} split; splits: {", ".join(raw)}')
    ds = raw[split]
    known = where.entry and not text_column  # a known name: the table's columns
    cols = reading.choose_columns(ds.column_names, repr(spec),
                                  columns['text'] if known else text_column,
                                  columns.get('text_pair') if known else text_pair_column,
                                  want_label=False)
    text, pair = cols['text'], cols['text_pair']
    if size and size < len(ds):
        ds = ds.shuffle(seed=seed).select(range(size))
    return ds.map(lambda b: {'text': [str(t) for t in b[text]],
                             'text_pair': b[pair] if pair else [None] * len(b[text])},
                  batched=True, remove_columns=ds.column_names)


# a mix of LM corpus sources in one string: 'gutenberg+nltk_english+imdb/unsupervised'
MIX_SEPARATOR = '+'


def corpus_sources(source):
    """The sources of an LM corpus: a list of names, or one string whose '+'
    joins names (a local path that exists is one source, '+' or not)."""
    if isinstance(source, (list, tuple)):
        sources = [str(s).strip() for s in source]
    elif isinstance(source, str) and MIX_SEPARATOR in source and not Path(source).expanduser().exists():
        sources = [s.strip() for s in source.split(MIX_SEPARATOR)]
    else:
        return [source]
    example = "'gutenberg+nltk_english+imdb/unsupervised'"
    if not sources or not all(sources):
        raise DataError(f'LM corpus {source!r} has an empty name in its mix; valid: names joined '
                        f'by {MIX_SEPARATOR!r}, e.g. {example}')
    if len(set(sources)) != len(sources):
        raise DataError(f'LM corpus {source!r} names a source twice; valid: each name once, e.g. {example}')
    if len(sources) > 1 and 'world' in sources:  # generated on demand: no pool to draw from
        raise DataError(f"LM corpus {source!r} mixes 'world' with other sources; valid: 'world' "
                        f'alone, or a mix of names and paths, e.g. {example}')
    return sources


def _lm_pool(source, text_column=None):
    """Every non-empty text of the sources, pooled in the order given."""
    from datasets import concatenate_datasets
    pools = []
    for name in corpus_sources(source):
        ds = _texts(name, text_column=text_column, valid="'world'")
        ds = ds.filter(lambda b: [bool(t and t.strip()) for t in b['text']], batched=True)
        pools.append(ds.select_columns(['text']))
    return pools[0] if len(pools) == 1 else concatenate_datasets(pools)


def _with_pair(ds):
    return ds.map(lambda b: {'text_pair': [None] * len(b['text'])}, batched=True)


def lm_corpus(source='world', size=100_000, seed=0, text_column=None):
    """Unlabeled text for MLM pre-training: the world's LM corpus, a name
    ('gutenberg', 'imdb/unsupervised', a hub name: its local copy, else the hub),
    or a local file or folder: .txt (one text a line, also .gz), a folder of one
    file per text, or any table (its text column given or guessed).

    A mix: several sources, as a list or joined by '+'
    ('gutenberg+nltk_english+imdb/unsupervised'): their texts are pooled in the
    order given and `size` texts drawn from the pool by seed, so each source
    gives its share of the pool's rows (in expectation); size None (or more
    than the pool) is the whole pool, in source order. One source is the same
    draw as before mixes existed."""
    from datasets import Dataset
    if source == 'world':
        return Dataset.from_dict({'text': world.lm_corpus(size, seed=seed),
                                  'text_pair': [None] * size})
    ds = _lm_pool(source, text_column)
    if size and size < len(ds):
        ds = ds.shuffle(seed=seed).select(range(size))
    return _with_pair(ds)


HELDOUT_WORLD_SEED = 7919  # the world's held-out sentences: another seed (world.lm_corpus generates)


def lm_heldout(source, size, n, seed=0, text_column=None):
    """`n` texts of `source` that `lm_corpus(source, size, seed)` did not draw,
    to measure pre-training on: the next ones of the same shuffled order (none
    when the draw took every text), or for the world, fresh sentences of
    another seed less any that the drawn ones hold."""
    from datasets import Dataset
    if source == 'world':
        seen = set(world.lm_corpus(size, seed=seed))
        texts = [t for t in world.lm_corpus(n, seed=seed + HELDOUT_WORLD_SEED) if t not in seen]
        return Dataset.from_dict({'text': texts, 'text_pair': [None] * len(texts)})
    ds = _lm_pool(source, text_column)
    if not size or size >= len(ds):
        return _with_pair(ds.select([]))
    return _with_pair(ds.shuffle(seed=seed).select(range(size, min(len(ds), size + n))))


def pack(dataset, tokenizer, max_length, chunk=10_000):
    """The texts as one stream of word pieces (each text followed by [SEP]), cut
    into rows of [CLS] + (max_length - 2) pieces + [SEP]: BERT's and RoBERTa's
    packed pre-training sequences. Nothing is truncated and nothing padded (a
    review of 300 pieces is 2-3 rows, not its first 128; short paragraphs share
    a row instead of padding a batch to its longest); the last, partial row is
    dropped. Rows hold input_ids only: the collator adds the attention mask."""
    from datasets import Dataset
    body = max_length - 2
    if body < 1:
        raise DataError(f'max_length {max_length} leaves no room between [CLS] and [SEP]; valid: >= 3')
    sep, parts = tokenizer.sep_token_id, []
    for start in range(0, len(dataset), chunk):
        texts = list(dataset[start:start + chunk]['text'])
        ids = tokenizer(texts, add_special_tokens=False, verbose=False)['input_ids']
        parts.append(np.fromiter((i for x in ids for i in (*x, sep)), dtype=np.int32))
    stream = np.concatenate(parts) if parts else np.zeros(0, np.int32)
    rows = stream[:len(stream) // body * body].reshape(-1, body)
    cls = np.full((len(rows), 1), tokenizer.cls_token_id, np.int32)
    rows = np.concatenate([cls, rows, np.full_like(cls, sep)], axis=1)
    return Dataset.from_dict({'input_ids': rows})


def unlabeled_texts(spec, size, seed=0, text_column=None, text_pair_column=None, unit='text'):
    """text (and text_pair) of a pool: the train split of a task, a pool name
    ('imdb/unsupervised', 'qqp'), a hub name (its local copy, else the hub) or a
    local file or folder (a table, .txt, a folder of one file per text), labels
    dropped or absent: the inputs of a transfer set. unit='sentence' splits
    every text into sentences first and draws `size` sentences (pairs cannot be
    split)."""
    if unit == 'text':
        return _texts(spec, size, seed, text_column, text_pair_column)
    if unit != 'sentence':
        raise DataError(f'unknown transfer unit {unit!r}; valid: {", ".join(TRANSFER_UNITS)}')
    from datasets import Dataset
    ds = _texts(spec, None, seed, text_column, text_pair_column)
    if any(p is not None for p in ds['text_pair'][:100]):
        raise DataError(f'pool {spec!r} has text pairs, which cannot be split into sentences; '
                        f"use transfer_unit 'text'")
    sentences = [s for t in ds['text'] for s in split_sentences(t)]
    order = np.random.default_rng(seed).permutation(len(sentences))[:size]
    return Dataset.from_dict({'text': [sentences[i] for i in order], 'text_pair': [None] * len(order)})


TRANSFER_UNITS = ('text', 'sentence')
# a sentence ends at . ! or ? (and closing quotes or brackets) before a space and
# a capital, a digit or a quote; HTML line breaks (IMDB's <br />) end one too
_SENTENCE_END = re.compile(r'(?<=[.!?])["\')\]]*\s+(?=["\'(\[]?[A-Z0-9])')
_BREAKS = re.compile(r'<br\s*/?>', re.I)


def split_sentences(text, min_words=3, max_words=60):
    """The sentences of a text, by punctuation (no model: a regular expression,
    so 50,000 reviews split in seconds); fragments under `min_words` words and
    run-ons over `max_words` are dropped."""
    out = []
    for block in _BREAKS.split(text):
        for s in _SENTENCE_END.split(block.strip()):
            n = len(s.split())
            if min_words <= n <= max_words:
                out.append(s.strip())
    return out


@dataclass
class TransferSet:
    """Unlabeled task-like inputs to distil on: which pool, how many, which domain.

    pool: 'world/<task>' (the world generates `size` inputs from `domain`),
          a name ('imdb', 'imdb/unsupervised', 'qqp', any hub name: its local
          copy first) or a local file or folder (its train split; labels, if
          any, are dropped).
    text_column, text_pair_column: the pool's columns (else guessed).
    The key identifies the inputs for the teacher-output cache."""
    pool: str
    size: int
    domain: str = 'movies'
    seed: int = 0
    texts: object = field(default=None, repr=False)
    text_column: str = None
    text_pair_column: str = None
    unit: str = 'text'           # 'sentence': the pool's texts split into sentences first

    def __post_init__(self):
        if self.size <= 0:
            raise DataError(f'transfer set size must be positive, got {self.size}')
        if self.unit not in TRANSFER_UNITS:
            raise DataError(f'unknown transfer unit {self.unit!r}; valid: {", ".join(TRANSFER_UNITS)}')

    def load(self):
        from datasets import Dataset
        if self.texts is None:
            if self.pool.startswith('world/'):
                task = self.pool.split('/', 1)[1]
                if task not in world.TASKS:
                    raise DataError(f'unknown world pool {self.pool!r}; valid: {", ".join(WORLD_TASKS)}')
                self.texts = Dataset.from_dict(world.transfer_pool(task, self.size, self.domain,
                                                                   seed=1000 + self.seed))
            else:
                self.texts = unlabeled_texts(self.pool, self.size, self.seed,
                                             self.text_column, self.text_pair_column, self.unit)
        return self.texts

    @property
    def key(self):
        columns = {k: getattr(self, k) for k in ('text_column', 'text_pair_column')
                   if getattr(self, k)}  # only when given: older keys stay as they were
        if self.unit != 'text':
            columns['unit'] = self.unit
        return json.dumps({'pool': self.pool, 'size': self.size, 'domain': self.domain,
                           'seed': self.seed, **columns}, sort_keys=True)


# -----------------------------------------------------------------------------
# name resolution: can a stage load this name? Checked for every stage of a
# plan before the first one trains (minilab.stages.Plan.check), following the
# loaders above: a world name must be known, a local path must exist (a name
# that exists locally is a path, with or without a slash), and any other name
# has a copy in the data directory (minilab.hubdata) or is a hub name, which
# must be reachable -- offline, in the local cache.

LOCAL_DATA = ('a local CSV/TSV/JSON(L)/Parquet/txt file or folder, or a name with a copy in '
              'the data directory (MINILAB_DATA)')
TOKENIZER_FILES = ('tokenizer.json', 'tokenizer_config.json', 'vocab.txt')
_TRUE = ('1', 'true', 'yes', 'on')


def offline_variable(datasets=False):
    """The environment variable that keeps the hub offline ('HF_HUB_OFFLINE',
    or for datasets also 'HF_DATASETS_OFFLINE'), None when online."""
    for name in (('HF_HUB_OFFLINE', 'HF_DATASETS_OFFLINE') if datasets else ('HF_HUB_OFFLINE',)):
        if os.environ.get(name, '').strip().lower() in _TRUE:
            return name
    return None


def hub_reason(repo_id, repo_type='model', config_name=None, files=()):
    """None when the hub can give `repo_id`, else why not, in a few words.

    Offline: a model or tokenizer is there when the hub cache holds one of
    `files`, a dataset when `datasets` finds it in its cache (no network).
    Online: one repository-existence request; nothing is downloaded."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        return 'not a valid hub name'
    variable = offline_variable(datasets=repo_type == 'dataset')
    if variable:
        return None if _in_hub_cache(repo_id, repo_type, config_name, files) else f'offline: {variable}=1'
    from huggingface_hub import HfApi
    try:
        return None if HfApi().repo_exists(repo_id, repo_type=repo_type) else f'no such {repo_type} on the hub'
    except Exception as err:  # no network, a proxy, a timeout
        return f'the hub is unreachable: {type(err).__name__}'


def _in_hub_cache(repo_id, repo_type, config_name, files):
    if repo_type == 'dataset':
        from datasets import load_dataset_builder
        try:
            load_dataset_builder(repo_id, config_name)  # offline: the cached copy or an error
            return True
        except Exception:
            return False
    from huggingface_hub import try_to_load_from_cache
    return any(isinstance(try_to_load_from_cache(repo_id, f), str) for f in files)


def _unreachable(what, spec, why, valid):
    return DataError(f'{what} {spec!r} is neither a local path nor reachable on the hub ({why}); '
                     f'valid offline: {valid}')


def _check_local_data(what, spec, valid, need_train=True):
    """A local data file or folder that minilab.reading can read (a task's needs a train split)."""
    path = Path(spec).expanduser()
    if not path.exists():
        if reading.data_suffix(path) == ('.txt', False) and what == 'LM corpus':
            raise DataError(f'{what} {spec!r} is not a local file (no such file); valid offline: {valid}')
        raise DataError(f'{what} {spec!r} is not a local path (no such file or folder); valid offline: {valid}')
    if path.is_file():
        if reading.data_suffix(path) is None:
            raise DataError(f'{what} {spec!r} is not a data file; valid extensions: '
                            f'{reading.valid_extensions()}')
        return
    listed = ', '.join(p.name for p in sorted(path.iterdir()) if not p.name.startswith('.')) or 'nothing'
    try:
        parts = reading.layout(path)
    except DataError as err:
        if 'has no train file' not in str(err):
            raise DataError(f'{what} {err}') from None
        parts = {}
    if not parts or (need_train and 'train' not in parts):
        raise DataError(f'{what} folder {spec!r} has no train.csv/.tsv/.json/.jsonl/.parquet/.txt '
                        f'(or .gz), train/ folder or class folders of .txt files; found: {listed}')


def _check_name(what, spec, where, valid):
    """A name resolves to its copy in the data directory, or the hub can give it."""
    if where.kind == 'copy':
        return
    tries = _hub_tries(spec, where)
    if tries[0].get('path') is None:
        raise DataError(f'{what} {spec!r} has no hub copy and {hubdata.no_copy_message(where)}')
    reasons = []
    for known in tries:  # any one the hub can give, as _load_hub tries them in turn
        reasons.append(hub_reason(known['path'], 'dataset', known.get('name')))
        if reasons[-1] is None:
            return
    raise _unreachable(what, spec, reasons[0], valid)  # why the name itself failed


def resolve_task(spec, domain=None, world_tasks=None):
    """Raise DataError (one line) unless `spec` names a labeled task that
    load_task can load: a world task (and, if given, a world domain), a
    local file or folder, a name with a copy in the data directory, or a
    dataset the hub can give. world_tasks: the world's task names the stage
    knows (default WORLD_TASKS)."""
    world_tasks = list(world_tasks or WORLD_TASKS)
    valid = f'{", ".join(world_tasks)} or {LOCAL_DATA}'
    if not isinstance(spec, str) or not spec:
        raise DataError(f'task {spec!r} is not a name; valid offline: {valid}')
    if spec.startswith('world/'):
        if spec not in world_tasks:
            raise DataError(f'unknown world task {spec!r}; valid: {", ".join(world_tasks)}')
        if domain is not None and domain not in world.DOMAINS:
            raise DataError(f'unknown domain {domain!r} of {spec}; valid: {", ".join(world.DOMAIN_ORDER)}')
        return spec
    where = hubdata.locate(spec)
    if where.kind == 'path':
        _check_local_data('task', spec, valid)
    else:
        _must_be_a_task(where, world_tasks)
        _check_name('task', spec, where, valid)
    return spec


def resolve_pool(pool, domain=None):
    """Raise DataError unless TransferSet(pool, domain=domain) can load its inputs."""
    valid = f'{", ".join(WORLD_TASKS)} or {LOCAL_DATA}'
    if not isinstance(pool, str) or not pool:
        raise DataError(f'transfer pool {pool!r} is not a name; valid offline: {valid}')
    if pool.startswith('world/'):
        if pool not in WORLD_TASKS:
            raise DataError(f'unknown world pool {pool!r}; valid: {", ".join(WORLD_TASKS)}')
        if domain is not None and domain not in world.DOMAINS and domain != 'lm':
            raise DataError(f'unknown transfer domain {domain!r} of {pool}; '
                            f'valid: {", ".join(world.DOMAIN_ORDER)}, lm')
        return pool
    return _resolve_unlabeled('transfer pool', pool, valid)


def resolve_corpus(source):
    """Raise DataError unless lm_corpus(source) can load it (every source of a mix)."""
    valid = (f"'world', a .txt file (one document a line) or {LOCAL_DATA} with a text column; "
             f"several joined by {MIX_SEPARATOR!r}")
    if isinstance(source, (list, tuple)) and source:
        sources = corpus_sources(source)
    elif not isinstance(source, str) or not source:
        raise DataError(f'LM corpus {source!r} is not a name; valid offline: {valid}')
    else:
        sources = corpus_sources(source)
    for name in sources:
        if name != 'world':
            _resolve_unlabeled('LM corpus', name, valid)
    return source


def _resolve_unlabeled(what, name, valid):
    """A local file/folder of texts, or a name with a copy in the data directory or on the hub."""
    where = hubdata.locate(name)
    if where.kind == 'path':
        _check_local_data(what, name, valid, need_train=False)
    else:
        _check_name(what, name, where, valid)
    return name


def resolve_tokenizer(name_or_path):
    """Raise DataError unless load_tokenizer(name_or_path) can load it."""
    valid = "'world', a folder saved with save_pretrained or a hub tokenizer in the local cache"
    if not isinstance(name_or_path, str) or not name_or_path:
        raise DataError(f'tokenizer {name_or_path!r} is not a name; valid offline: {valid}')
    if name_or_path == 'world':
        return name_or_path
    path = Path(packaged.model_source(name_or_path))
    if path.exists():
        if not path.is_dir() or not any((path / f).is_file() for f in TOKENIZER_FILES):
            raise DataError(f'tokenizer {name_or_path!r} is not a folder with tokenizer files '
                            f'({", ".join(TOKENIZER_FILES)}); valid offline: {valid}')
        return name_or_path
    why = hub_reason(name_or_path, 'model', files=TOKENIZER_FILES)
    if why:
        raise _unreachable('tokenizer', name_or_path, why, valid)
    return name_or_path
