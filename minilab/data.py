"""Data: the offline world, real datasets (hub names or local files), tokenizers,
and unlabeled transfer sets.

    from minilab import data
    task = data.load_task('world/sentiment')           # offline world (default)
    task = data.load_task('glue/sst2')                 # hub name (needs a network)
    task = data.load_task('path/to/SST-2')             # a GLUE-style folder of TSVs
    task = data.load_task('reviews.csv', text_column='review', label_column='stars')
    tok = data.load_tokenizer('world')                 # WordPiece trained offline
    tok = data.load_tokenizer('bert-base-uncased')     # any hub name or local folder
    transfer = data.TransferSet('world/sentiment', size=8000, domain='books')

A task is a `TaskData` of three `datasets.Dataset`s (train, dev, test) with the
columns text, text_pair (None for single sentences) and label (int). Model
selection uses dev only; where a dataset has no labeled test split (GLUE), its
official validation split becomes test and dev is held out from train.
"""
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from minilab import paths, world


class DataError(ValueError):
    """Bad data input; the message is one line naming the value and the choices."""


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

    @property
    def num_labels(self):
        return len(self.label_names)

    @property
    def is_pair(self):
        return self.train[0]['text_pair'] is not None


def load_task(spec, train_size=None, dev_size=None, test_size=None, seed=0,
              domain='movies', text_column=None, text_pair_column=None,
              label_column='label', label_names=None):
    """A labeled task by name: 'world/<task>', a known hub name, or a local path.

    Sizes subsample (deterministically, by seed) for quick runs; the world
    generates exactly that many."""
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
    else:
        raw, columns = _load_local(spec)
    columns = dict(columns)
    if text_column:
        columns['text'] = text_column
    if text_pair_column:
        columns['text_pair'] = text_pair_column
    columns.setdefault('label', label_column)
    task = _standardise(spec, raw, columns, label_names, seed)
    sizes = {'train': train_size, 'dev': dev_size, 'test': test_size}
    for split, n in sizes.items():
        ds = getattr(task, split)
        if n is not None and n < len(ds):
            setattr(task, split, ds.shuffle(seed=seed).select(range(n)))
    return task


def _looks_local(spec):
    # 'owner/dataset' is a hub name; a path must exist, start like one or
    # carry a data file extension
    return Path(spec).exists() or spec.startswith(('.', '/', '~')) \
        or Path(spec).suffix in ('.csv', '.tsv', '.json', '.jsonl', '.parquet', '.txt')


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


_SPLIT_NAMES = {'train': ['train'], 'dev': ['dev', 'validation', 'valid', 'dev_matched'],
                'test': ['test', 'test_matched']}
_FORMATS = {'.csv': 'csv', '.tsv': 'csv', '.json': 'json', '.jsonl': 'json',
            '.parquet': 'parquet'}


