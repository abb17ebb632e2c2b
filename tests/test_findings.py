"""The committed scorecard is what the committed runs give.

Each notebook that `minilab reproduce` runs (all but the templates and the
teaching notebooks 00_tour and playground) is executed on the committed runs
in results/runs, writing into a temporary folder ($MINILAB_OUT) instead of
results/. Its rows of findings.csv, its manifest entry and its tables must
equal the committed ones: a change of a claim check, of a notebook or of a
run that moves a verdict or a measured number fails here, naming the row.

A notebook whose committed rows its runs cannot give (the runs are missing)
fails too; STALE lists the known cases, as strict expected failures.

    pytest tests/test_findings.py -k wr_f4        # one notebook, ~20 s
"""
import csv
import json
from pathlib import Path

import pytest

from minilab import notebook_kit, notebooks, paths

REPRODUCED = [n for n in notebooks.list_notebooks(include_templates=False)
              if n not in notebooks.TEACHING]

# committed rows the committed runs cannot give back yet, and why: strict, so
# the marker has to go once the runs are made
STALE = {}


def _cases():
    return [pytest.param(n, marks=pytest.mark.xfail(reason=STALE[n], strict=True)) if n in STALE else n
            for n in REPRODUCED]


def _rows(path, notebook):
    with open(path, newline='') as f:
        return [r for r in csv.DictReader(f) if r['notebook'] == notebook]


def _entries(path, notebook, out_root):
    """Manifest entries of `notebook`, outputs relative to their output root."""
    manifest = json.loads(Path(path).read_text()) if Path(path).exists() else {}
    root = Path(out_root)
    return {k: {**v, 'outputs': [str((paths.ROOT / o).relative_to(root)) if not Path(o).is_absolute()
                                 else str(Path(o).relative_to(root)) for o in v['outputs']]}
            for k, v in manifest.items() if v['notebook'] == notebook}


def test_every_committed_finding_comes_from_a_reproduced_notebook():
    with open(paths.FINDINGS, newline='') as f:
        owners = {r['notebook'] for r in csv.DictReader(f)}
    assert owners <= set(REPRODUCED), sorted(owners - set(REPRODUCED))


@pytest.mark.slow
@pytest.mark.parametrize('name', _cases())
def test_committed_findings_are_what_the_committed_runs_give(name, tmp_path, monkeypatch):
    out = tmp_path / 'results'
    monkeypatch.setenv(notebook_kit.OUT_ENV, str(out))  # the kernel inherits it
    before = sorted(p for p in paths.RESULTS.rglob('*') if p.is_file() and 'runs' not in p.parts)
    want = {r['id']: r for r in _rows(paths.FINDINGS, name)}
    try:
        notebooks.execute(name, {}, output_dir=tmp_path / 'executed', work_dir=tmp_path / 'work')
    except notebooks.NotebookError as err:
        if err.ename != 'MissingRunsError':
            raise
        if not want:
            pytest.skip(f'{name}: no saved runs and no committed finding')
        pytest.fail(f'{name}: committed {", ".join(want)} cannot be recomputed, the runs are '
                    f'missing: {err.evalue}')
    assert sorted(p for p in paths.RESULTS.rglob('*')
                  if p.is_file() and 'runs' not in p.parts) == before, 'wrote into results/'

    got = {r['id']: r for r in _rows(out / 'findings.csv', name)} if (out / 'findings.csv').exists() else {}
    assert sorted(got) == sorted(want), 'finding ids differ'
    differ = [f"{fid} {col}:\n  committed: {want[fid][col]}\n  recomputed: {got[fid][col]}"
              for fid in want for col in want[fid] if want[fid][col] != got[fid][col]]
    assert not differ, 'results/findings.csv is not what the runs give:\n' + '\n'.join(differ)

    got_manifest = _entries(out / 'manifest.json', name, out)
    want_manifest = _entries(paths.MANIFEST, name, paths.RESULTS)
    assert got_manifest == want_manifest
    for entry in want_manifest.values():
        for rel in entry['outputs']:
            if rel.endswith(('.csv', '.md')):
                assert (out / rel).read_text() == (paths.RESULTS / rel).read_text(), rel
