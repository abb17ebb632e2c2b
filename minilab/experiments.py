"""Experiments: named plans of stages, with presets for three scales.

    tiny    seconds; for tests
    mini    the embedded default: the offline world on a 2-core CPU (the saved runs)
    paper   hub models and datasets (google/bert_uncased_L-*, bert-large-uncased,
            glue/sst2) for a GPU and a network

    plan = build_plan('wr_main', preset='mini', seeds=[0, 1, 2])
    plan.execute()                    # skips finished runs, resumes the rest
    df = results('wr_main', preset='mini')   # the runs of this plan, as a DataFrame

A preset is a flat dict of literals; any key can be overridden by name, and an
unknown name or preset is an error naming the valid ones. Every parameter's
type comes from its value in the experiment's presets (an int is also a valid
float, a list parameter given one value is a one-element list, a parameter that
is None in some preset may be None) and its range from `RANGES`; `params`
checks them all, in one line naming the value and the valid ones. The names a
plan loads (tasks, tokenizers, models, corpora, transfer pools) are resolved by
`Plan.check` (minilab.stages), before its first stage trains.
"""
import copy

from minilab import catalog, models, objectives, runs
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


# -----------------------------------------------------------------------------
# parameter types and ranges


class Range:
    """The numbers a parameter (each item, for a list parameter) may take."""

    def __init__(self, low=None, high=None, low_open=False, high_open=False):
        self.low, self.high, self.low_open, self.high_open = low, high, low_open, high_open

    def __contains__(self, x):
        return ((self.low is None or x > self.low or (x == self.low and not self.low_open))
                and (self.high is None or x < self.high or (x == self.high and not self.high_open)))

    def __str__(self):
        if self.high is None:
            return f"{'>' if self.low_open else '>='} {self.low}"
        return f"in {'(' if self.low_open else '['}{self.low}, {self.high}{')' if self.high_open else ']'}"


COUNT = Range(1)                          # sizes, epochs, batches, dimensions
NON_NEGATIVE = Range(0)                   # seeds, loss weights; 0 = off where it means that
POSITIVE = Range(0, low_open=True)        # learning rates, temperatures
FRACTION = Range(0, 1, high_open=True)    # dropout, warm-up share, Adam betas
PROBABILITY = Range(0, 1, low_open=True)  # masking probability

# every numeric parameter of every preset (tests/test_validation.py keeps this
# table complete); for a list parameter the range of each item
RANGES = {
    # examples, tokens, batches
    'train_size': COUNT, 'dev_size': COUNT, 'test_size': COUNT, 'max_length': COUNT,
    'pretrain_max_length': COUNT,
    'corpus_size': COUNT, 'distill_corpus_size': COUNT, 'heldout_size': COUNT,
    'transfer_size': COUNT, 'transfer_sizes': COUNT, 'pretrain_budgets': COUNT,
    'seeded_pretrain_budgets': COUNT, 'labels_per_class': COUNT,
    'batch_size': COUNT, 'pretrain_batch_size': COUNT, 'teacher_batch_size': COUNT,
    'distill_batch_size': COUNT, 'finetune_batch_size': COUNT, 'lowres_teacher_batch_size': COUNT,
    'speed_batch_size': COUNT, 'batch_sizes': COUNT, 'paper_batch_size': COUNT,
    'latency_examples': COUNT, 'examples_per_pass': COUNT, 'n_inputs': COUNT, 'n_single': COUNT,
    'paper_n_inputs': COUNT, 'paper_student_vocab': COUNT, 'vocab_size': NON_NEGATIVE,  # 0: the tokenizer's
    # epochs and steps
    'epochs': COUNT, 'pretrain_epochs': COUNT, 'teacher_pretrain_epochs': COUNT,
    'teacher_epochs': COUNT, 'distill_epochs': COUNT, 'finetune_epochs': COUNT,
    'compound_pretrain_epochs': COUNT, 'baseline_epochs': COUNT, 'ce_epochs': COUNT,
    'hard_epochs': COUNT, 'logit_epochs': COUNT, 'rep_epochs': COUNT, 'joint_epochs': COUNT,
    'patience': NON_NEGATIVE, 'min_steps': NON_NEGATIVE,
    # optimisation
    'lr': POSITIVE, 'random_lr': POSITIVE, 'pretrain_lr': POSITIVE, 'teacher_pretrain_lr': POSITIVE,
    'teacher_lr': POSITIVE, 'finetune_lr': POSITIVE, 'distill_lr': POSITIVE, 'baseline_lr': POSITIVE,
    'distill_warmup': FRACTION, 'finetune_warmup': FRACTION, 'betas': FRACTION,
    'weight_decay': NON_NEGATIVE, 'clip': NON_NEGATIVE,  # clip 0: no clipping
    'dropout': FRACTION,
    # objectives
    'temperature': POSITIVE, 'kd_temperature': POSITIVE, 'alpha_ce': NON_NEGATIVE,
    'alpha_mlm': NON_NEGATIVE, 'alpha_cos': NON_NEGATIVE, 'alpha_kd': NON_NEGATIVE,
    'alpha_task': NON_NEGATIVE, 'pkd_beta': NON_NEGATIVE,
    'mlm_probability': PROBABILITY, 'pretrain_mlm_probability': PROBABILITY,
    'mlm_smoothing': NON_NEGATIVE,  # 0: uniform masking
    # models
    'student_layers': COUNT, 'depths': COUNT, 'layer_map': NON_NEGATIVE, 'embedding_dim': COUNT,
    'hidden_size': COUNT, 'match_tolerance': NON_NEGATIVE,
    # runs and timing
    'seeds': NON_NEGATIVE, 'repeats': COUNT, 'latency_repeats': COUNT,
    'threads': NON_NEGATIVE, 'latency_threads': NON_NEGATIVE,  # 0: torch's default
    'world_version': COUNT,
}
# where a paper reads a parameter otherwise: turc2019's 0 epochs of fine-tuning
# after distillation means none
PAPER_RANGES = {'turc2019': {'finetune_epochs': NON_NEGATIVE}}
# strings among fixed choices (names of tasks, models, tokenizers and corpora
# are resolved by Plan.check; procedures, variants... by the paper modules)
CHOICES = {'scale': ('mini', 'paper'), 'mixed_precision': ('no', 'bf16', 'fp16')}
# the item type of a list parameter that is empty in every preset
ITEM_TYPES = {'layer_map': int}
# lists that may not be empty (an empty `sizes` of wr_grid is the whole grid)
NON_EMPTY = {'seeds', 'procedures', 'tasks', 'downstream_tasks', 'variants', 'systems', 'init_modes',
             'depths', 'transfer_sizes', 'transfer_domains', 'transfer_pools', 'labels_per_class',
             'batch_sizes', 'betas'}


