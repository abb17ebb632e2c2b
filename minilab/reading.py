"""Read a user's files: tables, plain text and folders of them, each file on its own.

    from minilab import reading
    got = reading.read('path/to/SST-2')            # train/dev/test files, columns guessed per file
    got.splits['dev']                              # a datasets.Dataset: text, text_pair, label
    got.origin, got.columns, got.labeled           # which file is which split, read how
    texts = reading.read_texts('reviews.txt.gz')   # text, text_pair: a corpus or a transfer pool

What is read:

- a table: .csv, .tsv (GLUE's TSVs: tab-separated, quotes kept as they are),
  .json (a list of records, or JSON lines), .jsonl, .parquet; csv, tsv, json,
  jsonl and txt may also be .gz compressed. The first row of a csv/tsv is its header.
- plain text, .txt or .txt.gz: one text a line, blank lines dropped. A file whose
  lines are all JSON strings ("...", with \\" escapes) is decoded line by line.
- a folder of split files: train.*, dev.* (or validation, valid, val, dev_matched),
  test.* (or test_matched), unsup.* (or unsupervised, unlabeled); the formats may
  differ from file to file.
- a folder of one file per text (the aclImdb layout): train/pos/*.txt,
  train/neg/*.txt, test/..., train/unsup/*.txt. Each subfolder is a class named
  by the subfolder; unsup/unsupervised/unlabeled subfolders hold unlabeled texts
  (the 'unsup' split). A folder of class subfolders without split folders is
  train; a folder of .txt files only holds unlabeled texts, one file each.

Each file gets its own column guess (`TEXT_COLUMNS`, `PAIR_COLUMNS`,
`LABEL_COLUMNS`, compared without case), so a train file of `label, sentence`
and a dev file of `label, content` read alike. A column given by name must be in
the first file read (train) and is used in every other file that has it; a file
without it gets the guess. Labels are kept as strings here ('' where a row has
none); `label_ids` maps them to ids. A label of '', '-' or '-1' (the hub's
convention) means no label, unless the label names include it; a split whose
rows all lack labels (GLUE's test.tsv) is unlabeled.

Every error is a `DataError` of one line: which file, and the reading library's
own message.
"""
import csv
import gzip
import io
import json
from dataclasses import dataclass, field
from pathlib import Path


class DataError(ValueError):
    """Bad data input; the message is one line naming the value and the choices."""


FORMATS = {'.csv': 'csv', '.tsv': 'tsv', '.json': 'json', '.jsonl': 'jsonl',
           '.parquet': 'parquet', '.txt': 'txt'}
GZIPPED = ('.csv', '.tsv', '.json', '.jsonl', '.txt')  # may end in .gz
SPLITS = {  # the kit's split -> the file and folder names that mean it
    'train': ('train', 'training'),
    'dev': ('dev', 'validation', 'valid', 'val', 'dev_matched', 'validation_matched'),
    'test': ('test', 'test_matched', 'testing'),
    'unsup': ('unsup', 'unsupervised', 'unlabeled', 'unlabelled'),
}
PAIR_COLUMNS = [('text', 'text_pair'), ('sentence1', 'sentence2'), ('premise', 'hypothesis'),
                ('question1', 'question2'), ('question', 'sentence'), ('sentence_a', 'sentence_b'),
                ('text_a', 'text_b'), ('#1 string', '#2 string')]
TEXT_COLUMNS = ['text', 'sentence', 'content', 'review', 'review_text', 'review_body', 'document',
                'comment', 'tweet', 'question', 'premise', 'sentence1', 'sentence_a', 'text_a']
LABEL_COLUMNS = ['label', 'labels', 'gold_label', 'class', 'category', 'sentiment', 'polarity',
                 'is_duplicate', 'quality', 'target', 'y']
MISSING_LABELS = ('', '-', '-1')


def valid_extensions():
    return ', '.join(FORMATS) + ' (' + '/'.join(s[1:] for s in GZIPPED) + ' also .gz)'


