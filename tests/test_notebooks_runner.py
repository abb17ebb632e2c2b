"""The notebook runner (minilab.notebooks) and the save helpers (minilab.plots).

Tiny notebooks are written into tmp_path; three tests start a real kernel
(a few seconds each), everything else runs without one.
"""
import json
import os
import time

import matplotlib
import nbformat
import pandas as pd
import pytest

matplotlib.use('Agg')
from matplotlib import pyplot as plt  # noqa: E402

from minilab import notebooks, paths, plots  # noqa: E402
from minilab.notebooks import NotebookError, ParameterError  # noqa: E402

TINY = '''\
# %% [markdown]
# # Tiny
# A notebook for the runner's tests.

# %%
import json
import os
from pathlib import Path

# %% tags=["parameters"]
N: int = 2  # how many
SCALE: float = 1.5  # a factor
NAMES: list = ["a"]  # some names
SMOKE: bool = False  # True: tiny fixture runs
OUT: str = ""  # where to write what the kernel saw

# %%
seen = {'n': N, 'scale': SCALE, 'names': NAMES, 'smoke': SMOKE,
        'cwd': os.getcwd(),
        'env': {k: os.environ.get(k) for k in
                ['TRANSFORMERS_VERBOSITY', 'MPLBACKEND', 'HF_HUB_OFFLINE']}}
if OUT:
    Path(OUT).write_text(json.dumps(seen))
'''

BROKEN = '''\
# %% tags=["parameters"]
X: int = 1  # a number

# %%
y = X / 0
'''

TWO_CELLS = '''\
# %% tags=["parameters"]
A: int = 1  # one

# %% tags=["parameters"]
B: int = 2  # two
'''


@pytest.fixture
def nbdir(tmp_path):
    d = tmp_path / 'notebooks'
    d.mkdir()
    (d / 'tiny.py').write_text(TINY)
    (d / 'broken.py').write_text(BROKEN)
    return d


@pytest.fixture
def no_kernel(monkeypatch):
    """Make starting a kernel an error."""
    import papermill

    def boom(*args, **kwargs):
        raise AssertionError('a kernel was started')
    monkeypatch.setattr(papermill, 'execute_notebook', boom)


# -----------------------------------------------------------------------------
# reading and checking, no kernel

def test_list_and_parameters(nbdir):
    (nbdir / '_tmpl.py').write_text(BROKEN)
    assert notebooks.list_notebooks(nbdir) == ['_tmpl', 'broken', 'tiny']
    assert notebooks.list_notebooks(nbdir, include_templates=False) == [
        'broken', 'tiny']
    params = notebooks.notebook_parameters('tiny', nbdir)
    assert list(params) == ['N', 'SCALE', 'NAMES', 'SMOKE', 'OUT']
    assert params['N'] == {'type': 'int', 'default': 2, 'help': 'how many'}
    assert params['NAMES']['default'] == ['a']
    assert params['SMOKE']['type'] == 'bool'
    nb = notebooks.read_notebook('tiny', nbdir)
    assert nb.metadata.kernelspec.name == 'python3'
    assert nb.metadata.kernelspec.language == 'python'


def test_one_parameters_cell_required(nbdir):
    (nbdir / 'two.py').write_text(TWO_CELLS)
    with pytest.raises(NotebookError, match="2 cells tagged 'parameters'"):
        notebooks.notebook_parameters('two', nbdir)
    with pytest.raises(NotebookError, match='available: broken, tiny, two'):
        notebooks.notebook_parameters('nope', nbdir)


def test_unknown_parameter_fails_fast(nbdir, no_kernel, tmp_path):
    t0 = time.perf_counter()
    with pytest.raises(ParameterError) as err:
        notebooks.execute('tiny', {'NN': 3}, notebooks_dir=nbdir,
                          output_dir=tmp_path / 'x', work_dir=tmp_path / 'w')
    assert time.perf_counter() - t0 < 1.0
    msg = str(err.value)
    assert msg.startswith("unknown parameter 'NN' for notebook tiny; "
                          'valid: N, SCALE, NAMES, SMOKE, OUT')
    assert '\n' not in msg
    assert not (tmp_path / 'x').exists()