class _SetNone:
    """An override that sets a parameter to None (a plain None keeps the preset's value)."""

    def __repr__(self):
        return 'None'


SET_NONE = _SetNone()
_TYPE_WORDS = {bool: 'True or False', int: 'an integer', float: 'a number', str: 'a string'}
_PLURALS = {bool: 'True/False values', int: 'integers', float: 'numbers', str: 'strings'}


def _kind(value):
    return None if value is None else list if isinstance(value, list) else type(value)


def param_types(name):
    """{parameter: (type, item type of a list or None, may be None)} of an
    experiment, from its values in all its presets (int and float: float)."""
    found = {}
    for p in EXPERIMENTS[name]['presets'].values():
        for key, value in p.items():
            kinds, items = found.setdefault(key, (set(), set()))
            kinds.add(_kind(value))
            if isinstance(value, list):
                items.update(type(v) for v in value)
    out = {}
    for key, (kinds, items) in found.items():
        for group in (kinds, items):
            if {int, float} <= group:
                group.discard(int)
        real = kinds - {None}
        item = ITEM_TYPES.get(key) or (items.pop() if len(items) == 1 else None)
        out[key] = (real.pop() if len(real) == 1 else None, item, None in kinds)
    return out


def _describe(type_, item, nullable, valid_range, choices):
    if type_ is list:
        text = f'a list of {_PLURALS[item]}' if item in _PLURALS else 'a list'
    else:
        text = _TYPE_WORDS.get(type_, 'a value')
    if valid_range is not None:
        text += f' {valid_range}'
    if choices:
        text = ', '.join(choices)
    return text + (' or None' if nullable else '')


def _check_value(name, preset, key, value, types):
    """The value of parameter `key`, checked against its type, range and choices
    (a scalar or tuple given for a list parameter becomes a list)."""
    type_, item, nullable = types.get(key, (None, None, True))
    valid_range = PAPER_RANGES.get(EXPERIMENTS[name]['paper'], {}).get(key, RANGES.get(key))
    choices = CHOICES.get(key)
    default = EXPERIMENTS[name]['presets'][preset].get(key)

    def bad(what):
        valid = _describe(type_, item, nullable, valid_range, choices)
        return ExperimentError(f'{key}={value!r} {what}; valid: {valid} (the {preset} preset '
                               f'has {default!r})')

    def fits(v, t):
        if t is None:
            return True
        if t is float:
            return isinstance(v, (int, float)) and not isinstance(v, bool)
        if t is int:
            return isinstance(v, int) and not isinstance(v, bool)
        return isinstance(v, t)

    if value is None:
        if not nullable:
            raise bad('is not allowed')
        return None
    if type_ is list:
        if isinstance(value, str) and ',' in value:  # --set procedures=basic,D
            value = [v.strip() for v in value.split(',') if v.strip()]
        elif not isinstance(value, (list, tuple)):
            value = [value]  # --set sizes=L2_H128: one size
        value = list(value)
        if not value and key in NON_EMPTY:
            raise bad('is empty')
        for v in value:
            if not fits(v, item):
                raise bad(f'holds {v!r}, not {_TYPE_WORDS.get(item, "a value")}')
            if valid_range is not None and fits(v, float) and v not in valid_range:
                raise bad(f'holds {v!r}, out of range')
        return value
    if not fits(value, type_):
        raise bad(f'is not {_TYPE_WORDS.get(type_, "valid")}')
    if valid_range is not None and type_ in (int, float) and value not in valid_range:
        raise bad('is out of range')
    if choices and value not in choices:
        raise bad('is not a valid choice')
    return value