def data_suffix(path):
    """('.tsv', False) for train.tsv, ('.jsonl', True) for train.jsonl.gz, None otherwise."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    gz = bool(suffixes) and suffixes[-1] == '.gz'
    if gz:
        suffixes = suffixes[:-1]
    if not suffixes or suffixes[-1] not in FORMATS or (gz and suffixes[-1] not in GZIPPED):
        return None
    return suffixes[-1], gz


def stem(path):
    """train for train.jsonl.gz"""
    name = Path(path).name
    found = data_suffix(name)
    if found is None:
        return name
    return name[:-len(found[0] + ('.gz' if found[1] else ''))]


def is_local(spec):
    """A path, whether or not it has a slash: it exists, starts like a path
    ('.', '/', '~') or ends in a data file extension; anything else is a name."""
    spec = str(spec)
    return Path(spec).expanduser().exists() or spec.startswith(('.', '/', '~')) \
        or data_suffix(spec) is not None


def canonical_split(name):
    """'dev' for 'validation', 'unsup' for 'unsupervised', None for other names."""
    name = name.lower()
    return next((split for split, names in SPLITS.items() if name in names), None)


# -----------------------------------------------------------------------------
# one file


def _first_line(err):
    msg = str(err).strip().splitlines()
    return f'{type(err).__name__}: {msg[0]}' if msg else type(err).__name__


def _open_text(path, gz):
    return gzip.open(path, 'rt', encoding='utf-8-sig') if gz else open(path, encoding='utf-8-sig')


def _rows_to_columns(rows):
    if rows and all(isinstance(r, str) for r in rows):
        return {'text': rows}
    bad = next((r for r in rows if not isinstance(r, dict)), None)
    if bad is not None:
        raise ValueError(f'expected records (JSON objects), found a {type(bad).__name__}')
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return {k: [r.get(k) for r in rows] for k in keys}


class JSONDecodeError(ValueError):
    """json's error with the line of the file, not of the one line parsed."""


def _read_jsonl(f):
    rows = []
    for i, line in enumerate(f, 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise JSONDecodeError(f'{err.msg}: line {i} column {err.colno}') from None
    return rows


def _read_json(f):
    text = f.read()
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as err:
        if err.msg != 'Extra data':
            raise
        return _read_jsonl(io.StringIO(text))  # JSON lines in a .json file
    if isinstance(obj, list):
        return obj
    if isinstance(obj, dict):
        lists = {k: v for k, v in obj.items() if isinstance(v, list)}
        if lists and len(lists) == len(obj) and len({len(v) for v in lists.values()}) == 1:
            n = len(next(iter(lists.values())))
            return [{k: v[i] for k, v in lists.items()} for i in range(n)]  # columns
        records = [v for v in lists.values() if v and isinstance(v[0], dict)]
        if len(records) == 1:  # {"data": [{...}, ...]}
            return records[0]
    raise ValueError('expected a list of records, columns of equal length or JSON lines')


def _read_txt(f):
    lines = [line.rstrip('\r') for line in f.read().split('\n')]
    lines = [line for line in lines if line.strip()]
    sample = lines[:50]
    if sample and all(len(s) > 1 and s[0] == '"' and s[-1] == '"' for s in sample):
        try:
            decoded = [json.loads(s) for s in sample]
        except json.JSONDecodeError:
            decoded = None
        if decoded and all(isinstance(s, str) for s in decoded):  # one JSON string a line
            try:
                return json.loads('[' + ','.join(lines) + ']')  # all at once: fast
            except json.JSONDecodeError:
                pass
            out = []
            for line in lines:
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    out.append(line)
            return [t if isinstance(t, str) else line for t, line in zip(out, lines)]
    return lines


def read_table(path):
    """{column: list of values} of one file, in the file's column order; a
    .txt file has the one column 'text'. Errors: one line, file and cause."""
    path = Path(path)
    found = data_suffix(path)
    if found is None:
        raise DataError(f'unsupported data file {str(path)!r}; valid extensions: {valid_extensions()}')
    suffix, gz = found
    fmt = FORMATS[suffix]
    try:
        if fmt in ('csv', 'tsv'):
            import pandas as pd
            kwargs = dict(sep='\t', quoting=csv.QUOTE_NONE) if fmt == 'tsv' else {}
            # GLUE's TSVs have unbalanced quotes: read them raw; every value as text
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False,
                             compression='gzip' if gz else None, encoding='utf-8-sig', **kwargs)
            return {str(c): df[c].tolist() for c in df.columns}
        if fmt == 'parquet':
            import pyarrow.parquet as pq
            return pq.read_table(path).to_pydict()
        with _open_text(path, gz) as f:
            if fmt == 'txt':
                return {'text': _read_txt(f)}
            rows = _read_jsonl(f) if fmt == 'jsonl' else _read_json(f)
        return _rows_to_columns(rows)
    except DataError:
        raise
    except Exception as err:  # the library's own message, on one line
        raise DataError(f'could not read {str(path)!r} as {fmt}{" (gzip)" if gz else ""}: '
                        f'{_first_line(err)}') from None


