"""Run the notebooks: jupytext py:percent source -> .ipynb -> papermill.

    python -m minilab.notebooks list                 # notebook names
    python -m minilab.notebooks params wr_f4_main_result
    python -m minilab.notebooks run wr_f4_main_result -p SEEDS '[0, 1]'
    python -m minilab.notebooks sync                 # rewrite the .ipynb
    python -m minilab.notebooks check                # exit 1 if one is stale

    from minilab import notebooks
    notebooks.execute('wr_f4_main_result', {'SEEDS': [0]})
    notebooks.reproduce(smoke=True, workers=2)

The reviewed source of each notebook is notebooks/<name>.py (py:percent);
notebooks/<name>.ipynb is derived from it (no outputs) for JupyterLab users.
Names starting with '_' are templates: runnable, but not part of reproduce().

Papermill only warns about a misspelled parameter and then runs the notebook
with its defaults, so every override is checked against the notebook's one
`parameters` cell first, before a kernel is started.

reproduce() runs notebooks on `workers` threads (default: one per CPU), each
driving its own kernel, and starts the kernels from a server that has already
run the notebooks' import statements (minilab.kernels): most of a notebook's
time is importing torch, transformers, pandas and matplotlib, not its cells.
"""
import argparse
import ast
import contextlib
import difflib
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from minilab import kernels, paths

# jupytext and nbformat are imported where used: nbformat's jsonschema takes
# ~3 s of CPU to import, which reproduce() spends while the kernel server
# does its own imports

KERNELSPEC = {'display_name': 'Python 3 (ipykernel)', 'language': 'python',
              'name': 'python3'}

# the kernel inherits these unless the user set them: no hub look-ups (a
# missing name would otherwise retry for ~46 s), quiet libraries, no GUI
KERNEL_ENV = {
    'HF_HUB_OFFLINE': '1',
    'HF_DATASETS_OFFLINE': '1',
    'TRANSFORMERS_VERBOSITY': 'error',
    'TOKENIZERS_PARALLELISM': 'false',
    'MPLBACKEND': 'Agg',
}


# teaching notebooks: they train live (the tour) or wait for a click (the
# playground), so `reproduce` runs them only by name; the smoke tests run all
TEACHING = ('00_tour', 'playground')


class ParameterError(ValueError):
    """An override the parameters cell does not declare, or of a wrong type."""


class NotebookError(RuntimeError):
    """A notebook that cannot be read or that failed while running."""

    def __init__(self, message, name=None, output=None, ename=None,
                 evalue=None, results=None):
        super().__init__(message)
        self.name, self.output = name, output
        self.ename, self.evalue = ename, evalue
        self.results = results          # reproduce(): every NotebookResult


@dataclass
class NotebookResult:
    name: str
    ok: bool
    seconds: float
    output: Path = None                 # the executed copy (also on failure)
    error: str = None
    parameters: dict = field(default_factory=dict)
    skipped: bool = False               # the notebook's saved runs are missing


# -----------------------------------------------------------------------------
# reading

def _dir(notebooks_dir):
    return Path(paths.NOTEBOOKS if notebooks_dir is None else notebooks_dir)


def _rel(path):
    path = Path(path)
    try:
        return str(path.resolve().relative_to(paths.ROOT.resolve()))
    except ValueError:
        return str(path)


def _one_line(text, limit=300):
    text = ' '.join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + '...'


def list_notebooks(notebooks_dir=None, include_templates=True):
    """Names (file stems) of the notebook sources, sorted."""
    names = sorted(p.stem for p in _dir(notebooks_dir).glob('*.py')
                   if not p.name.startswith('.'))
    if not include_templates:
        names = [n for n in names if not n.startswith('_')]
    return names


def _source(name, notebooks_dir=None):
    name = str(name)
    if name.endswith('.py') or os.sep in name:       # a path, not a name
        path = Path(name)
    else:
        path = _dir(notebooks_dir) / f'{name}.py'
    if not path.is_file():
        have = ', '.join(list_notebooks(notebooks_dir)) or 'none'
        raise NotebookError(f'no notebook {name!r} in '
                            f'{_rel(_dir(notebooks_dir))}; available: {have}',
                            name=name)
    return path