@pytest.mark.parametrize('key, value, message', [
    ('NAMES', 3, 'parameter NAMES=3 should be list, got int'),
    ('N', True, 'parameter N=True should be int, got bool'),
    ('N', 2.5, 'parameter N=2.5 should be int, got float'),
    ('SCALE', True, 'parameter SCALE=True should be float, got bool'),
    ('SMOKE', 1, 'parameter SMOKE=1 should be bool, got int'),
    ('OUT', 1, 'parameter OUT=1 should be str, got int'),
])
def test_wrong_type(nbdir, no_kernel, key, value, message):
    with pytest.raises(ParameterError, match=message) as err:
        notebooks.execute('tiny', {key: value}, notebooks_dir=nbdir)
    assert '\n' not in str(err.value)


def test_accepted_overrides(nbdir):
    ok = notebooks.check_parameters(
        'tiny', {'SCALE': 2, 'NAMES': ('b', 'c'), 'SMOKE': True}, nbdir)
    assert ok == {'SCALE': 2, 'NAMES': ['b', 'c'], 'SMOKE': True}


def test_reproduce_checks_all_before_running(nbdir, no_kernel):
    with pytest.raises(ParameterError, match="unknown parameter 'Q'"):
        notebooks.reproduce(['tiny', 'broken'], {'Q': 1},
                            notebooks_dir=nbdir, log=lambda line: None)


def test_reproduce_in_parallel_keeps_order_and_reports_each(nbdir, monkeypatch):
    # four notebooks on three workers, the first slowest: the lines and the
    # results still come in the order asked, one failure does not stop the
    # others, and a notebook without saved runs is skipped
    for name in ('a', 'b', 'c', 'd'):
        (nbdir / f'{name}.py').write_text(TINY)
    running, most = set(), []

    def fake_execute(name, parameters, **kwargs):
        running.add(name)
        most.append(len(running))
        time.sleep({'a': 0.6, 'b': 0.1, 'c': 0.2, 'd': 0.1}[name])
        running.discard(name)
        if name == 'b':
            raise NotebookError('notebook b failed at cell [3]: ValueError: no', name='b',
                                output=kwargs['output_dir'] / 'b.ipynb', ename='ValueError')
        if name == 'd':
            raise NotebookError('...', name='d', ename='MissingRunsError',
                                evalue='no saved runs: run `minilab run x`')
        return kwargs['output_dir'] / f'{name}.ipynb'
    monkeypatch.setattr(notebooks, 'execute', fake_execute)
    lines = []
    with pytest.raises(NotebookError) as err:
        notebooks.reproduce(['a', 'b', 'c', 'd'], notebooks_dir=nbdir, log=lines.append,
                            output_dir=nbdir, workers=3, preload=False)
    assert str(err.value) == '1 of 4 notebooks failed: b'
    assert [(r.name, r.ok, r.skipped) for r in err.value.results] == [
        ('a', True, False), ('b', False, False), ('c', True, False), ('d', True, True)]
    assert [line.split(' ...')[0] for line in lines] == ['[1/4] a', '[2/4] b', '[3/4] c', '[4/4] d']
    assert lines[1].endswith('FAILED (0.1 s): notebook b failed at cell [3]: ValueError: no')
    assert lines[3] == '[4/4] d ... skipped: no saved runs: run `minilab run x`'
    assert max(most) == 3                       # three ran at once


def test_reproduce_workers_and_preload(nbdir, no_kernel):
    with pytest.raises(ParameterError, match='workers must be a positive number, got 0'):
        notebooks.reproduce(['tiny'], notebooks_dir=nbdir, workers=0)
    assert notebooks.default_workers() >= 1
    # the server imports what the notebooks import, each statement once
    (nbdir / 'other.py').write_text(TINY.replace('import os\n', 'import os\nimport csv\n'))
    assert notebooks.preload_imports(['tiny', 'other', 'nope'], nbdir) == [
        'import ipykernel.kernelapp', 'import ipykernel.ipkernel',
        'import json', 'import os', 'from pathlib import Path', 'import csv']


def test_cli(nbdir, monkeypatch, capsys, no_kernel):
    monkeypatch.setattr(paths, 'NOTEBOOKS', nbdir)
    assert notebooks._value('[0, 1]') == [0, 1]
    assert notebooks._value('True') is True
    assert notebooks._value('bert-base') == 'bert-base'
    assert notebooks.main(['list']) == 0
    assert capsys.readouterr().out.split() == ['broken', 'tiny']
    assert notebooks.main(['run', 'tiny', '-p', 'N', 'x']) == 2
    assert capsys.readouterr().err.strip() == (
        "error: parameter N='x' should be int, got str (notebook tiny)")