# -----------------------------------------------------------------------------
# which column is which


def _finder(columns):
    lower = {}
    for c in columns:
        lower.setdefault(str(c).strip().lower(), c)
    return lambda name: name if name in columns else lower.get(name.strip().lower())


def choose_columns(columns, where, text=None, text_pair=None, label=None, strict=True,
                   want_label=True):
    """{'text': col, 'text_pair': col or None, 'label': col or None} for a file
    with these columns. Given names must be there when strict; otherwise (or
    when not given) they are guessed. Raises DataError naming `where`."""
    find = _finder(columns)
    listed = ', '.join(map(str, columns)) or 'none'

    def given(name, key):
        col = find(name)
        if col is None and strict:
            raise DataError(f'column {name!r} not in {where}; columns: {listed}; pass {key}_column=')
        return col

    t = given(text, 'text') if text else None
    p = given(text_pair, 'text_pair') if text_pair else None
    if t is None and p is None and (text is None or text_pair is not None):
        for a, b in PAIR_COLUMNS:
            if find(a) is not None and find(b) is not None:
                t, p = find(a), find(b)
                break
    if t is None:
        t = next((find(c) for c in TEXT_COLUMNS if find(c) is not None and find(c) != p), None)
    if t is None and len(columns) == 1:
        t = columns[0]
    if t is None:
        tried = ', '.join(repr(c) for c in TEXT_COLUMNS)
        raise DataError(f'no text column found in {where} (tried {tried}); columns: {listed}; '
                        f'pass text_column=')
    lab = None
    if want_label:
        lab = given(label, 'label') if label else None
        if lab is None:
            lab = next((find(c) for c in LABEL_COLUMNS if find(c) not in (None, t, p)), None)
        if lab is None and strict:
            tried = ', '.join(repr(c) for c in LABEL_COLUMNS)
            raise DataError(f'no label column found in {where} (tried {tried}); columns: {listed}; '
                            f'pass label_column=')
    return {'text': t, 'text_pair': p, 'label': lab}


# -----------------------------------------------------------------------------
# labels


def label_string(value):
    """A label as text: 1.0 -> '1', None -> ''."""
    if value is None or value != value:  # None, NaN
        return ''
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _is_int(s):
    return s.lstrip('-').isdigit()


def column(dataset, name):
    """A column of a datasets.Dataset as a list, at Arrow speed (ds[name] is
    a lazy column read row by row in datasets 4+)."""
    return dataset.select_columns([name]).to_dict()[name]


def guess_label_names(values):
    """The label names found in values: sorted as numbers when all are numbers
    (so ids 0..K-1 keep their ids), else alphabetically; no-label values left out."""
    names = {label_string(v) for v in values} - set(MISSING_LABELS)
    if names and all(_is_int(n) for n in names):
        return [str(n) for n in sorted(int(n) for n in names)]
    return sorted(names)


