"""Live runs: one student trained over the kit's own stages, its history rows
handed out as they come, stoppable. The engine of the playground and the tour.

    s = live.Settings(procedure='D', student_size='tiny', temperature=2.0)
    result = live.run(s, on_row=print, should_stop=lambda: False)

No recipe of its own. The teacher and the pre-trained students are stages of
Turc et al.'s WR-F4 plan (`wr_main`): of its `quick` preset (a small teacher,
minutes of CPU) at the settings' data sizes, or of `mini` (the saved runs' own
stages). They are built on first use through `Plan` and `stages.RUNNERS` and
cached like every stage: checkpoints in cache/checkpoints, records in
cache/playground-runs (never the committed results/runs). The student starts as
the plan's student stage starts one (`pretrained_distillation.init_student`), or
is the BiLSTM of Mukherjee & Hassan Awadallah's mini preset; it trains with
`train.fit` on the loss `objectives.compose` makes of the user's weights:

    alpha_soft   on `distill_loss` (soft_ce, kl, logit_mse or hard)
    alpha_hard   on 'ce', gold labels: the labeled reviews join the transfer set,
                 whose rows are labelled -100 (Hinton: a and 1 - a)
    alpha_cos    on 'cos', DistilBERT's L_cos against a live teacher's last layer
                 (the student needs the teacher's width); for the BiLSTM on
                 'rep_cos', its dense layer against the teacher's [CLS]

on the teacher's outputs from the kit's one store (`inference.teacher_outputs`).
"""
import dataclasses
import json
import logging
import threading
import time
from collections import namedtuple

import numpy as np

from minilab import data, experiments, inference, models, objectives, paths, runs, world
from minilab.methods import base, pretrained_distillation, xtremedistil
from minilab.papers import mukherjee2020
from minilab.plots import softmax
from minilab.train import fit

PROCEDURES = ('basic', 'D', 'PF', 'PD', 'BiLSTM')
PRETRAINED, DISTILLED = {'PF', 'PD'}, {'D', 'PD', 'BiLSTM'}
DISTILL_LOSSES = ('soft_ce', 'kl', 'logit_mse', 'hard')
SOURCES = {'quick': 'quick', 'wr_f4': 'mini'}   # where the teacher comes from: wr_main preset
STORE = 'playground-runs'                       # the stages' records: paths.CACHE / STORE
Teacher = namedtuple('Teacher', 'model folder test_accuracy label')


class SettingsError(ValueError):
    """A bad playground setting; the message is one line naming the valid choices."""


