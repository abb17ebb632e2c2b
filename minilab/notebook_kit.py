"""What every results notebook does besides its own analysis: where it reads
and writes, loading its saved runs, and publishing its figure, table and
scorecard rows. A notebook keeps only what is its own (the parameters, the
computation, the plot, the claims).

    nb = notebook_kit.Notebook('mh_t2_main', 'mukherjee2020', PRESET, smoke=SMOKE)
    plan, students, teachers = nb.load('mh_main', 'bilstm', 'teacher', rerun=RERUN, **overrides)
    ...
    nb.save(fig, table)          # <out>/figures/<paper>/<notebook>_<preset>.{png,svg}, tables too
    nb.publish(dict(PRESET=PRESET, SEEDS=SEEDS), run_ids,
               [Finding('MH-T2', 'labeled < hard <= soft <= stagewise', measured, verdict)])

Where it reads: nb.runs_root, the committed runs (results/runs, or $MINILAB_RUNS),
a user's run store (runs_dir, with the overrides its runs were made with), or
the tiny fixture runs of tests/fixtures/runs in smoke mode.
Where it writes: nb.out, results/ (build/smoke in smoke mode, <runs_dir>/reports
for a user's runs): figures/,
tables/, findings.csv and manifest.json under it. $MINILAB_OUT overrides it,
so a test can recompute the scorecard into a temporary folder
(tests/test_findings.py) without touching results/.
"""
import os
from pathlib import Path
from typing import NamedTuple

from minilab import claims, experiments, paths, plots, report, runs
from minilab.runs import MissingRunsError

OUT_ENV = 'MINILAB_OUT'


class Finding(NamedTuple):
    """One scorecard row of a notebook: the finding id (papers.md), the claim
    as the kit tests it, what was measured (each claimed difference with its
    paired 95% interval), and the verdict: 'holds', 'does not hold' or
    'inconclusive' (minilab.claims), or a bool for a deterministic check."""
    id: str
    claim: str
    measured: str
    holds: object


def output_root(smoke=False):
    """Where a notebook writes: $MINILAB_OUT if set, else build/smoke in
    smoke mode, else results/."""
    if os.environ.get(OUT_ENV):
        return Path(os.environ[OUT_ENV])
    return paths.BUILD / 'smoke' if smoke else paths.RESULTS


def shown(path):
    """A path as printed: relative to the repository when inside it."""
    path = Path(path)
    return str(path.relative_to(paths.ROOT)) if path.is_relative_to(paths.ROOT) else str(path)


class Notebook:
    """One notebook's reading, writing and recording.

    name: the notebook (file stem), recorded with every output; paper: the
    folder under figures/ and tables/ and the paper of its findings; preset:
    the experiment preset its runs come from (after any smoke override);
    smoke: read tests/fixtures/runs and write under build/smoke; out: where to
    write instead of output_root(smoke) (the template writes under build/).
    Applies the kit's figure style.
    """

    def __init__(self, name, paper, preset, smoke=False, out=None, runs_dir='', overrides=None):
        self.name, self.paper, self.preset, self.smoke = name, paper, preset, bool(smoke)
        self.overrides = dict(overrides or {})  # the overrides the runs were made with
        if self.smoke:
            self.runs_root = paths.FIXTURES / 'runs'
        else:  # a user's run store (`minilab run --runs-dir`), else the kit's
            self.runs_root = Path(runs_dir) if runs_dir else paths.RUNS
        if out is None and runs_dir and not self.smoke and not os.environ.get(OUT_ENV):
            out = Path(runs_dir) / 'reports'  # a user's figures never land in results/
        self.out = Path(out) if out is not None else output_root(self.smoke)
        self.fig_id = f'{name}_{preset}'
        self.saved = []
        plots.use_style()

    # -- reading --------------------------------------------------------------

    def results(self, experiment, kind, **overrides):
        """The saved runs of one kind of an experiment's plan (a DataFrame;
        missing runs are absent)."""
        return experiments.results(experiment, self.preset, kind=kind, root=self.runs_root,
                                   **{**self.overrides, **overrides})

    def load(self, experiment, *kinds, rerun=False, require=None, **overrides):
        """(plan, one DataFrame per kind) of experiment `experiment` at this
        preset. rerun=True trains the missing runs first (never in smoke mode).
        Raises MissingRunsError (reproduce: 'skipped') when a kind of `require`
        (default: every kind) has no saved run."""
        plan = experiments.build_plan(experiment, self.preset, **{**self.overrides, **overrides})
        if rerun and not self.smoke:
            plan.execute()
        frames = [self.results(experiment, kind, **overrides) for kind in kinds]
        print('; '.join(f'{kind}: {len(df)} runs loaded, {len(plan.ids(kind)) - len(df)} missing'
                        for kind, df in zip(kinds, frames)))
        empty = [k for k, df in zip(kinds, frames) if df.empty and k in (require or kinds)]
        if empty:
            raise self.missing(experiment, ', '.join(empty))
        return (plan, *frames)

    def load_record(self, experiment, label=None, rerun=False, **overrides):
        """(plan, run id, record) of the one run of a plan (or the one whose
        label is `label`): a timing or a measurement made once."""
        plan = experiments.build_plan(experiment, self.preset, **overrides)
        if rerun and not self.smoke:
            plan.execute()
        if label is None:
            (rid,) = plan.ids()
        else:
            rid = next(r for r, v in plan.labels.items() if v == label)
        if not runs.is_done(plan.paper, rid, self.runs_root):
            raise self.missing(experiment, f'run {rid}')
        return plan, rid, runs.load_record(plan.paper, rid, self.runs_root)

    def missing(self, experiment, what='runs'):
        """The MissingRunsError that says which command makes the runs."""
        return MissingRunsError(f'no saved {what} of {experiment} ({self.preset}): run '
                                f'`minilab run {experiment} --preset {self.preset}` or set RERUN=True')

    # -- writing --------------------------------------------------------------

    def save(self, fig, table, fig_id=None, **table_options):
        """Save the figure (png, svg) and its table (csv, md) under `out`, as
        <paper>/<fig_id> (default <notebook>_<preset>); print and return the
        paths. table_options go to plots.save_table (e.g. float_format)."""
        if fig_id is not None:
            self.fig_id = fig_id
        saved = plots.save_fig(fig, self.fig_id, self.paper, root=self.out / 'figures')
        saved += plots.save_table(table, self.fig_id, self.paper, root=self.out / 'tables',
                                  **table_options)
        self.saved += saved
        print('\n'.join(shown(p) for p in saved))
        return saved

    def publish(self, parameters, run_ids, findings=()):
        """Record the notebook's findings (rows of <out>/findings.csv) and the
        manifest entry of what it saved (<out>/manifest.json: parameters,
        input runs, output files); print each verdict."""
        for f in findings:
            f = Finding(*f)
            report.record_finding(f.id, self.paper, f.claim, f.measured, f.holds, self.name,
                                  self.preset, path=self.out / 'findings.csv')
            print(f'{f.id}: {claims.as_verdict(f.holds)}')
        report.record_outputs(self.fig_id, self.name, parameters, list(run_ids), self.saved,
                              path=self.out / 'manifest.json')