def _check_template(key, template):
    try:
        template.format(L=1, H=64, A=1)
    except (KeyError, IndexError, ValueError, AttributeError) as err:
        raise ValueError(f"{key} {template!r} is not a name template ({type(err).__name__}: {err}); "
                         f"valid: 'pretrain' or a model name/path with {{L}} {{H}} {{A}}") from None


def _check_names(p):
    """Sizes and model-name templates, which plans read before any stage runs."""
    for key in ('sizes', 'teacher_size', 'student_size'):
        for size in (p[key] if key == 'sizes' else [p[key]]) if key in p else ():
            models.parse_size(size, p.get('scale', 'mini'))
    for key in ('student_init', 'teacher_init'):
        if key in p:
            _check_template(key, p[key])
    for size, template in (p.get('pretrained_students') or {}).items():  # size -> its checkpoint
        models.parse_size(size, p.get('scale', 'mini'))
        if not isinstance(template, str) or template == 'pretrain':
            raise ValueError(f"pretrained_students[{size!r}] = {template!r} is not a model name/path "
                             f"template; valid: a name/path with {{L}} {{H}} {{A}} (sizes the kit "
                             f"pre-trains are left out: student_init='pretrain')")
        _check_template(f'pretrained_students[{size!r}]', template)
    for key in ('pretrained_lr_by_size', 'random_lr_by_size'):  # size -> its learning rate
        for size, lr in (p.get(key) or {}).items():
            models.parse_size(size, p.get('scale', 'mini'))
            if isinstance(lr, bool) or not isinstance(lr, (int, float)) or lr <= 0:
                raise ValueError(f"{key}[{size!r}] = {lr!r} is not a learning rate; valid: a number > 0")
    for size, texts in (p.get('corpus_size_by_size') or {}).items():  # size -> its pre-training budget
        models.parse_size(size, p.get('scale', 'mini'))
        if isinstance(texts, bool) or not isinstance(texts, int) or texts <= 0:
            raise ValueError(f"corpus_size_by_size[{size!r}] = {texts!r} is not a number of texts; "
                             f"valid: an integer > 0")
    for size in p.get('seeded_pretrain_sizes') or ():  # sizes pre-trained once per seed
        models.parse_size(size, p.get('scale', 'mini'))
    if isinstance(p.get('distill_loss'), str):
        objectives.check_weights(p['distill_loss'])


def params(name, preset='mini', **overrides):
    """The flat parameters of an experiment preset, with overrides checked:
    names, types, ranges, choices and the paper module's own rules. None keeps
    the preset's value; SET_NONE sets None."""
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
        p[key] = None if value is SET_NONE else _absolute(value)
    types = param_types(name)
    for key in p:
        p[key] = _check_value(name, preset, key, p[key], types)
    valid = EXPERIMENTS[name].get('procedure_choices', PROCEDURES)
    for proc in p.get('procedures', ()):
        if proc not in valid:
            raise ExperimentError(f'unknown procedure {proc!r}; valid: {", ".join(valid)}')
    validate = EXPERIMENTS[name].get('validate')  # a paper module's own checks (ValueError)
    try:
        _check_names(p)
        if validate is not None:
            validate(p)
    except ValueError as err:
        raise ExperimentError(str(err)) from None
    return p


def _absolute(value):
    """An override naming an existing local file or folder, as an absolute path:
    a run's config then means the same data from any working directory (a
    notebook kernel runs in notebooks/); lists are done item by item."""
    from pathlib import Path

    from minilab.runs import RESERVED_NAMES
    if isinstance(value, (list, tuple)):
        return type(value)(_absolute(v) for v in value)
    if isinstance(value, str) and value and not value.startswith(RESERVED_NAMES) \
            and not Path(value).is_absolute() and Path(value).exists():
        return str(Path(value).resolve())
    return value


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
        plan.check()  # every task, model, tokenizer and corpus name, before training
        plan.execute()
    students = results(name, preset, root=root, **overrides)
    teachers = results(name, preset, kind='teacher', root=root, **overrides)
    missing = len(plan.ids('student')) - len(students)
    print(f'{len(students)} student runs and {len(teachers)} teacher run(s) loaded; {missing} missing')
    if students.empty:
        raise runs.MissingRunsError(f'no saved runs of {name} ({preset}): run `minilab run {name} '
                           f'--preset {preset}` or set RERUN=True')
    return plan, students, teachers
