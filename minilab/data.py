"""Data: the offline world, real datasets (hub names or local files), tokenizers,
and unlabeled transfer sets.

    from minilab import data
    task = data.load_task('world/sentiment')           # offline world (default)
    task = data.load_task('glue/sst2')                 # hub name (needs a network)
    task = data.load_task('path/to/SST-2')             # a GLUE-style folder of TSVs
    task = data.load_task('reviews.csv', text_column='review', label_column='stars')
    task = data.load_task('aclImdb')                   # train/pos/*.txt, train/neg/*.txt, test/...
    tok = data.load_tokenizer('world')                 # WordPiece trained offline
    tok = data.load_tokenizer('bert-base-uncased')     # any hub name or local folder
    transfer = data.TransferSet('world/sentiment', size=8000, domain='books')
    transfer = data.TransferSet('reviews.txt.gz', size=8000)   # one text a line
    corpus = data.lm_corpus('sentences.tsv', text_column='sentence')

A task is a `TaskData` of three `datasets.Dataset`s (train, dev, test) with the
columns text, text_pair (None for single sentences) and label (int). Model
selection uses dev only; where a dataset has no labeled test split (GLUE), its
official validation split becomes test and dev is held out from train.
Local files and folders are read by `minilab.reading` (each file on its own,
its columns guessed per file); `TaskData.sources` says which split came from where.
"""
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from minilab import paths, reading, world
from minilab.reading import DataError  # noqa: F401  (bad data input: a one-line message)


# -----------------------------------------------------------------------------
# known hub datasets: where the text and label live, and which splits to use

HUB_TASKS = {
    'glue/sst2': dict(path='glue', name='sst2', text='sentence', test='validation'),
    'glue/mnli': dict(path='glue', name='mnli', text='premise', text_pair='hypothesis',
                      test='validation_matched'),
    'glue/qnli': dict(path='glue', name='qnli', text='question', text_pair='sentence',
                      test='validation'),
    'glue/rte': dict(path='glue', name='rte', text='sentence1', text_pair='sentence2',
                     test='validation'),
    'glue/mrpc': dict(path='glue', name='mrpc', text='sentence1', text_pair='sentence2',
                      test='validation'),
    'glue/qqp': dict(path='glue', name='qqp', text='question1', text_pair='question2',
                     test='validation'),
    'glue/cola': dict(path='glue', name='cola', text='sentence', test='validation'),
    'imdb': dict(path='imdb', text='text', test='test'),
    'ag_news': dict(path='ag_news', text='text', test='test'),
    'dbpedia_14': dict(path='dbpedia_14', text='content', test='test'),
    'amazon_polarity': dict(path='amazon_polarity', text='content', test='test'),
    'yelp_polarity': dict(path='yelp_polarity', text='text', test='test'),
}
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
    if spec in HUB_TASKS or not _looks_local(spec):
        raw, columns = _load_hub(spec)
        columns = dict(columns)
        if text_column:
            columns['text'] = text_column
        if text_pair_column:
            columns['text_pair'] = text_pair_column
        columns.setdefault('label', label_column or 'label')
    else:
        raw, columns = _load_local(spec, text_column, text_pair_column, label_column)
    task = _standardise(spec, raw, columns, label_names, seed)
    sizes = {'train': train_size, 'dev': dev_size, 'test': test_size}
    for split, n in sizes.items():
        ds = getattr(task, split)
        if n is not None and n < len(ds):
            setattr(task, split, ds.shuffle(seed=seed).select(range(n)))
    return task


def _looks_local(spec):
    # 'owner/dataset' is a hub name; a path exists (with or without a slash),
    # starts like one or carries a data file extension
    return reading.is_local(spec)


def _load_hub(spec):
    from datasets import load_dataset
    known = HUB_TASKS.get(spec)
    if known is None:
        path, name = (spec.split('/', 1) + [None])[:2] if '/' in spec and spec.count('/') == 1 \
            else (spec, None)
        known = dict(path=path, name=name, text='text')
    try:
        raw = load_dataset(known['path'], known.get('name'))
    except Exception as err:  # offline, unknown name, no such config
        offline = os.environ.get('HF_DATASETS_OFFLINE') == '1' or os.environ.get('HF_HUB_OFFLINE') == '1'
        why = 'the hub is unreachable (offline)' if offline or 'connect' in str(err).lower() \
            or 'offline' in str(err).lower() else f'{type(err).__name__}: {str(err).splitlines()[0]}'
        raise DataError(f'dataset {spec!r} is not a local path and could not be loaded: {why}; '
                        f'valid offline: {", ".join(WORLD_TASKS)} or a local '
                        f'CSV/TSV/JSON(L)/Parquet file or folder') from None
    columns = {'text': known['text'], 'test_split': known.get('test', 'test')}
    if known.get('text_pair'):
        columns['text_pair'] = known['text_pair']
    return raw, columns


