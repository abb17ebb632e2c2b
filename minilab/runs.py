"""The run store: one directory per run, written atomically, keyed by its config.

    results/runs/<paper>/<run_id>/record.json

A record holds the flat config (seed included), metrics, training history,
timings (seconds, tokens, estimated FLOPs), library versions, code version and
hardware. The run id is derived from the config, so a batch that is stopped
and started again skips finished runs and does the rest:

    rid = run_id(config)
    if not is_done(paper, rid): save_run(paper, config, metrics=..., ...)
    df = load_runs('turc2019')           # one row per run, config.* / metrics.*
"""
import hashlib
import json
import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from minilab import paths

RECORD = 'record.json'


class MissingRunsError(RuntimeError):
    """A notebook's saved runs are not there (yet): `minilab reproduce` reports
    the notebook as skipped, with this message, instead of failing."""


class RunRecordError(ValueError):
    """A run record that cannot be read; the message names the file."""


def run_id(config):
    """'<kind>-<10 hex>' from the canonical JSON of the config (key order and
    float formatting do not matter; any value change gives a new id). A config
    that names local files or folders (a user's data or model) also hashes their
    contents, so an edited file is a new run, not a stale one; configs of names
    only (the world, hub names) hash as they always have."""
    canonical = json.dumps(config, sort_keys=True, separators=(',', ':'), default=str)
    prints = data_fingerprints(config)
    if prints:
        canonical += json.dumps(prints, sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:10]
    return f"{config.get('kind', 'run')}-{digest}"


# names the kit gives meaning to, never read as paths (a folder called 'world'
# in the working directory does not turn the world into a user's data)
RESERVED_NAMES = ('world', 'pretrain', 'random', 'task', 'transfer')
_PRINTS = {}


def data_fingerprints(config):
    """{local path named in the config: sha256 of its contents (16 hex)}, for
    every string value, nested ones included, that is an existing file or folder."""
    found = {}

    def visit(value):
        if isinstance(value, dict):
            for v in value.values():
                visit(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                visit(v)
        elif isinstance(value, str) and value and not value.startswith(RESERVED_NAMES) \
                and len(value) < 4096 and Path(value).exists():
            found[value] = content_fingerprint(value)
    visit(config)
    return found


def content_fingerprint(path):
    """sha256 (16 hex) of a file's bytes, or of a folder's files (relative names
    and bytes, sorted); cached per process by (path, size, modification time)."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(p for p in path.rglob('*') if p.is_file())
    stamp = (str(path.resolve()), tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    if stamp not in _PRINTS:
        h = hashlib.sha256()
        for p in files:
            h.update(str(p.relative_to(path) if p != path else p.name).encode())
            with open(p, 'rb') as f:
                for chunk in iter(lambda: f.read(1 << 20), b''):
                    h.update(chunk)
        _PRINTS[stamp] = h.hexdigest()[:16]
    return _PRINTS[stamp]


def run_dir(paper, rid, root=None):
    return Path(root or paths.RUNS) / paper / rid


def is_done(paper, rid, root=None):
    return (run_dir(paper, rid, root) / RECORD).exists()


def atomic_write_text(path, text):
    """Write to a temporary file in the same folder, then rename: readers see
    the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f'.{path.name}.{os.getpid()}.tmp')
    with open(tmp, 'w') as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save_run(paper, config, metrics, history=(), timings=None, root=None, extra=None):
    """Write the record of a finished run; returns its directory."""
    rid = run_id(config)
    record = {
        'run_id': rid, 'paper': paper, 'config': config, 'seed': config.get('seed'),
        'metrics': metrics, 'timings': timings or {}, 'history': list(history),
        'environment': environment(), 'finished_at': datetime.now(timezone.utc).isoformat(),
    }
    prints = data_fingerprints(config)
    if prints:
        record['data_fingerprints'] = prints
    if extra:
        record.update(extra)
    folder = run_dir(paper, rid, root)
    atomic_write_text(folder / RECORD, json.dumps(record, indent=1, sort_keys=True, default=float))
    return folder


def load_run(folder):
    path = Path(folder) / RECORD
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        raise RunRecordError(f'no run record at {path}') from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RunRecordError(f'corrupted run record {path}: {err}; delete the folder to re-run it') from None
    for key in ('run_id', 'config', 'metrics'):
        if key not in record:
            raise RunRecordError(f'corrupted run record {path}: missing {key!r}; '
                                 f'delete the folder to re-run it')
    return record


