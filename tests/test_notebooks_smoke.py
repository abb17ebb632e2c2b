"""Every notebook executes in smoke mode (tiny fixture runs), as papermill runs it.

The fixture runs in tests/fixtures/runs come from `minilab run wr_main --preset
tiny` (MINILAB_RUNS=tests/fixtures/runs); smoke outputs go under build/smoke,
never into results/.
"""
import json

import pytest

from minilab import notebooks, paths

NAMES = notebooks.list_notebooks()


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_notebook_runs_in_smoke_mode(name, tmp_path):
    declared = notebooks.notebook_parameters(name)
    params = {'SMOKE': True} if 'SMOKE' in declared else {}
    before = sorted(p for p in paths.RESULTS.rglob('*') if p.is_file())
    out = notebooks.execute(name, params, output_dir=tmp_path)
    executed = json.loads(out.read_text())
    errors = [o for c in executed['cells'] for o in c.get('outputs', [])
              if o.get('output_type') == 'error']
    assert not errors
    # smoke mode must not write into results/
    assert sorted(p for p in paths.RESULTS.rglob('*') if p.is_file()) == before
    if name == 'wr_f4_main_result':  # its figure, table and scorecard row, under build/smoke
        smoke = paths.BUILD / 'smoke'
        assert (smoke / 'figures' / 'turc2019' / 'wr_f4_main_result_tiny.png').exists()
        assert (smoke / 'tables' / 'turc2019' / 'wr_f4_main_result_tiny.csv').exists()
        findings = (smoke / 'findings.csv').read_text()
        assert 'WR-F4' in findings and 'tiny' in findings
