"""Datasets by hub name, local copy first.

A dataset name (a kit name from `NAMES` or `PATTERNS`, or any other hub name)
resolves to its copy in the local data directory (`paths.DATA`: $MINILAB_DATA,
else data/ in the repository) when that has one, else to
`datasets.load_dataset(hub path, config)`. Either way a task has the columns
text, text_pair, label and the same label ids (the table's label names, which
are the hub's).

    from minilab import hubdata
    hubdata.locate('glue/sst2')          # Where(kind='copy', path=.../glue/sst2, ...) or kind='hub'
    hubdata.locate('imdb/unsupervised')  # one split of a known name
    hubdata.locate('my/own')             # DATA/my/own(.jsonl...) if there, else the hub

Where a copy is looked for, under the data directory:
  1. the table's `local` (a folder or file: 'multi_domain_sentiment/books'
     for 'multi_domain/books', 'qqp_subset/pairs.jsonl.gz' for 'qqp'), then
  2. the name itself, as the hub spells it ('glue/cola/', 'owner/dataset/'),
each as a folder or as a file with a data extension ('gutenberg.txt.gz').
Any name works so, known or not: a user's own data directory laid out by hub
name needs no entry here. A copy is read by `minilab.reading` (split files
train/dev|validation/test/unsupervised, columns guessed per file); the table
only says which hub split is the test ('validation' for GLUE, whose test
labels are hidden: the same rule for the copy and the hub) and the label names.
'<name>/<split>' takes one split of a known name ('imdb/unsupervised').
"""
from dataclasses import dataclass
from pathlib import Path

from minilab import paths, reading

GLUE = 'nyu-mll/glue'
# name -> hub path and config, hub columns, label names (index = id), the hub split
# used as test, the copy under the data directory, and what the name is for:
# 'task' (labeled; its inputs are also a pool), 'pool' (unlabeled inputs), 'corpus'
NAMES = {
    'glue/sst2': dict(path=GLUE, name='sst2', text='sentence', test='validation',
                      labels=('negative', 'positive'), local='glue/sst2', kind='task'),
    'glue/mnli': dict(path=GLUE, name='mnli', text='premise', text_pair='hypothesis',
                      test='validation_matched', labels=('entailment', 'neutral', 'contradiction'),
                      local='glue/mnli', kind='task'),
    'glue/qnli': dict(path=GLUE, name='qnli', text='question', text_pair='sentence', test='validation',
                      labels=('entailment', 'not_entailment'), local='glue/qnli', kind='task'),
    'glue/rte': dict(path=GLUE, name='rte', text='sentence1', text_pair='sentence2', test='validation',
                     labels=('entailment', 'not_entailment'), local='glue/rte', kind='task'),
    'glue/mrpc': dict(path=GLUE, name='mrpc', text='sentence1', text_pair='sentence2', test='validation',
                      labels=('not_equivalent', 'equivalent'), local='glue/mrpc', kind='task'),
    'glue/qqp': dict(path=GLUE, name='qqp', text='question1', text_pair='question2', test='validation',
                     labels=('not_duplicate', 'duplicate'), local='glue/qqp', kind='task'),
    'glue/cola': dict(path=GLUE, name='cola', text='sentence', test='validation',
                      labels=('unacceptable', 'acceptable'), local='glue/cola', kind='task'),
    'sick': dict(path='RobZamp/sick', text='sentence_A', text_pair='sentence_B', test='test',
                 labels=('entailment', 'neutral', 'contradiction'), local='sick', kind='task'),
    'imdb': dict(path='stanfordnlp/imdb', text='text', test='test', labels=('neg', 'pos'),
                 local='imdb', kind='task'),
    'ag_news': dict(path='fancyzhx/ag_news', text='text', test='test',
                    labels=('World', 'Sports', 'Business', 'Sci/Tech'), local='ag_news', kind='task'),
    'dbpedia_14': dict(path='fancyzhx/dbpedia_14', text='content', test='test',
                       labels=('Company', 'EducationalInstitution', 'Artist', 'Athlete',
                               'OfficeHolder', 'MeanOfTransportation', 'Building', 'NaturalPlace',
                               'Village', 'Animal', 'Plant', 'Album', 'Film', 'WrittenWork'),
                       local='dbpedia_14', kind='task'),
    'amazon_polarity': dict(path='fancyzhx/amazon_polarity', text='content', test='test',
                            labels=('negative', 'positive'), local='amazon_polarity', kind='task'),
    'yelp_polarity': dict(path='fancyzhx/yelp_polarity', text='text', test='test', labels=('1', '2'),
                          local='yelp_polarity', kind='task'),
    # unlabeled question pairs (a part of GLUE QQP's train set), a transfer pool
    'qqp': dict(path=GLUE, name='qqp', text='question1', text_pair='question2', split='train',
                local='qqp_subset/pairs.jsonl.gz', kind='pool'),
    # pre-training text, one paragraph a line; no hub copy
    'gutenberg': dict(path=None, text='text', local='corpora/gutenberg.txt.gz', kind='corpus'),
    'nltk_english': dict(path=None, text='text', local='corpora/nltk_english.txt.gz', kind='corpus'),
}
# names with a part filled in: 'multi_domain/books' (the domain-shift pools; no hub copy)
PATTERNS = {
    'multi_domain/{}': dict(path=None, text='text', test='test', labels=('negative', 'positive'),
                            local='multi_domain_sentiment/{}', kind='task'),
}
TASKS = {n: e for n, e in NAMES.items() if e['kind'] == 'task'}