def _config():
    import jupytext.config
    try:
        return jupytext.config.load_jupytext_config(str(paths.ROOT))
    except Exception:                   # no or unreadable jupytext.toml
        return None


def read_notebook(name, notebooks_dir=None):
    """The notebook as nbformat, converted from notebooks/<name>.py.

    The kernel is always python3 (papermill fails on a notebook without a
    kernel name, and a conda-specific one gives NoSuchKernel). Cell ids are
    numbered, so the paired .ipynb is the same bytes on every conversion.
    """
    import jupytext
    nb = jupytext.read(_source(name, notebooks_dir), config=_config())
    nb.metadata['kernelspec'] = dict(KERNELSPEC)
    for i, cell in enumerate(nb.cells):
        cell['id'] = f'cell-{i}'
        if cell.cell_type == 'code':
            cell.outputs, cell.execution_count = [], None
    return nb


def _parameters_cell(nb, name):
    cells = [c for c in nb.cells
             if 'parameters' in c.get('metadata', {}).get('tags', [])]
    if len(cells) != 1:
        raise NotebookError(f"notebook {name} has {len(cells)} cells tagged "
                            f"'parameters'; exactly one is required",
                            name=name)
    return cells[0]


def _literal(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _declared(nb, name):
    # papermill's own parser, the one `papermill.inspect_notebook` runs on
    # the parameters cell: `NAME: type = value  # help`
    from papermill.translators import PythonTranslator
    out = {}
    for p in PythonTranslator.inspect(_parameters_cell(nb, name)):
        default = _literal(p.default)
        kind = p.inferred_type_name
        if kind in (None, 'None'):      # no annotation: go by the value
            kind = 'any' if default is None else type(default).__name__
        out[p.name] = {'type': kind, 'default': default, 'help': p.help or ''}
    return out


def notebook_parameters(name, notebooks_dir=None):
    """{parameter: {'type', 'default', 'help'}} in the order of the cell."""
    stem = Path(str(name)).stem
    return _declared(read_notebook(name, notebooks_dir), stem)


# -----------------------------------------------------------------------------
# checking overrides

def _accepts(kind, value, default):
    kind = kind.replace(' ', '').lower()
    optional = kind.startswith('optional[') and kind.endswith(']')
    if optional:
        kind = kind[len('optional['):-1]
    # typing.List[int] -> list
    base = kind.split('[', 1)[0].rsplit('.', 1)[-1]
    if value is None:
        return optional or default is None or base in ('any', 'none')
    if base in ('bool',):
        return isinstance(value, bool)
    if isinstance(value, bool):         # bool is an int to python, not to us
        return base in ('any', 'object')
    allowed = {'int': int, 'float': (int, float), 'str': str,
               'list': (list, tuple), 'sequence': (list, tuple),
               'tuple': (list, tuple), 'dict': dict, 'mapping': dict}
    return base not in allowed or isinstance(value, allowed[base])


def _check(name, declared, overrides):
    overrides = dict(overrides or {})
    unknown = [k for k in overrides if k not in declared]
    if unknown:
        valid = ', '.join(declared) or 'none'
        which = ', '.join(repr(k) for k in unknown)
        s = 's' if len(unknown) > 1 else ''
        hint = difflib.get_close_matches(unknown[0], list(declared), n=1)
        hint = f' (did you mean {hint[0]}?)' if hint else ''
        raise ParameterError(f'unknown parameter{s} {which} for notebook '
                             f'{name}; valid: {valid}{hint}')
    clean = {}
    for key, value in overrides.items():
        spec = declared[key]
        if not _accepts(spec['type'], value, spec['default']):
            raise ParameterError(f"parameter {key}={value!r} should be "
                                 f"{spec['type']}, got {type(value).__name__}"
                                 f' (notebook {name})')
        # papermill writes a tuple as a string; send a list
        clean[key] = list(value) if isinstance(value, tuple) else value
    return clean


def check_parameters(name, overrides, notebooks_dir=None):
    """Raise ParameterError (one line) for an unknown or mistyped override.

    Returns the overrides as they will be injected (tuples become lists).
    int is accepted for float; bool is not accepted for int or float.
    """
    stem = Path(str(name)).stem
    return _check(stem, notebook_parameters(name, notebooks_dir), overrides)


# -----------------------------------------------------------------------------
# running

@contextlib.contextmanager
def _kernel_env():
    added = [k for k in KERNEL_ENV if k not in os.environ]
    for k in added:
        os.environ[k] = KERNEL_ENV[k]
    try:
        yield
    finally:
        for k in added:
            os.environ.pop(k, None)


def _import_statements(source):
    """The top-level import statements of a notebook's py:percent source (its
    cells' top-level statements: markers and magics are comments there)."""
    try:
        tree = ast.parse(Path(source).read_text(encoding='utf-8'))
    except (OSError, SyntaxError, ValueError):
        return []                       # the notebook reports it when it runs
    return [ast.unparse(node) for node in tree.body
            if isinstance(node, (ast.Import, ast.ImportFrom))
            and not getattr(node, 'level', 0)]         # not `from . import x`


def preload_imports(names, notebooks_dir=None):
    """What the kernel server imports once for the notebooks: the kernel's
    own modules, first (tqdm, for one, checks at import whether ipykernel is
    loaded), then the notebooks' import statements, each once."""
    statements = ['import ipykernel.kernelapp', 'import ipykernel.ipkernel']
    for name in names:
        try:
            statements += _import_statements(_source(name, notebooks_dir))
        except NotebookError:           # no such notebook: reproduce() says so
            pass
    return list(dict.fromkeys(statements))


def default_workers():
    """One notebook at a time per CPU this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:              # not on Linux
        return os.cpu_count() or 1


def execute(name, parameters=None, output_dir=None, kernel='python3',
            timeout=None, notebooks_dir=None, work_dir=None,
            log_output=False, kernel_manager=None):
    """Run one notebook with papermill; return the path of the executed copy.

    parameters are checked first (ParameterError, no kernel started). The
    converted input goes to build/notebooks/<name>.ipynb (work_dir), the
    executed copy to build/executed/<name>.ipynb (output_dir). timeout is
    per cell, in seconds (None: no limit). The kernel starts in the repo
    root. A failing cell raises NotebookError naming the cell's error and
    the executed copy, which papermill still writes. kernel_manager: the
    KernelManager class to start the kernel with (reproduce() passes one that
    forks preloaded kernels); default, a plain kernel on IPC transport.
    """
    if kernel_manager is None:          # a kernel of its own, on IPC transport
        with kernels.kernel_managers() as manager:
            return execute(name, parameters, output_dir=output_dir, kernel=kernel,
                           timeout=timeout, notebooks_dir=notebooks_dir, work_dir=work_dir,
                           log_output=log_output, kernel_manager=manager)
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    stem = Path(str(name)).stem
    nb = read_notebook(name, notebooks_dir)
    params = _check(stem, _declared(nb, stem), parameters)

    work = Path(paths.BUILD / 'notebooks' if work_dir is None else work_dir)
    out_dir = Path(paths.EXECUTED if output_dir is None else output_dir)
    work.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    source, output = work / f'{stem}.ipynb', out_dir / f'{stem}.ipynb'
    import nbformat
    nbformat.write(nb, str(source))

    try:
        # the kernel's folder goes to nbclient (resources), not papermill's
        # cwd=, which chdirs this whole process: wrong for parallel workers.
        # After the last cell the kernel is killed, not asked to exit: a
        # graceful exit tears down torch & co. for 1-2 s and changes nothing
        with _kernel_env():
            pm.execute_notebook(
                str(source), str(output), parameters=params,
                kernel_name=kernel, language='python',
                progress_bar=False, log_output=log_output,
                execution_timeout=timeout, kernel_manager_class=kernel_manager,
                resources={'metadata': {'path': str(paths.ROOT)}},
                shutdown_kernel='immediate')
    except PapermillExecutionError as e:
        evalue = _one_line(e.evalue)
        raise NotebookError(
            f'notebook {stem} failed at cell [{e.exec_count}]: {e.ename}: '
            f'{evalue} (executed copy: {_rel(output)})', name=stem,
            output=output, ename=e.ename, evalue=e.evalue) from None
    except Exception as e:              # timeout, dead kernel, no kernel
        raise NotebookError(
            f'notebook {stem} failed: {type(e).__name__}: {_one_line(e)} '
            f'(executed copy: {_rel(output)})', name=stem, output=output,
            ename=type(e).__name__, evalue=str(e)) from e
    return output


def _plan(names, parameters, smoke, notebooks_dir):
    """Read and check every notebook before the first (slow) run: ({name:
    the overrides it gets}, {name: why it cannot be read}). A key that no
    notebook declares, or a wrong type, is a ParameterError."""
    declared, broken = {}, {}
    for name in names:
        try:
            declared[name] = notebook_parameters(name, notebooks_dir)
        except NotebookError as e:
            broken[name] = str(e)
    stray = [k for k in parameters
             if not any(k in decl for decl in declared.values())]
    if stray and len(declared) == 1:    # the message that lists the valid ones
        (name, decl), = declared.items()
        _check(name, decl, parameters)
    if stray and declared:
        valid = ', '.join(dict.fromkeys(
            k for decl in declared.values() for k in decl))
        raise ParameterError(f'unknown parameter {stray[0]!r}: no selected '
                             f'notebook declares it; valid: {valid}')
    plan = {}
    for name, decl in declared.items():
        mine = {k: v for k, v in parameters.items() if k in decl}
        if smoke and 'SMOKE' in decl:
            mine['SMOKE'] = True
        plan[name] = _check(name, decl, mine)
    return plan, broken


def _run_one(name, plan, broken, **execute_args):
    """Execute one notebook of reproduce(); its NotebookResult, never raises
    NotebookError (a failure is a result like any other)."""
    t0 = time.perf_counter()
    if name in broken:
        return NotebookResult(name, False, 0.0, error=broken[name])
    try:
        out = execute(name, plan[name], **execute_args)
        return NotebookResult(name, True, time.perf_counter() - t0,
                              out, parameters=plan[name])
    except NotebookError as e:
        res = NotebookResult(name, False, time.perf_counter() - t0,
                             e.output, str(e), plan[name])
        if e.ename == 'MissingRunsError':  # nothing saved to read yet: not a failure
            res.ok, res.skipped, res.error = True, True, e.evalue
        return res


def _log_result(log, i, n, res):
    head = f'[{i}/{n}] {res.name} ...'
    if res.skipped:
        log(f'{head} skipped: {res.error}')
    elif res.ok:
        log(f'{head} ok ({res.seconds:.1f} s) -> {_rel(res.output)}')
    else:
        log(f'{head} FAILED ({res.seconds:.1f} s): {res.error}')


def reproduce(names=None, parameters=None, smoke=False, log=print,
              output_dir=None, timeout=None, notebooks_dir=None,
              workers=None, preload=True):
    """Execute notebooks (default: all but the _templates and TEACHING), one line each.

    parameters is one flat dict: each notebook gets the keys it declares, and
    a key that no selected notebook declares is a ParameterError before
    anything runs. smoke=True sets SMOKE=True where a notebook declares it.
    A notebook whose saved runs are missing (MissingRunsError) is skipped with
    a line that says which command makes them; it is not a failure.
    A failure does not stop the others; NotebookError is raised at the end
    (its .results holds every NotebookResult). Returns the results.

    workers: how many notebooks run at once (default: one per CPU); the lines
    and the results keep the order of names, whichever finishes first.
    preload=True forks the kernels from a server that has run the notebooks'
    imports (minilab.kernels); False starts each kernel on its own.
    """
    if workers is not None and workers < 1:
        raise ParameterError(f'workers must be a positive number, got {workers}')
    if isinstance(names, str):
        names = [names]
    names = list(names) if names else [n for n in list_notebooks(notebooks_dir, False)
                                       if n not in TEACHING]
    workers = max(1, min(workers or default_workers(), len(names)))
    preload = preload_imports(names, notebooks_dir) if preload else None
    results = []
    # the kernel server starts first: its imports (~5 s of CPU) overlap the
    # reading and checking below (~3 s: jupytext, nbformat, papermill); a
    # ParameterError stops it before any notebook runs. Worker threads, not
    # processes: a worker only waits on its kernel, so the CPUs go to kernels
    with _kernel_env(), kernels.kernel_managers(preload, cwd=paths.ROOT) as manager:
        plan, broken = _plan(names, dict(parameters or {}), smoke, notebooks_dir)
        with ThreadPoolExecutor(workers, thread_name_prefix='notebook') as pool:
            futures = [pool.submit(_run_one, name, plan, broken, output_dir=output_dir,
                                   timeout=timeout, notebooks_dir=notebooks_dir,
                                   kernel_manager=manager)
                       for name in names]
            try:
                for i, future in enumerate(futures, 1):   # in order, as each is done
                    results.append(future.result())
                    _log_result(log, i, len(names), results[-1])
            except BaseException:       # Ctrl-C: start no further notebook
                pool.shutdown(cancel_futures=True)
                raise

    failed = [r.name for r in results if not r.ok]
    if failed:
        raise NotebookError(f'{len(failed)} of {len(results)} notebooks '
                            f'failed: {", ".join(failed)}', results=results)
    return results


# -----------------------------------------------------------------------------
# the paired .ipynb copies

def _ipynb_text(name, notebooks_dir=None):
    import jupytext
    return jupytext.writes(read_notebook(name, notebooks_dir), fmt='ipynb',
                           config=_config()) + '\n'


def sync_pairs(check=False, notebooks_dir=None):
    """Rewrite each notebooks/<name>.ipynb from its .py (no outputs).

    Returns the names whose .ipynb was out of date (and, unless check=True,
    has now been rewritten).
    """
    folder, stale = _dir(notebooks_dir), []
    for name in list_notebooks(notebooks_dir):
        text = _ipynb_text(name, notebooks_dir)
        target = folder / f'{name}.ipynb'
        if target.is_file() and target.read_text(encoding='utf-8') == text:
            continue
        stale.append(name)
        if not check:
            tmp = target.with_name(f'.{target.name}.tmp')
            tmp.write_text(text, encoding='utf-8')
            os.replace(tmp, target)
    return stale


# -----------------------------------------------------------------------------
# command line (used by the Makefile)

def _value(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text                     # a bare word is a string


def main(argv=None):
    ap = argparse.ArgumentParser(prog='python -m minilab.notebooks',
                                 description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    sub.add_parser('list', help='notebook names')
    sub.add_parser('sync', help='rewrite notebooks/*.ipynb from the .py')
    sub.add_parser('check', help='exit 1 if a notebooks/*.ipynb is stale')
    pp = sub.add_parser('params', help="a notebook's parameters")
    pp.add_argument('name')
    run = sub.add_parser('run', help='execute notebooks with papermill')
    run.add_argument('names', nargs='+', metavar='NAME')
    run.add_argument('-p', '--parameter', nargs=2, action='append',
                     default=[], metavar=('KEY', 'VALUE'),
                     help='override a parameter (value as a python literal)')
    run.add_argument('--smoke', action='store_true',
                     help='SMOKE=True where declared (tiny fixture runs)')
    run.add_argument('--timeout', type=float, help='seconds per cell')
    run.add_argument('--jobs', type=int, help='notebooks run at once (default: one per CPU)')
    run.add_argument('--no-preload', action='store_true',
                     help='start each kernel on its own (see minilab.kernels)')
    args = ap.parse_args(argv)

    try:
        if args.cmd == 'list':
            print('\n'.join(list_notebooks()))
        elif args.cmd == 'params':
            for key, p in notebook_parameters(args.name).items():
                print(f"{key}: {p['type']} = {p['default']!r}  # {p['help']}")
        elif args.cmd in ('sync', 'check'):
            stale = sync_pairs(check=args.cmd == 'check')
            verb = 'out of date' if args.cmd == 'check' else 'rewritten'
            for name in stale:
                print(f'notebooks/{name}.ipynb {verb}')
            if args.cmd == 'check' and stale:
                print('run `make notebooks` to update them', file=sys.stderr)
                return 1
        elif args.cmd == 'run':
            params = {k: _value(v) for k, v in args.parameter}
            reproduce(args.names, params, smoke=args.smoke, timeout=args.timeout,
                      workers=args.jobs, preload=not args.no_preload)
    except ParameterError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    except NotebookError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