def label_ids(values, label_names, where):
    """Ids for labels: a label name's index; a number that is no label name is an
    id itself (0..K-1); '', '-' and '-1' (when no label name) are -1, no label."""
    index = {str(n): i for i, n in enumerate(label_names)}
    out, cache = [], {}
    for v in values:
        s = label_string(v)
        if s not in cache:
            if s in index:
                cache[s] = index[s]
            elif s in MISSING_LABELS:
                cache[s] = -1
            elif _is_int(s) and 0 <= int(s) < len(index):
                cache[s] = int(s)
            else:
                raise DataError(f'label {s!r} in {where} is not one of the label names '
                                f'({", ".join(map(str, label_names))}) nor an id 0..{len(index) - 1}; '
                                f'pass label_names=')
        out.append(cache[s])
    return out


# -----------------------------------------------------------------------------
# folders


@dataclass
class Part:
    """One source of a split: a file (a table or .txt), or a folder of one file per text."""
    path: Path
    texts_folder: bool = False
    label: str = None  # the class of a folder of texts


def _txt_files(folder):
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith('.')
                  and data_suffix(p) is not None and data_suffix(p)[0] == '.txt')


def _subfolders(folder):
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith('.'))


def _class_parts(folder, split):
    """A split folder: class subfolders of .txt files, or .txt files (unlabeled)."""
    parts = {}
    for sub in _subfolders(folder):
        if _txt_files(sub):
            target = 'unsup' if canonical_split(sub.name) == 'unsup' else split
            label = None if target == 'unsup' else sub.name
            parts.setdefault(target, []).append(Part(sub, True, label))
    if not parts and _txt_files(folder):
        parts[split] = [Part(folder, True, None)]
    return parts


def layout(path):
    """{split: [Part, ...]} of a file or folder (see the module docstring)."""
    path = Path(path)
    spec = str(path)
    if not path.exists():
        raise DataError(f'data path {spec!r} does not exist')
    if path.is_file():
        if data_suffix(path) is None:
            raise DataError(f'unsupported data file {spec!r}; valid extensions: {valid_extensions()}')
        return {'train': [Part(path)]}
    children = sorted(p for p in path.iterdir() if not p.name.startswith('.'))
    found = {}
    for p in children:
        if p.is_file() and data_suffix(p) is not None:
            split = canonical_split(stem(p))
        elif p.is_dir():
            split = canonical_split(p.name)
        else:
            split = None
        if split:
            found.setdefault(split, []).append(p)
    parts = {}
    for split, hits in found.items():
        if len(hits) > 1:
            raise DataError(f'folder {spec!r} has {len(hits)} {split} files or folders '
                            f'({", ".join(p.name for p in hits)}); keep one')
        hit = hits[0]
        if hit.is_file():
            parts.setdefault(split, []).append(Part(hit))
        else:
            sub = _class_parts(hit, split)
            if not sub:
                raise DataError(f'folder {str(hit)!r} has no .txt files nor class subfolders of them')
            for s, ps in sub.items():
                parts.setdefault(s, []).extend(ps)
    if not parts:
        parts = _class_parts(path, 'train')
    if not parts:
        listed = ', '.join(p.name for p in children) or 'nothing'
        raise DataError(f'folder {spec!r} has no train file (train.csv/.tsv/.json/.jsonl/.parquet/.txt), '
                        f'no train/ folder and no .txt files; found: {listed}')
    return parts


# -----------------------------------------------------------------------------
# reading it all


@dataclass
class Read:
    """What `read` found. splits: {split: Dataset(text, text_pair, label)} with
    labels as strings ('' for none); origin: {split: the files it came from};
    columns: {split: how each file was read}; labeled: {split: has any label}."""
    spec: str
    splits: dict = field(default_factory=dict)
    origin: dict = field(default_factory=dict)
    columns: dict = field(default_factory=dict)
    labeled: dict = field(default_factory=dict)
    pair: bool = False


def _relative(path, root):
    try:
        rel = Path(path).relative_to(root)
        return str(rel) if str(rel) != '.' else Path(path).name
    except ValueError:
        return str(path)


