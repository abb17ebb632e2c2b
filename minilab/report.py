"""What the notebooks record: the findings scorecard and the manifest.

    record_finding('WR-F4', paper='turc2019', claim='PD > PF > D > basic at every size',
                   measured='tiny: PD - PF +2.1±0.4 [+1.1, +3.1]: holds; ...', holds='holds',
                   notebook='wr_f4_main_result', preset='mini')
    record_outputs('wr_f4_main_result', notebook=..., parameters=..., run_ids=..., outputs=...)

results/findings.csv has one row per (finding id, preset): which of the
papers' findings the kit reproduces, at a glance (the README shows it). Its
`holds` column is a verdict of minilab.claims: 'holds', 'does not hold' or
'inconclusive' (a paired 95% interval covering the claimed bound, or a cell at
the ceiling or at chance); a bool (a deterministic check) is written as
'holds' / 'does not hold'.
results/manifest.json maps each figure/table to its notebook, parameters,
input runs and output files. Smoke runs pass root= so they never touch results/.
Notebooks that run at once (`minilab reproduce`) each read, change and rewrite
these two files: a lock on their folder makes that one step, so none loses
another's row.
"""
import contextlib
import csv
import io
import json
import os
from pathlib import Path

try:
    import fcntl
except ImportError:                     # Windows: no lock (and no parallel reproduce)
    fcntl = None

from minilab import claims, paths
from minilab.runs import atomic_write_text

FINDING_COLUMNS = ['id', 'paper', 'preset', 'claim', 'measured', 'holds', 'notebook']


@contextlib.contextmanager
def _locked(path):
    """Hold an exclusive lock on path's folder (not on a lock file: nothing
    extra in results/) while reading and rewriting path."""
    folder = Path(path).parent
    folder.mkdir(parents=True, exist_ok=True)
    if fcntl is None:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)                    # releases the lock


def record_finding(finding_id, paper, claim, measured, holds, notebook, preset, path=None):
    """Insert or replace the row of (finding_id, preset) in findings.csv.
    holds: a verdict ('holds', 'does not hold', 'inconclusive') or a bool."""
    verdict = claims.as_verdict(holds)
    path = Path(path or paths.FINDINGS)
    with _locked(path):
        rows = []
        if path.exists():
            with open(path, newline='') as f:
                rows = [r for r in csv.DictReader(f)
                        if not (r['id'] == finding_id and r['preset'] == preset)]
        rows.append({'id': finding_id, 'paper': paper, 'preset': preset, 'claim': claim,
                     'measured': measured, 'holds': verdict, 'notebook': notebook})
        rows.sort(key=lambda r: (r['paper'], r['id'], r['preset']))
        out = io.StringIO()
        writer = csv.DictWriter(out, FINDING_COLUMNS, lineterminator='\n')
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_text(path, out.getvalue())
    return path


def load_findings(path=None):
    import pandas as pd
    path = Path(path or paths.FINDINGS)
    return pd.read_csv(path) if path.exists() else pd.DataFrame(columns=FINDING_COLUMNS)


def record_outputs(item_id, notebook, parameters, run_ids, outputs, path=None):
    """Insert or replace one figure/table entry of the manifest."""
    path = Path(path or paths.MANIFEST)
    def rel(p):
        p = Path(p)
        return str(p.relative_to(paths.ROOT)) if p.is_absolute() and p.is_relative_to(paths.ROOT) else str(p)
    entry = {'notebook': notebook, 'parameters': parameters,
             'runs': sorted(run_ids), 'outputs': [rel(p) for p in outputs]}
    with _locked(path):
        manifest = json.loads(path.read_text()) if path.exists() else {}
        manifest[item_id] = entry
        atomic_write_text(path, json.dumps(dict(sorted(manifest.items())), indent=1) + '\n')
    return path


VERDICT_LEGEND = (
    '`holds`: every claimed difference, paired by seed, has its 95% interval on the claimed side; '
    '`does not hold`: one has it on the other side; `inconclusive`: an interval covers the claimed '
    'bound, or a compared cell is at the ceiling (>= 99%) or at chance (`minilab.claims`). '
    'Parameter counts and timings have no seeds: holds or does not hold.')


def findings_markdown(path=None):
    """The scorecard as a Markdown table (for the README), after a line that
    says what its verdicts mean."""
    df = load_findings(path)
    if df.empty:
        return '_no findings recorded yet_'
    return VERDICT_LEGEND + '\n\n' + df[['id', 'preset', 'claim', 'measured', 'holds']].to_markdown(index=False)


README_START, README_END = '<!-- findings:start -->', '<!-- findings:end -->'


def update_readme(readme=None, findings=None):
    """Rewrite the scorecard block of the README from findings.csv (called by
    `minilab reproduce`), so the README always shows the recorded findings."""
    readme = Path(readme or paths.ROOT / 'README.md')
    text = readme.read_text()
    if README_START not in text or README_END not in text:
        return False
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    new = f'{head}{README_START}\n{findings_markdown(findings)}\n{README_END}{tail}'
    if new != text:
        atomic_write_text(readme, new)
    return True