def _load_local(spec, text_column=None, text_pair_column=None, label_column=None):
    """A file (train only; dev and test are held out of it) or a folder of
    train/dev/test files, each file read on its own (`minilab.reading`)."""
    got = reading.read(spec, ['train', 'dev', 'test'], text_column, text_pair_column,
                       label_column)
    if not got.labeled['train']:
        raise DataError(f'{spec!r} has no labels in train ({got.origin["train"]}); a task needs '
                        f'them (unlabeled texts can be a transfer pool or an LM corpus)')
    columns = {'text': 'text', 'text_pair': 'text_pair' if got.pair else None, 'label': 'label',
               'origin': got.origin}
    if not got.labeled.get('test', True) and got.labeled.get('dev'):
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
    if label_names is None:
        label_names = list(feature.names) if class_ids else \
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
    unused = [f'{origin[s]} ({"no labels" if len(splits[s]) and not len(out[s]) else "not used"})'
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
        return AutoTokenizer.from_pretrained(name_or_path)
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


def lm_corpus(source='world', size=100_000, seed=0, text_column=None):
    """Unlabeled text for MLM pre-training: the world's LM corpus, a hub name, or
    a local file or folder: .txt (one text a line, also .gz), a folder of one
    file per text, or any table (its text column given or guessed)."""
    from datasets import Dataset, load_dataset
    if source == 'world':
        return Dataset.from_dict({'text': world.lm_corpus(size, seed=seed),
                                  'text_pair': [None] * size})
    if _looks_local(source):
        ds = reading.read_texts(source, text_column=text_column)[0]
    else:
        try:
            ds = load_dataset(source, split='train')
        except Exception as err:
            raise DataError(f'LM corpus {source!r} could not be loaded ({type(err).__name__}); '
                            f"valid offline: 'world', a .txt file or a local CSV/JSON file") from None
        text = reading.choose_columns(ds.column_names, repr(source), text_column,
                                      want_label=False)['text']
        ds = ds.select_columns([text]).rename_columns({text: 'text'}) if text != 'text' else ds
    ds = ds.filter(lambda b: [bool(t and t.strip()) for t in b['text']], batched=True)
    if size and size < len(ds):
        ds = ds.shuffle(seed=seed).select(range(size))
    return ds.select_columns(['text']).map(lambda b: {'text_pair': [None] * len(b['text'])},
                                           batched=True)


def unlabeled_texts(spec, size, seed=0, text_column=None, text_pair_column=None):
    """text (and text_pair) of the train split of a hub dataset or a local
    file/folder (a table, .txt, a folder of one file per text), labels dropped
    or absent: the inputs of a transfer set."""
    if spec in HUB_TASKS or not _looks_local(spec):
        raw, columns = _load_hub(spec)
        train = raw['train']
        cols = train.column_names
        text = text_column or columns.get('text')
        if text is None or text not in cols:
            raise DataError(f'no text column found in {spec!r}; columns: {", ".join(cols)}')
        pair = text_pair_column or columns.get('text_pair')
        pair = pair if pair in cols else None
    else:
        train = reading.read_texts(spec, text_column=text_column,
                                   text_pair_column=text_pair_column)[0]
        cols, text, pair = train.column_names, 'text', 'text_pair'
    if size and size < len(train):
        train = train.shuffle(seed=seed).select(range(size))
    return train.map(lambda b: {'text': [str(t) for t in b[text]],
                                'text_pair': b[pair] if pair else [None] * len(b[text])},
                     batched=True, remove_columns=cols)


@dataclass
class TransferSet:
    """Unlabeled task-like inputs to distil on: which pool, how many, which domain.

    pool: 'world/<task>' (the world generates `size` inputs from `domain`),
          or a hub name / local file or folder (its train split; labels, if
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

    def __post_init__(self):
        if self.size <= 0:
            raise DataError(f'transfer set size must be positive, got {self.size}')

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
                                             self.text_column, self.text_pair_column)
        return self.texts

    @property
    def key(self):
        columns = {k: getattr(self, k) for k in ('text_column', 'text_pair_column')
                   if getattr(self, k)}  # only when given: older keys stay as they were
        return json.dumps({'pool': self.pool, 'size': self.size, 'domain': self.domain,
                           'seed': self.seed, **columns}, sort_keys=True)
