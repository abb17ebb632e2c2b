"""Copy a run's trained model out of the cache: `minilab export RUN_ID DIR`.

Every stage that trains a model saves it with `save_pretrained` (safetensors,
the tokenizer beside it) in the cache, and its record names the folder
(`checkpoint`, relative to the cache). The copy is a plain Hugging Face model
folder: a BERT student loads with `AutoModelForSequenceClassification.from_pretrained(DIR)`,
a DistilBERT with the same class, a BiLSTM with `minilab.models.load_model(DIR)`.
"""
import shutil
from pathlib import Path

from minilab import paths, runs


def find_record(rid, root=None):
    """The record of run `rid` in a run store: `root`, else the user's runs,
    then the kit's (one line if none)."""
    bases = [Path(root)] if root else [paths.USER_RUNS, paths.RUNS]
    for base in bases:
        hits = sorted(base.glob(f'*/{rid}/{runs.RECORD}')) if base.exists() else []
        if hits:
            return runs.load_run(hits[0].parent)
    raise ValueError(f"no run {rid!r} in {' or '.join(map(str, bases))}; `minilab run EXPERIMENT "
                     f"--dry-run` lists run ids (pass --runs-dir for another store)")


def export(rid, dest, root=None):
    """Copy the saved model of run `rid` to `dest` (a new folder); returns it."""
    record = find_record(rid, root)
    folder = paths.CACHE / record.get('checkpoint', f'checkpoints/{rid}')
    if not (folder / 'config.json').exists():
        raise ValueError(f'run {rid} has no saved model in {folder} (checkpoints stay in the cache of '
                         f'the machine that trained them, and runs recorded before models were kept '
                         f'have none): train it here with `minilab run`, then export')
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise ValueError(f'{dest} exists and is not empty; give a new folder')
    tmp = dest.with_name(f'.{dest.name}.tmp')
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(folder, tmp)
    if dest.exists():
        dest.rmdir()
    tmp.rename(dest)
    return dest