def _load_local(spec):
    """A file (train only; dev and test are held out of it) or a folder of
    train/dev/test files in one format (GLUE-style dev.tsv, validation.jsonl...)."""
    from datasets import load_dataset
    path = Path(spec)
    if not path.exists():
        raise DataError(f'data path {spec!r} does not exist')
    if path.is_dir():
        files = {}
        for split, names in _SPLIT_NAMES.items():
            for name in names:
                hits = [p for p in sorted(path.iterdir()) if p.stem == name and p.suffix in _FORMATS]
                if hits:
                    files[split] = hits[0]
                    break
        if 'train' not in files:
            raise DataError(f'folder {spec!r} has no train.csv/.tsv/.json/.jsonl/.parquet; '
                            f'found: {", ".join(p.name for p in sorted(path.iterdir())) or "nothing"}')
    else:
        if path.suffix not in _FORMATS:
            raise DataError(f'unsupported data file {spec!r}; valid extensions: {", ".join(_FORMATS)}')
        files = {'train': path}
    suffixes = {p.suffix for p in files.values()}
    if len({_FORMATS[s] for s in suffixes}) > 1:
        raise DataError(f'folder {spec!r} mixes formats {sorted(suffixes)}; use one')
    suffix = next(iter(suffixes))
    kwargs = {}
    if suffix == '.tsv':  # GLUE TSVs contain unbalanced quotes: read them raw
        kwargs = dict(delimiter='\t', quoting=3)
    try:
        raw = load_dataset(_FORMATS[suffix], data_files={k: str(v) for k, v in files.items()},
                           **kwargs)
    except Exception as err:
        raise DataError(f'could not read {spec!r} as {_FORMATS[suffix]}: '
                        f'{str(err).splitlines()[0] if str(err) else type(err).__name__}') from None
    cols = raw['train'].column_names
    guess = {}
    for key, names in [('text', ['text', 'sentence', 'sentence1', 'premise', 'question',
                                 'content', 'review']),
                       ('text_pair', ['text_pair', 'sentence2', 'hypothesis'])]:
        found = [c for c in names if c in cols]
        if found:
            guess[key] = found[0]
    if 'label' not in cols:
        found = [c for c in ['gold_label', 'labels', 'class', 'y'] if c in cols]
        if found:
            guess['label'] = found[0]
    return raw, guess


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
    feature = train.features.get(columns['label'])
    if label_names is None:
        if isinstance(feature, ClassLabel):
            label_names = list(feature.names)
        else:
            values = sorted({v for v in train[columns['label']] if v not in (None, -1, '', '-')},
                            key=str)
            label_names = [str(v) for v in values]
    index = {name: i for i, name in enumerate(label_names)}

    def convert(batch):
        labels = []
        for v in batch[columns['label']]:
            if isinstance(v, int) and not isinstance(feature, ClassLabel) and str(v) in index:
                v = index[str(v)]
            elif not isinstance(v, int):
                v = index.get(str(v), -1)
            labels.append(v)
        pair = batch[columns['text_pair']] if columns.get('text_pair') else [None] * len(labels)
        return {'text': [str(t) for t in batch[columns['text']]], 'text_pair': pair,
                'label': labels}

    out = {}
    # explicit features: without them a string column named 'label' keeps its
    # string type and the converted ids come back as '0', '1'
    features = Features({'text': Value('string'), 'text_pair': Value('string'),
                         'label': Value('int64')})
    for name, ds in splits.items():
        ds = ds.map(convert, batched=True, remove_columns=ds.column_names, features=features)
        out[name] = ds.filter(lambda b: [y >= 0 for y in b['label']], batched=True)
    test_name = columns.get('test_split', 'test')
    test = out.get(test_name) if test_name in out and len(out[test_name]) else None
    dev = out.get('dev') if 'dev' in out and test_name != 'dev' else None
    if test_name != 'validation' and dev is None and 'validation' in out:
        dev = out['validation']
    train = out['train']
    if dev is None:  # hold dev out of train so that test is never used for selection
        parts = train.train_test_split(test_size=DEV_FRACTION, seed=seed)
        train, dev = parts['train'], parts['test']
    if test is None:
        parts = train.train_test_split(test_size=DEV_FRACTION, seed=seed + 1)
        train, test = parts['train'], parts['test']
    return TaskData(spec, train, dev, test, label_names)


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


def lm_corpus(source='world', size=100_000, seed=0):
    """Unlabeled text for MLM pre-training: the world's LM corpus, or a hub
    name / local text file (one document per line, or a 'text' column)."""
    from datasets import Dataset, load_dataset
    if source == 'world':
        return Dataset.from_dict({'text': world.lm_corpus(size, seed=seed),
                                  'text_pair': [None] * size})
    path = Path(source)
    try:
        if path.suffix == '.txt':
            ds = load_dataset('text', data_files=str(path))['train']
        elif path.exists() or _looks_local(source):
            ds = _load_local(source)[0]['train']
        else:
            ds = load_dataset(source, split='train')
    except DataError:
        raise
    except Exception as err:
        raise DataError(f'LM corpus {source!r} could not be loaded ({type(err).__name__}); '
                        f"valid offline: 'world', a .txt file or a local CSV/JSON file") from None
    if 'text' not in ds.column_names:
        raise DataError(f'LM corpus {source!r} has no text column; columns: {", ".join(ds.column_names)}')
    ds = ds.filter(lambda b: [bool(t and t.strip()) for t in b['text']], batched=True)
    if size and size < len(ds):
        ds = ds.shuffle(seed=seed).select(range(size))
    return ds.select_columns(['text']).map(lambda b: {'text_pair': [None] * len(b['text'])},
                                           batched=True)