@dataclasses.dataclass
class Settings:
    """One playground run. Sizes are mini-scale names (tiny L1_H32, mini L2_H64,
    small L2_H128, medium L4_H128, base L6_H192) or 'L<layers>_H<hidden>'."""
    procedure: str = 'D'             # basic, D, PF, PD or BiLSTM
    student_size: str = 'tiny'       # the student (BiLSTM: ignored)
    teacher_size: str = 'small'      # the quick teacher (source='wr_f4': always base)
    source: str = 'quick'            # 'quick' (wr_main's quick preset) or 'wr_f4' (its mini)
    temperature: float = 1.0         # softens teacher and student outputs in soft_ce / kl
    distill_loss: str = 'soft_ce'    # the soft term: soft_ce, kl, logit_mse or hard
    alpha_soft: float = 1.0          # weight of the soft term (DistilBERT alpha_ce)
    alpha_hard: float = 0.0          # weight of 'ce' on gold labels (alpha_mlm's place)
    alpha_cos: float = 0.0           # weight of 'cos' (BiLSTM: 'rep_cos'; alpha_cos)
    transfer_size: int = 8000        # unlabeled transfer examples
    transfer_domain: str = 'movies'  # review domain of the transfer set (world.DOMAIN_ORDER)
    train_size: int = 2000           # labeled examples (WR-F4: 2000)
    dev_size: int = 1000             # model selection (WR-F4: 1000)
    test_size: int = 2000            # reported accuracy (WR-F4: 2000)
    epochs: int = 10                 # supervised epochs (basic, PF)
    distill_epochs: int = 6          # epochs over the transfer set (D, PD, BiLSTM)
    finetune_epochs: int = 0         # fine-tuning on labels after distillation (WR-F4: 3)
    lr: float = 1e-3
    batch_size: int = 64
    evals_per_epoch: int = 2         # dev evaluations (curve points) per epoch
    max_steps: int = 0               # stop after this many steps (0: no limit)
    seed: int = 0
    pretrain_sentences: int = 40000  # the quick preset's MLM corpus (teacher, PF/PD students)

    @classmethod
    def from_dict(cls, values):
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise SettingsError(f'unknown setting {unknown[0]!r}; valid: {", ".join(names)}')
        return cls(**values).validate()

    def to_dict(self):
        return dataclasses.asdict(self)

    def replace(self, **changes):
        return Settings.from_dict(dict(self.to_dict(), **changes))

    def validate(self):
        """Returns self; raises SettingsError (one line) on the first bad value."""
        for name, valid in (('procedure', PROCEDURES), ('source', SOURCES),
                            ('distill_loss', DISTILL_LOSSES),
                            ('transfer_domain', world.DOMAIN_ORDER)):
            if getattr(self, name) not in valid:
                raise SettingsError(f'unknown {name} {getattr(self, name)!r}; '
                                    f'valid: {", ".join(valid)}')
        for name in ('student_size', 'teacher_size'):
            try:
                models.parse_size(getattr(self, name), 'mini')
            except ValueError as err:
                raise SettingsError(f'{name}: {err}') from None
        for name in ('temperature', 'lr', 'alpha_soft', 'alpha_hard', 'alpha_cos'):
            _number(name, getattr(self, name), low=0, strict=name in ('temperature', 'lr'))
        for f in dataclasses.fields(self):  # the integers; 0 means 'none' for three of them
            value = getattr(self, f.name)
            low = 0 if f.name in ('finetune_epochs', 'max_steps', 'seed') else 1
            if f.type is int and (type(value) is not int or value < low):
                raise SettingsError(f'{f.name} must be an integer >= {low}, got {value!r}')
        if self.distilled and not self.alpha_soft + self.alpha_hard + self.alpha_cos:
            raise SettingsError('alpha_soft, alpha_hard and alpha_cos are all 0: nothing to '
                                'train on; set at least one > 0')
        (_, h), (_, th) = self.student_shape, self.teacher_shape
        if self.distilled and self.alpha_cos and self.procedure != 'BiLSTM' and h != th:
            raise SettingsError(f'alpha_cos needs the student as wide as the teacher (DistilBERT '
                                f'keeps the width): student H={h}, teacher H={th}; valid: a '
                                f'student size with H={th} or alpha_cos=0')
        return self

    distilled = property(lambda self: self.procedure in DISTILLED)
    pretrained = property(lambda self: self.procedure in PRETRAINED)
    student_shape = property(lambda self: models.parse_size(self.student_size, 'mini'))
    teacher_shape = property(lambda self: models.parse_size(
        'base' if self.source == 'wr_f4' else self.teacher_size, 'mini'))

    def loss_weights(self):
        """{term: weight} for `objectives.compose` (zero weights left out)."""
        cos = 'rep_cos' if self.procedure == 'BiLSTM' else 'cos'
        if not self.distilled:
            return {'ce': 1.0}
        terms = (self.distill_loss, self.alpha_soft), ('ce', self.alpha_hard), (cos, self.alpha_cos)
        return {name: float(w) for name, w in terms if w}

    def describe(self):
        """One line: what this run is."""
        student = 'BiLSTM' if self.procedure == 'BiLSTM' else models.size_name(*self.student_shape)
        if not self.distilled:
            return f'{self.procedure}: {student} student, {self.train_size} labeled reviews'
        loss = ' + '.join(f'{w:g}*{k}' for k, w in self.loss_weights().items())
        teacher = models.size_name(*self.teacher_shape)
        return (f'{self.procedure}: {student} student, teacher {teacher} ({self.source}), '
                f'{loss}, T={self.temperature:g}, '
                f'{self.transfer_size} unlabeled {self.transfer_domain} reviews')