def lookup(spec):
    """(name, entry, split) of a known name ('imdb'), a pattern name
    ('multi_domain/books') or one split of either ('imdb/unsupervised');
    (None, None, None) for other names."""
    if spec in NAMES:
        return spec, NAMES[spec], None
    for pattern, entry in PATTERNS.items():
        head, tail = pattern.split('{}')
        part = spec[len(head):len(spec) - len(tail)] if spec.startswith(head) and \
            spec.endswith(tail) else ''
        if part and '/' not in part:
            return spec, {k: v.format(part) if isinstance(v, str) else v
                          for k, v in entry.items()}, None
    head, _, split = spec.rpartition('/')
    if head and reading.canonical_split(split):
        name, entry, inner = lookup(head)
        if entry is not None and inner is None:
            return name, entry, split
    return None, None, None


@dataclass
class Where:
    """Where a dataset spec resolves. kind: 'path' (a local file or folder),
    'copy' (a name's copy in the data directory) or 'hub'; path: what to read
    for 'path' and 'copy'; name, entry: the known name and its table entry
    (None for other names); split: the split the spec names, if any; looked:
    where a copy was looked for (relative to `data_dir`)."""
    spec: str
    kind: str
    path: Path = None
    name: str = None
    entry: dict = None
    split: str = None
    looked: tuple = ()
    data_dir: Path = None

    @property
    def label_names(self):
        return list(self.entry['labels']) if self.entry and self.entry.get('labels') else None

    @property
    def test_split(self):
        """The split used as test, named as in a local folder ('dev' for GLUE)."""
        test = (self.entry or {}).get('test')
        return reading.canonical_split(test) if test else None

    @property
    def local_split(self):
        """The one split a spec names ('imdb/unsupervised' -> 'unsup'), or a pool's."""
        split = self.split or (self.entry or {}).get('split')
        return reading.canonical_split(split) if split else None


def _existing(path):
    if path.exists():
        return path
    for suffix in reading.FORMATS:
        for gz in ('', '.gz'):
            candidate = path.with_name(path.name + suffix + gz)
            if candidate.is_file() and reading.data_suffix(candidate):
                return candidate
    return None


def locate(spec):
    """A local path, a copy in the data directory, or the hub (see the module docstring)."""
    spec = str(spec)
    if reading.is_local(spec):
        return Where(spec, 'path', Path(spec).expanduser())
    name, entry, split = lookup(spec)
    root = paths.DATA
    looked = []
    for rel in ([entry['local']] if entry and entry.get('local') else []) + [name or spec]:
        if rel not in looked:
            looked.append(rel)
    if root is not None and Path(root).is_dir():
        for rel in looked:
            found = _existing(Path(root) / rel)
            if found is not None:
                return Where(spec, 'copy', found, name, entry, split, tuple(looked), Path(root))
    return Where(spec, 'hub', None, name, entry, split, tuple(looked), root and Path(root))


def no_copy_message(where):
    """Why there is no local copy, for an error message (one line)."""
    root = where.data_dir
    if root is None or not root.is_dir():
        return f'the data directory {str(root)!r} does not exist (set MINILAB_DATA)'
    return f'no copy in the data directory {str(root)!r} (looked for {", ".join(where.looked)})'