def _read_texts_folder(part):
    texts = []
    for p in _txt_files(part.path):
        try:
            with _open_text(p, data_suffix(p)[1]) as f:
                text = f.read().strip()
        except Exception as err:
            raise DataError(f'could not read {str(p)!r} as text: {_first_line(err)}') from None
        if text:
            texts.append(text)
    return texts


def read(spec, splits=None, text_column=None, text_pair_column=None, label_column=None,
         labels=True):
    """Read a file or folder: each file on its own, with its own column guess.

    splits: which splits to read (default: all found); labels: guess a label
    column (required in train) or not (texts only)."""
    import pyarrow as pa
    from datasets import Dataset
    root = Path(str(spec)).expanduser()
    parts = layout(root)
    if labels and 'train' not in parts:
        listed = ', '.join(sorted(p.name for p in root.iterdir() if not p.name.startswith('.')))
        raise DataError(f'folder {str(spec)!r} has no train file (train.csv/.tsv/.json/.jsonl/'
                        f'.parquet/.txt) nor train/ folder; found: {listed or "nothing"}')
    wanted = [s for s in (splits or list(SPLITS)) if s in parts]
    if not wanted:
        raise DataError(f'{str(spec)!r} has no {" or ".join(splits)} split; found: {", ".join(parts)}')
    out = Read(str(spec))
    pair_of = {}
    for split in wanted:
        texts, pairs, labs, origin, how = [], [], [], [], []
        for part in parts[split]:
            where = repr(str(part.path))
            origin.append(_relative(part.path, root.parent if root.is_file() else root))
            if part.texts_folder:
                got = _read_texts_folder(part)
                texts += got
                pairs += [None] * len(got)
                labs += [part.label or ''] * len(got)
                how.append(f'{origin[-1]}: one text a file'
                           + (f', label {part.label!r}' if part.label else ', unlabeled'))
                pair_of[origin[-1]] = False
                continue
            table = read_table(part.path)
            cols = choose_columns(list(table), where, text_column, text_pair_column, label_column,
                                  strict=split == wanted[0], want_label=labels and split != 'unsup')
            n = len(table[cols['text']])
            texts += ['' if t is None else str(t) for t in table[cols['text']]]
            pairs += ['' if t is None else str(t) for t in table[cols['text_pair']]] \
                if cols['text_pair'] else [None] * n
            labs += [label_string(v) for v in table[cols['label']]] if cols['label'] else [''] * n
            how.append(f'{origin[-1]}: ' + ', '.join(f'{k}={v!r}' for k, v in cols.items() if v))
            pair_of[origin[-1]] = cols['text_pair'] is not None
        out.splits[split] = Dataset(pa.table({'text': pa.array(texts, pa.string()),
                                              'text_pair': pa.array(pairs, pa.string()),
                                              'label': pa.array(labs, pa.string())}))
        out.origin[split] = ', '.join(origin)
        out.columns[split] = '; '.join(how)
        out.labeled[split] = any(y not in MISSING_LABELS for y in labs)
    if len(set(pair_of.values())) > 1:
        pairs = [k for k, v in pair_of.items() if v]
        singles = [k for k, v in pair_of.items() if not v]
        raise DataError(f'{str(spec)!r} mixes text pairs ({", ".join(pairs)}) and single texts '
                        f'({", ".join(singles)}); pass text_column= and text_pair_column=')
    out.pair = any(pair_of.values())
    return out


def read_texts(spec, split=None, text_column=None, text_pair_column=None):
    """text and text_pair of one split of a file or folder (default: train, else
    the unlabeled texts); labels, if any, are dropped."""
    parts = layout(Path(str(spec)).expanduser())
    if split is None:
        split = 'train' if 'train' in parts else 'unsup' if 'unsup' in parts else next(iter(parts))
    got = read(spec, [split], text_column, text_pair_column, labels=False)
    return got.splits[split].remove_columns('label'), got