def unlabeled_texts(spec, size, seed=0):
    """text (and text_pair) of the train split of a hub dataset or a local
    file/folder, labels dropped or absent: the inputs of a transfer set."""
    if spec in HUB_TASKS or not _looks_local(spec):
        raw, columns = _load_hub(spec)
    else:
        raw, columns = _load_local(spec)
    train = raw['train']
    cols = train.column_names
    text = columns.get('text')
    if text is None or text not in cols:
        raise DataError(f'no text column found in {spec!r}; columns: {", ".join(cols)}')
    pair = columns.get('text_pair') if columns.get('text_pair') in cols else None
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
    The key identifies the inputs for the teacher-output cache."""
    pool: str
    size: int
    domain: str = 'movies'
    seed: int = 0
    texts: object = field(default=None, repr=False)

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
                self.texts = unlabeled_texts(self.pool, self.size, self.seed)
        return self.texts

    @property
    def key(self):
        return json.dumps({'pool': self.pool, 'size': self.size, 'domain': self.domain,
                           'seed': self.seed}, sort_keys=True)


# -----------------------------------------------------------------------------
# name resolution: can a stage load this name? Checked for every stage of a
# plan before the first one trains (minilab.stages.Plan.check), following the
# loaders above: a world name must be known, a local path must exist (a name
# that exists locally is a path, with or without a slash), and any other name
# is a hub name, which must be reachable -- offline, in the local cache.

LOCAL_DATA = 'a local CSV/TSV/JSON(L)/Parquet file or folder'
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


def _hub_dataset(spec):
    """(path, config name) that _load_hub passes to datasets.load_dataset."""
    known = HUB_TASKS.get(spec)
    if known is not None:
        return known['path'], known.get('name')
    if spec.count('/') == 1:
        return tuple(spec.split('/', 1))
    return spec, None


def _unreachable(what, spec, why, valid):
    return DataError(f'{what} {spec!r} is neither a local path nor reachable on the hub ({why}); '
                     f'valid offline: {valid}')


def _check_local_data(what, spec, valid):
    """A local data file or folder that _load_local can read."""
    path = Path(spec)
    if not path.exists():
        raise DataError(f'{what} {spec!r} is not a local path (no such file or folder); valid offline: {valid}')
    if path.is_dir():
        if not any(p.stem == 'train' and p.suffix in _FORMATS for p in path.iterdir()):
            raise DataError(f'{what} folder {spec!r} has no train.csv/.tsv/.json/.jsonl/.parquet; '
                            f'found: {", ".join(p.name for p in sorted(path.iterdir())) or "nothing"}')
    elif path.suffix not in _FORMATS:
        raise DataError(f'{what} {spec!r} is not a data file; valid extensions: {", ".join(_FORMATS)}')


def resolve_task(spec, domain=None, world_tasks=None):
    """Raise DataError (one line) unless `spec` names a labeled task that
    load_task can load: a world task (and, if given, a world domain), a
    local file or folder, or a dataset the hub can give. world_tasks: the
    world's task names the stage knows (default WORLD_TASKS)."""
    world_tasks = list(world_tasks or WORLD_TASKS)
    valid = f'{", ".join(world_tasks)} or {LOCAL_DATA}'
    if not isinstance(spec, str) or not spec:
        raise DataError(f'task {spec!r} is not a name; valid offline: {valid}')
    if spec.startswith('world/'):
        if spec not in world_tasks:
            raise DataError(f'unknown world task {spec!r}; valid: {", ".join(world_tasks)}')
        if domain is not None and domain not in world.DOMAINS:
            raise DataError(f'unknown domain {domain!r} of {spec}; valid: {", ".join(world.DOMAIN_ORDER)}')
    elif spec in HUB_TASKS or not _looks_local(spec):
        path, name = _hub_dataset(spec)
        why = hub_reason(path, 'dataset', name)
        if why:
            raise _unreachable('task', spec, why, valid)
    else:
        _check_local_data('task', spec, valid)
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
    elif pool in HUB_TASKS or not _looks_local(pool):
        path, name = _hub_dataset(pool)
        why = hub_reason(path, 'dataset', name)
        if why:
            raise _unreachable('transfer pool', pool, why, valid)
    else:
        _check_local_data('transfer pool', pool, valid)
    return pool


def resolve_corpus(source):
    """Raise DataError unless lm_corpus(source) can load it."""
    valid = f"'world', a .txt file (one document a line) or {LOCAL_DATA} with a text column"
    if not isinstance(source, str) or not source:
        raise DataError(f'LM corpus {source!r} is not a name; valid offline: {valid}')
    if source == 'world':
        return source
    path = Path(source)
    if path.suffix == '.txt':
        if not path.is_file():
            raise DataError(f'LM corpus {source!r} is not a local file (no such file); valid offline: {valid}')
    elif path.exists() or _looks_local(source):
        _check_local_data('LM corpus', source, valid)
    else:
        why = hub_reason(source, 'dataset')
        if why:
            raise _unreachable('LM corpus', source, why, valid)
    return source


def resolve_tokenizer(name_or_path):
    """Raise DataError unless load_tokenizer(name_or_path) can load it."""
    valid = "'world', a folder saved with save_pretrained or a hub tokenizer in the local cache"
    if not isinstance(name_or_path, str) or not name_or_path:
        raise DataError(f'tokenizer {name_or_path!r} is not a name; valid offline: {valid}')
    if name_or_path == 'world':
        return name_or_path
    path = Path(name_or_path)
    if path.exists():
        if not path.is_dir() or not any((path / f).is_file() for f in TOKENIZER_FILES):
            raise DataError(f'tokenizer {name_or_path!r} is not a folder with tokenizer files '
                            f'({", ".join(TOKENIZER_FILES)}); valid offline: {valid}')
        return name_or_path
    why = hub_reason(name_or_path, 'model', files=TOKENIZER_FILES)
    if why:
        raise _unreachable('tokenizer', name_or_path, why, valid)
    return name_or_path
