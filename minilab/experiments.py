"""Experiments: named plans of stages, with presets for three scales.

    tiny    seconds; for tests
    mini    the embedded default: the offline world on a 2-core CPU (the saved runs)
    paper   hub models and datasets (google/bert_uncased_L-*, bert-large-uncased,
            glue/sst2) for a GPU and a network

    plan = build_plan('wr_main', preset='mini', seeds=[0, 1, 2])
    plan.execute()                    # skips finished runs, resumes the rest
    df = results('wr_main', preset='mini')   # the runs of this plan, as a DataFrame

A preset is a flat dict of literals; any key can be overridden by name, and an
unknown name or preset is an error naming the valid ones.
"""
import copy

from minilab import catalog, models, runs
from minilab.methods.pretrained_distillation import PROCEDURES
from minilab.papers import mukherjee2020, sanh2019, turc2019


class ExperimentError(ValueError):
    """Bad experiment, preset or override; one line naming the valid choices."""


# -----------------------------------------------------------------------------
# registry

# each paper module holds its experiments (presets + plan function); this is
# the one place that lists them all, for the CLI and the notebooks
EXPERIMENTS = {}
for _module in (turc2019, sanh2019, mukherjee2020):
    EXPERIMENTS.update(_module.EXPERIMENTS)
WR_MAIN_PRESETS = turc2019.WR_MAIN_PRESETS


def params(name, preset='mini', **overrides):
    """The flat parameters of an experiment preset, with overrides checked."""
    try:
        catalog.check_experiment(name)
    except ValueError as err:
        raise ExperimentError(str(err)) from None
    presets = EXPERIMENTS[name]['presets']
    if preset not in presets:
        raise ExperimentError(f'unknown preset {preset!r} for {name}; valid: {", ".join(presets)}')
    p = copy.deepcopy(presets[preset])  # callers may mutate lists
    for key, value in overrides.items():
        if value is None:
            continue
        if key not in p:
            raise ExperimentError(f'unknown parameter {key!r} for {name}; valid: {", ".join(sorted(p))}')
        p[key] = value
    valid = EXPERIMENTS[name].get('procedure_choices', PROCEDURES)
    for proc in p.get('procedures', ()):
        if proc not in valid:
            raise ExperimentError(f'unknown procedure {proc!r}; valid: {", ".join(valid)}')
    for size in p.get('sizes', ()):
        try:
            models.parse_size(size, p.get('scale', 'mini'))
        except ValueError as err:
            raise ExperimentError(str(err)) from None
    validate = EXPERIMENTS[name].get('validate')  # a paper module's own checks (ValueError)
    if validate is not None:
        try:
            validate(p)
        except ValueError as err:
            raise ExperimentError(str(err)) from None
    return p


def build_plan(name, preset='mini', **overrides):
    p = params(name, preset, **overrides)  # validates everything before any compute
    return EXPERIMENTS[name]['plan'](p)


def results(name, preset='mini', kind='student', root=None, **overrides):
    """The saved runs of a plan as a DataFrame (missing runs are simply absent)."""
    import pandas as pd
    plan = build_plan(name, preset, **overrides)
    rows = []
    for rid in plan.ids(kind):
        if runs.is_done(plan.paper, rid, root):
            rec = runs.load_record(plan.paper, rid, root)
            row = {'run_id': rid}
            row.update({k: v for k, v in rec['config'].items() if not isinstance(v, (dict, list))})
            row.update(rec['metrics'])
            row.update({f'time_{k}': v for k, v in rec['timings'].items()})
            rows.append(row)
    return pd.DataFrame(rows)


def load_runs(name, preset, root=None, rerun=False, **overrides):
    """The plan of experiment `name` and its saved student and teacher runs
    (DataFrames); rerun=True trains the missing runs first. Fails in one line
    when nothing is saved."""
    plan = build_plan(name, preset, **overrides)
    if rerun:
        plan.execute()
    students = results(name, preset, root=root, **overrides)
    teachers = results(name, preset, kind='teacher', root=root, **overrides)
    missing = len(plan.ids('student')) - len(students)
    print(f'{len(students)} student runs and {len(teachers)} teacher run(s) loaded; {missing} missing')
    if students.empty:
        raise runs.MissingRunsError(f'no saved runs of {name} ({preset}): run `minilab run {name} '
                           f'--preset {preset}` or set RERUN=True')
    return plan, students, teachers