# -----------------------------------------------------------------------------
# the paired .ipynb

def test_sync_pairs(nbdir):
    assert notebooks.sync_pairs(check=True, notebooks_dir=nbdir) == [
        'broken', 'tiny']
    assert not (nbdir / 'tiny.ipynb').exists()
    assert notebooks.sync_pairs(notebooks_dir=nbdir) == ['broken', 'tiny']
    assert notebooks.sync_pairs(check=True, notebooks_dir=nbdir) == []
    before = (nbdir / 'tiny.ipynb').read_text()
    (nbdir / 'tiny.py').write_text(TINY.replace('N: int = 2', 'N: int = 3'))
    assert notebooks.sync_pairs(check=True, notebooks_dir=nbdir) == ['tiny']
    assert (nbdir / 'tiny.ipynb').read_text() == before    # check only
    notebooks.sync_pairs(notebooks_dir=nbdir)
    assert notebooks.sync_pairs(check=True, notebooks_dir=nbdir) == []
    nb = nbformat.read(str(nbdir / 'tiny.ipynb'), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == 'python3'


@pytest.mark.parametrize('name', notebooks.list_notebooks())
def test_repo_notebook_is_paired_and_clean(name):
    # exactly one parameters cell (raises otherwise)
    notebooks.notebook_parameters(name)
    pair = paths.NOTEBOOKS / f'{name}.ipynb'
    assert pair.is_file(), f'{pair} missing: run `make notebooks`'
    assert pair.read_text(encoding='utf-8') == notebooks._ipynb_text(name), (
        f'{pair.name} is out of date: run `make notebooks`')
    nb = nbformat.read(str(pair), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == 'code':
            assert cell.outputs == [] and cell.execution_count is None


# -----------------------------------------------------------------------------
# running (real kernels)

@pytest.mark.slow
def test_execute_end_to_end(nbdir, tmp_path, monkeypatch):
    monkeypatch.delenv('TRANSFORMERS_VERBOSITY', raising=False)
    monkeypatch.setenv('MPLBACKEND', 'pdf')      # a user's own value wins
    seen = tmp_path / 'seen.json'
    out = notebooks.execute(
        'tiny', {'N': 5, 'OUT': str(seen)}, notebooks_dir=nbdir,
        output_dir=tmp_path / 'executed', work_dir=tmp_path / 'work',
        timeout=120)
    assert out == tmp_path / 'executed' / 'tiny.ipynb'
    assert (tmp_path / 'work' / 'tiny.ipynb').is_file()
    got = json.loads(seen.read_text())
    assert got['n'] == 5 and got['scale'] == 1.5 and got['names'] == ['a']
    assert got['cwd'] == str(paths.ROOT)
    assert got['env']['TRANSFORMERS_VERBOSITY'] == 'error'
    assert got['env']['MPLBACKEND'] == 'pdf'
    assert got['env']['HF_HUB_OFFLINE'] is not None
    assert 'TRANSFORMERS_VERBOSITY' not in os.environ  # restored afterwards
    nb = nbformat.read(str(out), as_version=4)
    tags = [c.metadata.get('tags', []) for c in nb.cells]
    assert ['injected-parameters'] in tags


@pytest.mark.slow
def test_reproduce_reports_failures(nbdir, tmp_path):
    lines = []
    with pytest.raises(NotebookError) as err:
        notebooks.reproduce(['broken', 'tiny'], smoke=True,
                            notebooks_dir=nbdir, log=lines.append,
                            output_dir=tmp_path / 'executed', timeout=120)
    assert str(err.value) == '1 of 2 notebooks failed: broken'
    bad, good = err.value.results
    assert not bad.ok and good.ok
    assert good.parameters == {'SMOKE': True}
    assert '\n' not in bad.error
    assert bad.error.startswith('notebook broken failed at cell [')
    assert 'ZeroDivisionError: division by zero' in bad.error
    assert str(tmp_path / 'executed' / 'broken.ipynb') in bad.error
    assert (tmp_path / 'executed' / 'broken.ipynb').is_file()
    assert len(lines) == 2
    assert lines[0].startswith('[1/2] broken ... FAILED (')
    assert lines[1].startswith('[2/2] tiny ... ok (')
    assert lines[1].endswith(f"-> {tmp_path / 'executed' / 'tiny.ipynb'}")


# -----------------------------------------------------------------------------
# plots

def test_save_fig_and_table(tmp_path):
    plots.use_style()
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [2, 1, 3], label='kd')
    ax.legend()
    written = plots.save_fig(fig, 'f1_demo', 'wr', root=tmp_path)
    assert written == [tmp_path / 'wr' / 'f1_demo.png',
                       tmp_path / 'wr' / 'f1_demo.svg']
    first = [p.read_bytes() for p in written]
    plots.save_fig(fig, 'f1_demo', 'wr', root=tmp_path)
    assert [p.read_bytes() for p in written] == first   # no churn on re-run
    assert first[0].startswith(b'\x89PNG')
    assert b'Matplotlib v' not in first[1]
    plt.close(fig)

    df = pd.DataFrame({'student': ['L2H128', 'L4H256'], 'acc': [80.123, 85.0]})
    written = plots.save_table(df, 't1_demo', 'wr', root=tmp_path)
    assert written == [tmp_path / 'wr' / 't1_demo.csv',
                       tmp_path / 'wr' / 't1_demo.md']
    assert written[0].read_text() == 'student,acc\nL2H128,80.12\nL4H256,85.00\n'
    md = written[1].read_text()
    assert '| L2H128    | 80.12 |' in md and '85.00' in md
    assert sorted(p.name for p in (tmp_path / 'wr').iterdir()) == [
        'f1_demo.png', 'f1_demo.svg', 't1_demo.csv', 't1_demo.md']
    with pytest.raises(ValueError):
        plots.save_table(df, '../escape', 'wr', root=tmp_path)


NO_RUNS = '''\
# %%
from minilab.runs import MissingRunsError

# %% tags=["parameters"]
SMOKE: bool = False  # fixtures

# %%
raise MissingRunsError('no saved runs: run `minilab run wr_main`')
'''


@pytest.mark.slow
def test_reproduce_skips_a_notebook_without_saved_runs(nbdir, tmp_path):
    (nbdir / 'no_runs.py').write_text(NO_RUNS)
    lines = []
    results = notebooks.reproduce(['no_runs', 'tiny'], notebooks_dir=nbdir, log=lines.append,
                                  output_dir=tmp_path / 'executed', timeout=120)
    assert [(r.ok, r.skipped) for r in results] == [(True, True), (True, False)]
    assert lines[0] == '[1/2] no_runs ... skipped: no saved runs: run `minilab run wr_main`'


PROBE = """\
# %%
import json
import os
import sys

import matplotlib.pyplot as plt
import pandas as pd
import tqdm.auto

# %% tags=["parameters"]
OUT: str = ""  # where to write what the kernel saw

# %%
seen = {'max_columns': pd.get_option('display.max_columns'), 'backend': plt.get_backend(),
        'tqdm': [k.__module__ for k in tqdm.auto.tqdm.__mro__][:2],
        'cwd': os.getcwd(), 'path': sys.path[:1], 'argv': os.path.basename(sys.argv[0]),
        'tty': sys.stdout.isatty(), 'displayhook': type(sys.displayhook).__name__,
        'numpy_seed': int(__import__('numpy').random.randint(1 << 30))}
with open(OUT, 'w') as f:
    json.dump(seen, f)
"""


@pytest.mark.slow
def test_a_forked_kernel_sees_what_a_fresh_one_sees(nbdir, tmp_path):
    # libraries decide some things once, at import, by where they run (pandas
    # its display width, tqdm its progress bar): the server's imports must
    # decide them as a notebook cell would
    (nbdir / 'probe.py').write_text(PROBE)
    seen = []
    for preload in (False, True, True):
        out = tmp_path / f'seen{len(seen)}.json'
        notebooks.reproduce(['probe'], {'OUT': str(out)}, notebooks_dir=nbdir, preload=preload,
                            log=lambda line: None, output_dir=tmp_path / 'executed', timeout=120)
        seen.append(json.loads(out.read_text()))
    seeds = [s.pop('numpy_seed') for s in seen]
    assert seen[0] == seen[1] == seen[2]
    assert seen[0]['max_columns'] == 20 and seen[0]['tqdm'][1] == 'tqdm.notebook'
    assert seeds[1] != seeds[2]                 # forks do not share numpy's random state