def _number(name, value, low, strict=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) \
            or value < low or (strict and value == low):
        raise SettingsError(f'{name} must be a number {">" if strict else ">="} {low}, '
                            f'got {value!r}')


def as_settings(s):
    """A validated Settings from a Settings or a dict."""
    return (s if isinstance(s, Settings) else Settings.from_dict(dict(s or {}))).validate()


def hinton_alpha(alpha):
    """Hinton et al.'s one weight: alpha on the soft targets, 1 - alpha on the labels."""
    _number('alpha', alpha, low=0)
    if alpha > 1:
        raise SettingsError(f'alpha must be in [0, 1], got {alpha!r}')
    return {'alpha_soft': float(alpha), 'alpha_hard': round(1.0 - float(alpha), 6)}


# -----------------------------------------------------------------------------
# the stages under a run, and the run

RUNS_LOCK = threading.RLock()  # held while paths.RUNS points at the playground's store


def plan_for(s):
    """The wr_main plan of the settings' source (`quick` at the settings' data sizes
    and corpus, or the saved runs' `mini`), and the ids of its teacher, of a PD
    student stage of the student's size and of that size's pre-training."""
    s = as_settings(s)
    over = dict(sizes=[models.size_name(*s.student_shape)], seeds=[0], procedures=['PD'])
    if s.source == 'quick':
        over.update(teacher_size=s.teacher_size, corpus_size=s.pretrain_sentences,
                    train_size=s.train_size, dev_size=s.dev_size, test_size=s.test_size)
    plan = experiments.build_plan('wr_main', SOURCES[s.source], **over)
    student = plan.ids('student')[0]
    return plan, dict(teacher=plan.ids('teacher')[0], student=student,
                      pretrain=plan.configs[student]['init'])


def build_stage(plan, rid, log=print):
    """(checkpoint folder, record or {}, built now?) of a stage of `plan`, built
    with the stages it needs if its checkpoint is missing. Its record goes to
    cache/playground-runs: paths.RUNS, which minilab.runs reads at every call,
    points there meanwhile (the committed results/runs is only read)."""
    missing = [r for r in plan.upstream(rid) + [rid]
               if not (base.checkpoint_dir(r) / 'config.json').exists()]
    for r in missing:
        log(f'building the {plan.configs[r]["kind"]} stage {r} (cached after this)...')
    start, noisy = time.perf_counter(), logging.getLogger('accelerate.utils.other')
    level = noisy.level
    noisy.setLevel(logging.ERROR)  # its 'Removed shared tensor' at each epoch's loop checkpoint
    with RUNS_LOCK, models.quiet_transformers():
        saved, paths.RUNS = paths.RUNS, paths.CACHE / STORE
        try:
            folder = plan.checkpoint(rid)
            record = next((runs.load_record(plan.paper, rid, root) for root in (None, saved)
                           if runs.is_done(plan.paper, rid, root)), {})
        finally:
            paths.RUNS = saved
            noisy.setLevel(level)
    if missing:
        log(f'  done in {time.perf_counter() - start:.0f} s')
    return folder, record, bool(missing)