def record_seconds(record):
    """Wall-clock cost of a finished run from its record: the whole run where the
    runner timed it ('wall_seconds', 'seconds'), else training plus the one-time
    teacher pass; None for records that carry no timing."""
    t = record.get('timings') or {}
    for key in ('wall_seconds', 'seconds'):
        if key in t:
            return float(t[key])
    parts = [t[k] for k in ('train_seconds', 'teacher_seconds') if k in t]
    return float(sum(parts)) if parts else None


def load_record(paper, rid, root=None):
    return load_run(run_dir(paper, rid, root))


def iter_records(paper=None, root=None):
    base = Path(root or paths.RUNS)
    papers = [paper] if paper else sorted(p.name for p in base.iterdir() if p.is_dir()) \
        if base.exists() else []
    for name in papers:
        folder = base / name
        if not folder.exists():
            continue
        for sub in sorted(folder.iterdir()):
            if (sub / RECORD).exists():
                yield load_run(sub)


def load_runs(paper=None, root=None, **filters):
    """A DataFrame with one row per run: run_id, paper, config.<key> flattened
    as plain columns, metrics as plain columns, timings as time_<key>.
    Keyword filters keep rows whose config key equals the value."""
    import pandas as pd
    rows = []
    for rec in iter_records(paper, root):
        row = {'run_id': rec['run_id'], 'paper': rec['paper']}
        row.update({k: (tuple(v) if isinstance(v, list) else v) for k, v in rec['config'].items()})
        row.update(rec['metrics'])
        row.update({f'time_{k}': v for k, v in rec.get('timings', {}).items()})
        if all(row.get(k) == v for k, v in filters.items()):
            rows.append(row)
    return pd.DataFrame(rows)


# -----------------------------------------------------------------------------
# what produced a run


_ENV = None


def code_version():
    """git commit of the kit (with '+dirty' if the tree had changes), or 'unknown'."""
    try:
        commit = subprocess.run(['git', 'rev-parse', '--short=12', 'HEAD'], cwd=paths.ROOT,
                                capture_output=True, text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no', 'minilab'],
                               cwd=paths.ROOT, capture_output=True, text=True, timeout=5).stdout.strip()
        return (commit or 'unknown') + ('+dirty' if dirty else '')
    except (OSError, subprocess.SubprocessError):
        return 'unknown'


def environment():
    """Library versions, code version and hardware, computed once per process;
    torch's thread count is read at each call (a stage may set its own: the
    numbers of a run depend on it, see `minilab.train.seed_everything`)."""
    import torch
    global _ENV
    if _ENV is None:
        import importlib.metadata as md
        versions = {}
        for lib in ('minilab', 'torch', 'transformers', 'datasets', 'tokenizers', 'accelerate',
                    'numpy', 'pandas', 'scikit-learn'):
            try:
                versions[lib] = md.version(lib)
            except md.PackageNotFoundError:
                versions[lib] = None
        cpu = platform.processor()
        try:
            for line in Path('/proc/cpuinfo').read_text().splitlines():
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
        except OSError:
            pass
        _ENV = {
            'code_version': code_version(), 'python': platform.python_version(),
            'versions': versions, 'platform': platform.platform(), 'cpu': cpu,
            'cpu_count': os.cpu_count(),
            'gpu': torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        }
    _ENV['torch_threads'] = torch.get_num_threads()
    return _ENV


# -----------------------------------------------------------------------------
# run locks: several processes (`minilab run ... --jobs N`) share one store

class run_lock:
    """An exclusive lock on one run id, held while that run trains, so that
    two processes never train the same stage (and never write one checkpoint
    folder at once). An OS file lock (fcntl.flock): the kernel drops it when
    its process dies, so a killed batch leaves no stale lock behind.

        with run_lock(paper, rid) as got:               # waits for it
        with run_lock(paper, rid, wait=False) as got:   # got is False if taken
    """

    def __init__(self, paper, rid, wait=True):
        self.path = paths.CACHE / 'locks' / f'{paper}-{rid}.lock'
        self.wait = wait
        self.file = None

    def __enter__(self):
        try:
            import fcntl
        except ImportError:  # Windows: no flock; one process at a time (--jobs 1)
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(self.path, 'a')
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except BlockingIOError:
            self.file.close()
            self.file = None
            return False
        return True

    def __exit__(self, *exc):
        if self.file is not None:
            self.file.close()  # closing the file releases the lock
            self.file = None
        return False