def teacher_for(settings, log=print, on_row=None):
    """The teacher stage of these settings (built if missing) as a Teacher; on_row
    gets its fine-tuning rows, from its record, when it was built now."""
    s = as_settings(settings)
    plan, ids = plan_for(s)
    folder, record, built = build_stage(plan, ids['teacher'], log)
    tok, task, splits = load_data(s, plan)
    with models.quiet_transformers():
        model = models.load_model(folder, kind='classifier', num_labels=task.num_labels)
    acc = record.get('metrics', {}).get('test_accuracy')
    if acc is None or plan.configs[ids['teacher']]['test_size'] != s.test_size:
        acc = inference.evaluate(model, splits[2], tok)['accuracy']
    for row in record.get('history', []) if built and on_row else []:
        on_row(dict(row, stage='teacher'))
    source = 'quick' if s.source == 'quick' else 'WR-F4'
    return Teacher(model, folder, acc, f'{source} teacher {models.size_name(*s.teacher_shape)}')


_DATA = {}


def load_data(s, plan):
    """(tokenizer, task, tokenized (train, dev, test)): the plan's task at the
    settings' sizes, kept in memory (one size at a time)."""
    c = dict(plan.configs[plan.ids('teacher')[0]], train_size=s.train_size, dev_size=s.dev_size,
             test_size=s.test_size)
    key = json.dumps([c[k] for k in ('task', 'domain', 'tokenizer', 'max_length', 'train_size',
                                     'dev_size', 'test_size')])
    if key not in _DATA:
        import datasets
        datasets.disable_progress_bars()
        tok, task = data.load_tokenizer(c['tokenizer']), base.load_task(c)
        _DATA.clear()
        _DATA[key] = tok, task, tuple(data.tokenize(getattr(task, split), tok, c['max_length'])
                                      for split in ('train', 'dev', 'test'))
    return _DATA[key]


def new_student(s, plan, ids, num_labels, tokenizer, teacher=None, log=print):
    """A BERT student as the plan's student stage starts one (random, or from its
    size's pre-training stage), or the BiLSTM of Mukherjee's mini preset."""
    import torch
    torch.manual_seed(s.seed)
    if s.procedure == 'BiLSTM':
        p, width = mukherjee2020.BASE_MINI, teacher.model.config.hidden_size
        config = dict(seed=s.seed, dense_size=width, embeddings=p['embeddings'],
                      embedding_projection='pca' if p['embedding_dim'] <= width else 'random',
                      **{k: p[k] for k in ('embedding_dim', 'hidden_size', 'dropout')})
        return xtremedistil.new_student(config, num_labels, len(tokenizer), teacher.folder)
    init = build_stage(plan, ids['pretrain'], log)[0] if s.pretrained else 'random'
    with models.quiet_transformers():
        return pretrained_distillation.init_student(
            plan, dict(plan.configs[ids['student']], init=init), num_labels, len(tokenizer))


def distillation_set(s, plan, ids, teacher, tokenizer, labeled, weights, log=print):
    """The transfer set (WR-F4's pool at the settings' size and domain) with the
    teacher outputs the terms read; with 'ce', the labeled rows join it."""
    from datasets import concatenate_datasets
    c = plan.configs[ids['student']]
    transfer = data.TransferSet(**dict(c['transfer'], size=s.transfer_size,
                                       domain=s.transfer_domain))

    def with_outputs(ds, key):  # the teacher's [CLS] is the BiLSTM's 'repr' target
        outputs = ('logits', 'cls') if 'rep_cos' in weights else ('logits',)
        arrays, info = inference.teacher_outputs(teacher.folder, ds, key, tokenizer,
                                                 c['tokenizer'], c['max_length'], outputs)
        if info['teacher_cache'] == 'miss':
            log(f'teacher outputs on {len(ds)} inputs: {info["teacher_seconds"]:.1f} s (cached)')
        return inference.with_teacher_columns(
            ds, {'repr' if k == 'cls' else k: v for k, v in arrays.items()})
    rows = with_outputs(data.tokenize(transfer.load(), tokenizer, c['max_length']), transfer.key)
    if 'ce' not in weights:
        return rows
    labeled = with_outputs(labeled, json.dumps({'task': c['task'], 'domain': c['domain'],
                                                'split': 'train', 'size': s.train_size,
                                                'world_version': world.WORLD_VERSION}))
    rows = rows.add_column('label', [-100] * len(rows)).cast(labeled.features)
    return concatenate_datasets([rows, labeled])


def run(settings, on_row=None, should_stop=None, log=print):
    """Train one student with `settings` (a Settings or a dict); headless.

    on_row(row) gets every history row as it is logged (step, epoch, stage,
    train_<term>, dev_accuracy, ...); should_stop() is polled at each and True
    ends training (the best dev state so far is kept and tested). Returns a
    dict: settings, description, history, test_accuracy, best_dev, teacher,
    teacher_test_accuracy, stages, params, steps, seconds, stopped, model."""
    s, start = as_settings(settings), time.perf_counter()
    log(s.describe())
    plan, ids = plan_for(s)
    tok, task, (train, dev, test) = load_data(s, plan)
    teacher = teacher_for(s, log) if s.distilled else None
    model = new_student(s, plan, ids, task.num_labels, tok, teacher, log)
    history, stopped, weights = [], [False], s.loss_weights()

    def train_on(rows, weights, epochs, stage, lr, offset=0, max_steps=None, teacher=None):
        def callback(row):
            history.append(dict(row, stage=stage, step=row['step'] + offset))
            if on_row is not None:
                on_row(history[-1])
            stopped[0] = stopped[0] or bool(should_stop and should_stop())
            return stopped[0]
        objective = objectives.compose(weights, temperature=s.temperature, teacher=teacher)
        with models.quiet_transformers():
            return fit(model, objective, weights, rows, tok, dev_data=dev, epochs=epochs, lr=lr,
                       batch_size=s.batch_size, seed=s.seed, progress=False, max_steps=max_steps,
                       eval_every=max(1, -(-len(rows) // s.batch_size) // s.evals_per_epoch),
                       callback=callback)
    if s.distilled:  # 'cos' reads a live teacher's hidden states
        rows = distillation_set(s, plan, ids, teacher, tok, train, weights, log)
        result = train_on(rows, weights, s.distill_epochs, 'distill', s.lr,
                          max_steps=s.max_steps or None,
                          teacher=teacher.model if 'cos' in weights else None)
    else:
        result = train_on(train, weights, s.epochs, 'train', s.lr, max_steps=s.max_steps or None)
    best, steps = result['best_dev'], result['steps']
    if s.distilled and s.finetune_epochs and not stopped[0]:  # at half the lr, as WR-F4
        ft = train_on(train, {'ce': 1.0}, s.finetune_epochs, 'finetune', s.lr / 2, offset=steps)
        best, steps = ft['best_dev'], steps + ft['steps']
    acc, seconds = inference.evaluate(model, test, tok)['accuracy'], time.perf_counter() - start
    log(f'{"stopped" if stopped[0] else "done"} after {steps} steps, {seconds:.0f} s: test '
        f'accuracy {acc:.1f}' + (f' (teacher {teacher.test_accuracy:.1f})' if teacher else ''))
    return {'settings': s.to_dict(), 'description': s.describe(), 'history': history,
            'test_accuracy': acc, 'best_dev': best, 'teacher': teacher and teacher.label,
            'teacher_test_accuracy': teacher and teacher.test_accuracy, 'stopped': stopped[0],
            'stages': {k: ids[k] for k in ['teacher'] * s.distilled + ['pretrain'] * s.pretrained},
            'params': models.count_parameters(model), 'steps': steps, 'seconds': seconds,
            'model': model}


def probabilities(model, texts, temperature=1.0):
    """softmax(logits / T) of a world classifier (a run's 'model', a Teacher's
    .model) on a few texts: an array [len(texts), num_labels]."""
    from datasets import Dataset
    tok, n = data.load_tokenizer('world'), len(texts)
    ds = data.tokenize(Dataset.from_dict({'text': list(texts), 'text_pair': [None] * n}), tok,
                       experiments.WR_MAIN_PRESETS['quick']['max_length'])
    return softmax(inference.predict(model, ds, tok)['logits'], temperature)
