"""The playground: one distillation run, set with a few knobs, watched as it trains.

    from minilab import playground
    s = playground.Settings(procedure='D', student_size='tiny', temperature=2.0)
    result = playground.run(s, on_row=print)          # headless, as papermill runs it
    playground.compare(result)                        # vs the saved WR-F4 runs
    ui = playground.Playground(); ui.show()           # the ipywidgets version (JupyterLab)
    playground.temperature_figure([3.0, 1.0, 0.2, -1.0], [1, 2, 5])

Everything runs on the offline world's sentiment task, with the data of the
WR-F4 runs (Turc et al. 2019; `minilab.papers.turc2019.WR_MAIN_MINI`): 2,000 labeled reviews,
the same dev and test sets, so a playground number sits next to the saved runs.

Procedures (Turc et al.'s four, plus Mukherjee & Awadallah's BiLSTM student):

    basic    random BERT student, cross-entropy on the labels
    PF       MLM pre-trained student, then the same fine-tuning
    D        random student trained on the teacher's outputs on unlabeled data
    PD       pre-trained student, then D
    BiLSTM   a BiLSTM student trained on the teacher's outputs (no pre-training)

The loss of a distilled run is a weighted sum of three terms, DistilBERT's
triple loss brought to the task level:

    alpha_soft * soft    the teacher's (temperature-softened) outputs: `distill_loss`
    alpha_hard * hard    cross-entropy on gold labels (the labeled rows join the
                         transfer set; DistilBERT's alpha_mlm takes this place)
    alpha_cos  * cos     1 - cosine between the student's [CLS] vector (BiLSTM:
                         its dense representation) and the teacher's

Hinton et al.'s alpha is alpha_soft = a, alpha_hard = 1 - a; DistilBERT's
recipe is 5 / 2 / 1 with T = 2.

The teacher and the pre-trained students are built on first use and cached
under cache/playground/ (source='quick': a few minutes at most), or taken from
the WR-F4 experiment's own stages (source='wr_f4': the saved runs' teacher;
building it from nothing takes ~6 minutes on 2 cores, then it is cached too).
"""
import dataclasses
import hashlib
import io
import json
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from minilab import data, models, objectives, paths, world
from minilab.methods.base import checkpoint_dir

PROCEDURES = ('basic', 'D', 'PF', 'PD', 'BiLSTM')
PRETRAINED = {'PF', 'PD'}
DISTILLED = {'D', 'PD', 'BiLSTM'}
DISTILL_LOSSES = ('soft_ce', 'kl', 'logit_mse', 'hard')
SOURCES = ('quick', 'wr_f4')
DISTILBERT_ALPHAS = (5.0, 2.0, 1.0)    # alpha_ce, alpha_mlm, alpha_cos (Sanh et al. 2019)
TASK = 'world/sentiment'               # WR-F4's task, data and tokenizer
DOMAIN = 'movies'
MAX_LENGTH = 48
SIZE_CHOICES = ('tiny', 'mini', 'small', 'medium', 'base')
PLAYGROUND_VERSION = 1                 # bump when a cached teacher's recipe changes

# the quick teacher's and quick pre-training's recipe (cache key includes it)
# 40% masking as the saved runs' pre-training: the world's sentences are short, and 15%
# leaves about two predictions per sentence (README, status). Measured for the L2_H128
# quick teacher on world 5 (adjective probe; test accuracy after fine-tuning):
# 1 epoch at lr 1e-3 62.8; 3 epochs 15/28, 71.0; 4 epochs at lr 2e-3 (1252 steps,
# ~2 min on 2 cores) 27/28, 87.5.
QUICK = dict(pretrain_epochs=4, pretrain_lr=2e-3, pretrain_batch_size=128,
             pretrain_mlm_probability=0.4, mlm_smoothing=0.7,
             teacher_epochs=10, teacher_lr=1e-3, teacher_batch_size=64)


class SettingsError(ValueError):
    """A bad playground setting; the message is one line naming the valid choices."""


# -----------------------------------------------------------------------------
# settings


@dataclass
class Settings:
    """One playground run. Sizes are mini-scale names (tiny L1_H32, mini L2_H64,
    small L2_H128, medium L4_H128, base L6_H192) or 'L<layers>_H<hidden>'."""
    procedure: str = 'D'             # basic, D, PF, PD or BiLSTM
    student_size: str = 'tiny'       # the student (BiLSTM: ignored)
    teacher_size: str = 'small'      # the quick teacher (source='wr_f4': always base)
    source: str = 'quick'            # 'quick' (built here) or 'wr_f4' (the saved runs' stages)
    temperature: float = 1.0         # softens teacher and student outputs in soft_ce / kl
    distill_loss: str = 'soft_ce'    # the soft term: soft_ce, kl, logit_mse or hard
    alpha_soft: float = 1.0          # weight of the soft term (DistilBERT alpha_ce)
    alpha_hard: float = 0.0          # weight of cross-entropy on gold labels (alpha_mlm's place)
    alpha_cos: float = 0.0           # weight of the cosine term (DistilBERT alpha_cos)
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
    pretrain_sentences: int = 40000  # quick MLM pre-training corpus (teacher, PF/PD students)

    # --- checks -------------------------------------------------------------

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
        _choice('procedure', self.procedure, PROCEDURES)
        _choice('source', self.source, SOURCES)
        _choice('distill_loss', self.distill_loss, DISTILL_LOSSES)
        _choice('transfer_domain', self.transfer_domain, world.DOMAIN_ORDER)
        for name in ('student_size', 'teacher_size'):
            try:
                models.parse_size(getattr(self, name), 'mini')
            except ValueError as err:
                raise SettingsError(f'{name}: {err}') from None
        _number('temperature', self.temperature, low=0, strict=True)
        for name in ('alpha_soft', 'alpha_hard', 'alpha_cos', 'lr'):
            _number(name, getattr(self, name), low=0, strict=name == 'lr')
        for name in ('transfer_size', 'train_size', 'dev_size', 'test_size', 'epochs',
                     'distill_epochs', 'batch_size', 'evals_per_epoch'):
            _integer(name, getattr(self, name), low=1)
        for name in ('finetune_epochs', 'max_steps', 'seed', 'pretrain_sentences'):
            _integer(name, getattr(self, name), low=0)
        if self.distilled and self.alpha_soft + self.alpha_hard + self.alpha_cos == 0:
            raise SettingsError('alpha_soft, alpha_hard and alpha_cos are all 0: nothing to '
                                'train on; set at least one > 0')
        if self.distilled and self.alpha_cos and self.procedure != 'BiLSTM' \
                and self.student_shape[1] != self.teacher_shape[1]:
            raise SettingsError(
                f'alpha_cos needs the student as wide as the teacher (DistilBERT keeps the '
                f'width): student H={self.student_shape[1]}, teacher H={self.teacher_shape[1]}; '
                f'valid: a student size with H={self.teacher_shape[1]} or alpha_cos=0')
        if self.procedure in PRETRAINED and self.source == 'quick' and not self.pretrain_sentences:
            raise SettingsError(f'procedure {self.procedure} needs a pre-trained student: '
                                f'pretrain_sentences must be > 0')
        return self

    # --- derived ------------------------------------------------------------

    @property
    def distilled(self):
        return self.procedure in DISTILLED

    @property
    def pretrained(self):
        return self.procedure in PRETRAINED

    @property
    def student_shape(self):
        return models.parse_size(self.student_size, 'mini')

    @property
    def teacher_shape(self):
        return models.parse_size('base' if self.source == 'wr_f4' else self.teacher_size, 'mini')

    def describe(self):
        """One line: what this run is."""
        if self.procedure == 'BiLSTM':
            student = 'BiLSTM student'
        else:
            student = f'{models.size_name(*self.student_shape)} student'
        text = f'{self.procedure}: {student}'
        if self.distilled:
            terms = [f'{w:g}*{n}' for n, w in [(self.distill_loss, self.alpha_soft),
                                               ('ce', self.alpha_hard), ('cos', self.alpha_cos)]
                     if w]
            text += (f', teacher {models.size_name(*self.teacher_shape)} ({self.source}), '
                     f'{" + ".join(terms)}, T={self.temperature:g}, '
                     f'{self.transfer_size} unlabeled {self.transfer_domain} reviews')
        else:
            text += f', {self.train_size} labeled reviews'
        return text


def _choice(name, value, choices):
    if value not in choices:
        raise SettingsError(f'unknown {name} {value!r}; valid: {", ".join(map(str, choices))}')


def _number(name, value, low, strict=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) \
            or value < low or (strict and value == low):
        raise SettingsError(f'{name} must be a number {">" if strict else ">="} {low}, got {value!r}')


def _integer(name, value, low):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise SettingsError(f'{name} must be an integer >= {low}, got {value!r}')


def hinton_alpha(alpha):
    """Hinton et al.'s single mixing weight: alpha on the soft targets, 1 - alpha
    on the gold labels -> {'alpha_soft', 'alpha_hard'}."""
    _number('alpha', alpha, low=0)
    if alpha > 1:
        raise SettingsError(f'alpha must be in [0, 1], got {alpha!r}')
    return {'alpha_soft': float(alpha), 'alpha_hard': round(1.0 - float(alpha), 6)}


# -----------------------------------------------------------------------------
# data, teachers and pre-trained students (cached)


def _log_default(msg):
    print(msg, flush=True)


def _key(*parts):
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _cache_dir(kind, key):
    return paths.CACHE / 'playground' / f'{kind}-{key}'


def _save_atomic(folder, model, tokenizer, info):
    tmp = folder.with_name(folder.name + f'.tmp{os.getpid()}')
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / 'playground.json').write_text(json.dumps(info, indent=1))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


@dataclass
class Data:
    tokenizer: object
    task: object
    train: object                  # tokenized, labeled
    dev: object
    test: object
    key: tuple = field(default=())


_DATA = {}


def load_data(s, log=_log_default):
    """The WR-F4 task at the settings' sizes, tokenized (kept in memory)."""
    key = (s.train_size, s.dev_size, s.test_size)
    if key not in _DATA:
        _quiet()  # no progress bar per tokenized split
        tok = data.load_tokenizer('world')
        task = data.load_task(TASK, train_size=s.train_size, dev_size=s.dev_size,
                              test_size=s.test_size, seed=0, domain=DOMAIN)
        _DATA.clear()  # one size at a time is enough
        _DATA[key] = Data(tok, task, *(data.tokenize(getattr(task, split), tok, MAX_LENGTH)
                                       for split in ('train', 'dev', 'test')), key=key)
    return _DATA[key]


def _quiet():
    import datasets
    datasets.disable_progress_bars()
    return models.quiet_transformers()


def quick_pretrain(size, sentences, log=_log_default):
    """A BERT of `size`, MLM pre-trained on `sentences` world sentences with the
    QUICK recipe (frequency-smoothed masking, as WR-F4); cached. Returns its folder."""
    from minilab.masking import token_weights_from_counts
    from minilab.train import fit
    L, H = models.parse_size(size, 'mini')
    recipe = {k: v for k, v in QUICK.items() if k.startswith('pretrain') or k == 'mlm_smoothing'}
    folder = _cache_dir('pretrain', _key('pretrain', PLAYGROUND_VERSION, L, H, sentences, recipe,
                                         world.WORLD_VERSION))
    if (folder / 'config.json').exists():
        return folder
    log(f'pre-training a {models.size_name(L, H)} BERT (MLM, {sentences} sentences, '
        f'{QUICK["pretrain_epochs"]} epochs; cached after this)...')
    with _quiet():
        tok = data.load_tokenizer('world')
        corpus = data.tokenize(data.lm_corpus('world', sentences, seed=0), tok, MAX_LENGTH)
        counts = np.bincount(np.concatenate(corpus['input_ids']), minlength=len(tok))
        weights = token_weights_from_counts(counts, QUICK['mlm_smoothing'], tok.all_special_ids)
        model = models.new_mlm_model(models.bert_config(L, H, len(tok),
                                                        max_position_embeddings=MAX_LENGTH))
        start = time.perf_counter()
        objective = objectives.compose({'mlm': 1.0}, tokenizer=tok, token_weights=weights, seed=0,
                                       mlm_probability=QUICK['pretrain_mlm_probability'])
        result = fit(model, objective, {'mlm': 1.0}, corpus, tok,
                     epochs=QUICK['pretrain_epochs'], lr=QUICK['pretrain_lr'],
                     batch_size=QUICK['pretrain_batch_size'], progress=False, seed=0)
        seconds = time.perf_counter() - start
        _save_atomic(folder, model, tok, {'seconds': seconds, 'steps': result['steps']})
    log(f'  done in {seconds:.0f} s')
    return folder


@dataclass
class Teacher:
    model: object
    folder: object
    test_accuracy: float
    label: str


def teacher_for(s, log=_log_default, on_row=None):
    """The teacher of these settings: the quick one (MLM pre-trained briefly,
    fine-tuned on the labels; cached) or the WR-F4 mini teacher stage.
    on_row gets the fine-tuning rows when the quick teacher is trained now."""
    d = load_data(s, log)
    if s.source == 'wr_f4':
        plan, ids = _wr_f4_plan(s)
        rid = ids['teacher']
        if not (checkpoint_dir(rid) / 'config.json').exists():
            log('building the WR-F4 teacher (MLM pre-training + fine-tuning of L6_H192; '
                '~6 minutes on 2 cores, cached after this)...')
        with _quiet():
            folder = plan.checkpoint(rid)
            model = models.load_model(folder, kind='classifier', num_labels=d.task.num_labels)
        from minilab import runs
        acc = runs.load_record('turc2019', rid)['metrics']['test_accuracy'] \
            if runs.is_done('turc2019', rid) else None
        if acc is None or (s.test_size, s.dev_size) != (2000, 1000):
            from minilab.inference import evaluate
            acc = evaluate(model, d.test, d.tokenizer)['accuracy']
        return Teacher(model, folder, acc, 'WR-F4 teacher L6_H192')
    from minilab.inference import evaluate
    from minilab.train import fit
    L, H = s.teacher_shape
    folder = _cache_dir('teacher', _key('teacher', PLAYGROUND_VERSION, L, H, s.pretrain_sentences,
                                        s.train_size, s.dev_size, QUICK, world.WORLD_VERSION))
    label = f'quick teacher {models.size_name(L, H)}'
    if (folder / 'config.json').exists():
        with _quiet():
            model = models.load_model(folder, kind='classifier', num_labels=d.task.num_labels)
        info = json.loads((folder / 'playground.json').read_text())
        acc = info['test_accuracy'] if info.get('test_size') == s.test_size else \
            evaluate(model, d.test, d.tokenizer)['accuracy']
        return Teacher(model, folder, acc, label)
    init = quick_pretrain((L, H), s.pretrain_sentences, log) if s.pretrain_sentences else None
    log(f'fine-tuning the {label} on {s.train_size} labeled reviews '
        f'({QUICK["teacher_epochs"]} epochs; cached after this)...')
    with _quiet():
        if init is None:
            model = models.init_random(models.bert_config(L, H, len(d.tokenizer),
                                                          max_position_embeddings=MAX_LENGTH),
                                       d.task.num_labels)
        else:
            model = models.init_from_pretrained(init, d.task.num_labels)
        start = time.perf_counter()
        # one evaluation per epoch, whoever asks: an evaluation draws from torch's
        # RNG (the DataLoader's seed), so more of them would give another teacher
        # under the same cache key
        fit(model, objectives.compose({'ce': 1.0}), {'ce': 1.0}, d.train, d.tokenizer, dev_data=d.dev,
            epochs=QUICK['teacher_epochs'], lr=QUICK['teacher_lr'],
            batch_size=QUICK['teacher_batch_size'], progress=False, seed=0,
            callback=(lambda row: on_row(dict(row, stage='teacher'))) if on_row else None)
        seconds = time.perf_counter() - start
        acc = evaluate(model, d.test, d.tokenizer)['accuracy']
        _save_atomic(folder, model, d.tokenizer, {'test_accuracy': acc, 'test_size': s.test_size,
                                                  'seconds': seconds})
    log(f'  done in {seconds:.0f} s: test accuracy {acc:.1f}')
    return Teacher(model, folder, acc, label)


def _wr_f4_plan(s):
    """The WR-F4 mini plan restricted to this student size and seed, and the ids
    of its teacher and of this size's pre-training stage."""
    from minilab import experiments
    size = models.size_name(*s.student_shape)
    plan = experiments.build_plan('wr_main', 'mini', sizes=[size], seeds=[s.seed])
    ids = {'teacher': plan.ids('teacher')[0]}
    pretrain = [r for r in plan.ids('pretrain') if plan.configs[r]['size'] == size]
    ids['pretrain'] = pretrain[0] if pretrain else None
    return plan, ids


def pretrained_student(s, log=_log_default):
    """The folder of the MLM pre-trained student of these settings (PF, PD)."""
    if s.source == 'wr_f4':
        plan, ids = _wr_f4_plan(s)
        if not (checkpoint_dir(ids['pretrain']) / 'config.json').exists():
            log(f'building the WR-F4 pre-training of {models.size_name(*s.student_shape)} '
                f'(cached after this)...')
        with _quiet():
            return plan.checkpoint(ids['pretrain'])
    return quick_pretrain(s.student_shape, s.pretrain_sentences, log)


# -----------------------------------------------------------------------------
# the objective: soft / hard / cos terms


def triple_objective(distill_loss='soft_ce', temperature=1.0, use_cos=False):
    """objective(model, batch) -> {'soft', 'hard', 'cos'} for minilab.train.fit.

    soft: `distill_loss` against the cached teacher logits (rows of the batch);
    hard: cross-entropy on gold labels, rows labelled -100 (the transfer set)
    skipped; cos: 1 - cos(student [CLS] or BiLSTM representation, teacher [CLS])."""
    import torch

    from minilab import losses
    from minilab.objectives import model_inputs
    soft_fn = {'soft_ce': lambda s, t: losses.soft_cross_entropy(s, t, temperature),
               'kl': lambda s, t: losses.kl_div_loss(s, t, temperature),
               'logit_mse': losses.logit_mse_loss,
               'hard': losses.hard_label_loss}[distill_loss]

    def objective(model, batch):
        is_bert = not isinstance(model, models.BiLSTMClassifier)
        out = model(**model_inputs(batch), output_hidden_states=True) if use_cos and is_bert \
            else model(**model_inputs(batch))
        logits = out.logits
        terms = {'soft': soft_fn(logits, batch['teacher_logits'].to(logits.dtype)),
                 'hard': losses.cross_entropy_loss(logits, batch['label'])}
        if use_cos:
            student = out.hidden_states[-1][:, 0] if is_bert else out.representation
            terms['cos'] = losses.cosine_loss(student, batch['teacher_repr'].to(student.dtype))
        else:
            terms['cos'] = torch.zeros((), device=logits.device)
        return terms
    return objective


def _distillation_data(s, d, teacher, log):
    """The transfer set with the teacher's logits (and [CLS] vectors), plus the
    labeled rows with their gold labels when alpha_hard > 0."""
    from datasets import concatenate_datasets

    from minilab.inference import teacher_outputs
    transfer = data.TransferSet(TASK, s.transfer_size, s.transfer_domain, seed=0)
    with _quiet():
        inputs = data.tokenize(transfer.load(), d.tokenizer, MAX_LENGTH)
        outputs = ('logits', 'cls')
        arrays, info = teacher_outputs(teacher.folder, inputs, transfer.key, d.tokenizer, 'world',
                                       MAX_LENGTH, outputs)
        if info['teacher_cache'] == 'miss':
            log(f'teacher outputs on {s.transfer_size} transfer reviews: '
                f'{info["teacher_seconds"]:.1f} s (now cached)')
        rows = inputs.add_column('teacher_logits', list(arrays['logits']))
        rows = rows.add_column('teacher_repr', list(arrays['cls']))
        rows = rows.add_column('label', [-100] * len(rows))
        if s.alpha_hard:
            key = json.dumps({'labeled': TASK, 'size': s.train_size})
            lab, _ = teacher_outputs(teacher.folder, d.train, key, d.tokenizer, 'world',
                                     MAX_LENGTH, outputs)
            labeled = d.train.add_column('teacher_logits', list(lab['logits']))
            labeled = labeled.add_column('teacher_repr', list(lab['cls']))
            rows = concatenate_datasets([rows.cast(labeled.features), labeled])
    return rows


def new_student(s, d, teacher=None, log=_log_default):
    import torch
    torch.manual_seed(s.seed)
    num_labels = d.task.num_labels
    if s.procedure == 'BiLSTM':
        dense = teacher.model.config.hidden_size if teacher is not None else 64
        return models.BiLSTMClassifier(len(d.tokenizer), num_labels, embedding_dim=64,
                                       hidden_size=64, dense_size=dense,
                                       pad_token_id=d.tokenizer.pad_token_id)
    if s.pretrained:
        folder = pretrained_student(s, log)
        with _quiet():
            return models.init_from_pretrained(folder, num_labels)
    L, H = s.student_shape
    return models.init_random(models.bert_config(L, H, len(d.tokenizer),
                                                 max_position_embeddings=MAX_LENGTH), num_labels)


# -----------------------------------------------------------------------------
# one run


def run(settings, on_row=None, should_stop=None, log=_log_default):
    """Train one student with `settings` (a Settings or a dict); headless.

    on_row(row) gets every history row as it is logged (step, epoch, stage,
    train_<term>, dev_accuracy, ...); should_stop() is polled at each of them
    and True ends training early (the best dev state so far is kept and
    tested). Returns a dict: settings, history, test_accuracy, best_dev,
    teacher_test_accuracy, params, steps, seconds, stopped, and the trained model."""
    from minilab.inference import evaluate
    from minilab.train import fit
    s = settings if isinstance(settings, Settings) else Settings.from_dict(dict(settings))
    s.validate()
    start = time.perf_counter()
    log(s.describe())
    d = load_data(s, log)
    teacher = teacher_for(s, log) if s.distilled else None
    model = new_student(s, d, teacher, log)
    history, stopped = [], [False]
    offset = [0]

    def make_callback(stage):
        def callback(row):
            row = dict(row, stage=stage, step=row['step'] + offset[0])
            history.append(row)
            if on_row is not None:
                on_row(row)
            if should_stop is not None and should_stop():
                stopped[0] = True
            return stopped[0]
        return callback

    def steps_between_evals(n_rows):
        per_epoch = -(-n_rows // s.batch_size)
        return max(1, per_epoch // s.evals_per_epoch)

    common = dict(lr=s.lr, batch_size=s.batch_size, seed=s.seed, progress=False,
                  max_steps=s.max_steps or None, length_grouping=False)
    if s.distilled:
        train = _distillation_data(s, d, teacher, log)
        weights = {k: w for k, w in [('soft', s.alpha_soft), ('hard', s.alpha_hard),
                                     ('cos', s.alpha_cos)] if w}
        objective = triple_objective(s.distill_loss, s.temperature, use_cos=bool(s.alpha_cos))
        epochs, stage = s.distill_epochs, 'distill'
    else:
        train, objective, weights = d.train, objectives.compose({'ce': 1.0}), {'ce': 1.0}
        epochs, stage = s.epochs, 'train'
    with _quiet():
        result = fit(model, objective, weights, train, d.tokenizer, dev_data=d.dev, epochs=epochs,
                     eval_every=steps_between_evals(len(train)), callback=make_callback(stage),
                     **common)
        best, steps = result['best_dev'], result['steps']
        if s.distilled and s.finetune_epochs and not stopped[0]:
            offset[0] = steps
            ft = fit(model, objectives.compose({'ce': 1.0}), {'ce': 1.0}, d.train, d.tokenizer,
                     dev_data=d.dev, epochs=s.finetune_epochs, lr=s.lr / 2,
                     batch_size=s.batch_size, seed=s.seed, progress=False,
                     eval_every=steps_between_evals(len(d.train)),
                     callback=make_callback('finetune'))
            best, steps = ft['best_dev'], steps + ft['steps']
        test = evaluate(model, d.test, d.tokenizer)
    seconds = time.perf_counter() - start
    out = {'settings': s.to_dict(), 'description': s.describe(), 'history': history,
           'test_accuracy': test['accuracy'], 'best_dev': best,
           'teacher_test_accuracy': teacher.test_accuracy if teacher else None,
           'teacher': teacher.label if teacher else None,
           'params': models.count_parameters(model), 'steps': steps, 'seconds': seconds,
           'stopped': stopped[0], 'model': model}
    log(f'{"stopped" if stopped[0] else "done"} after {steps} steps, {seconds:.0f} s: '
        f'test accuracy {test["accuracy"]:.1f}'
        + (f' (teacher {teacher.test_accuracy:.1f})' if teacher else ''))
    return out


def probabilities(model, texts, temperature=1.0):
    """softmax(logits / T) of a classifier (a run's 'model', a Teacher's .model)
    for a few texts, as an array [len(texts), num_labels]."""
    from datasets import Dataset

    from minilab.inference import predict
    tok = data.load_tokenizer('world')
    with _quiet():
        ds = data.tokenize(Dataset.from_dict({'text': list(texts),
                                              'text_pair': [None] * len(texts)}), tok, MAX_LENGTH)
        logits = predict(model, ds, tok)['logits']
    return softmax(logits, temperature)


# -----------------------------------------------------------------------------
# comparison with the saved runs


@lru_cache(maxsize=1)
def saved_wr_f4():
    """The saved WR-F4 mini runs (students and teacher) as one DataFrame."""
    import pandas as pd

    from minilab import experiments
    students = experiments.results('wr_main', 'mini')
    teachers = experiments.results('wr_main', 'mini', kind='teacher')
    if len(teachers):
        teachers = teachers.assign(procedure='teacher')
    return pd.concat([students, teachers], ignore_index=True)


def _saved_bilstm():
    """Mukherjee & Awadallah's saved BiLSTM runs on world/sentiment, if any."""
    import pandas as pd
    try:
        from minilab import experiments
        df = experiments.results('mh_main', 'mini')
    except Exception:  # that experiment may not be there (yet), or have no runs
        return pd.DataFrame()
    if not len(df) or 'test_accuracy' not in df or 'procedure' not in df:
        return pd.DataFrame()
    if 'task' in df:
        df = df[df['task'] == TASK]
    return df.assign(size='BiLSTM')


def compare(*results):
    """This session's runs next to the saved runs of the matching figure: WR-F4
    (mean, std and count over seeds, test accuracy) for the same student size,
    every procedure, and the teacher; MH-T2's BiLSTM runs for the BiLSTM mode."""
    import pandas as pd
    rows = []
    for r in results:
        rows.append({'source': 'this session', 'procedure': r['settings']['procedure'],
                     'size': 'BiLSTM' if r['settings']['procedure'] == 'BiLSTM'
                     else models.size_name(*models.parse_size(r['settings']['student_size'])),
                     'test_accuracy': round(r['test_accuracy'], 2), 'std': None, 'runs': 1,
                     'what': r['description'] + (' (stopped early)' if r['stopped'] else '')})
        if r.get('teacher_test_accuracy') is not None:
            rows.append({'source': 'this session', 'procedure': 'teacher', 'size': '',
                         'test_accuracy': round(r['teacher_test_accuracy'], 2), 'std': None,
                         'runs': 1, 'what': r['teacher']})
    sizes = {row['size'] for row in rows if row['size'] and row['size'] != 'BiLSTM'}
    saved = saved_wr_f4()
    for size in sorted(sizes):
        part = saved[(saved['size'] == size) & (saved['kind'] == 'student')] if len(saved) else saved
        for proc, group in part.groupby('procedure', sort=False) if len(part) else []:
            rows.append(_summary('saved WR-F4 (mini)', proc, size, group,
                                 'Turc et al. 2019 Fig. 4, results/runs/turc2019'))
    if len(saved) and any(row['procedure'] == 'teacher' for row in rows) or sizes:
        teacher = saved[saved['kind'] == 'teacher'] if len(saved) else saved
        if len(teacher):
            rows.append(_summary('saved WR-F4 (mini)', 'teacher', teacher['size'].iloc[0],
                                 teacher, 'the WR-F4 teacher (L6_H192, MLM pre-trained)'))
    if any(row['size'] == 'BiLSTM' for row in rows):
        bilstm = _saved_bilstm()
        for proc, group in bilstm.groupby('procedure', sort=False) if len(bilstm) else []:
            rows.append(_summary('saved MH-T2 (mini)', proc, 'BiLSTM', group,
                                 'Mukherjee & Awadallah 2020 Table 2, results/runs/mukherjee2020'))
    order = {p: i for i, p in enumerate(('teacher',) + PROCEDURES)}
    df = pd.DataFrame(rows, columns=['source', 'procedure', 'size', 'test_accuracy', 'std',
                                     'runs', 'what'])
    df['_s'] = df['source'] != 'this session'  # this session's runs first, in run order
    df['_o'] = df['procedure'].map(lambda p: order.get(p, len(order)))
    df.loc[~df['_s'], '_o'] = range((~df['_s']).sum())
    return df.sort_values(['_s', 'size', '_o'], kind='stable').drop(columns=['_s', '_o']) \
        .reset_index(drop=True)


def _summary(source, procedure, size, group, what):
    acc = group['test_accuracy'].astype(float)
    return {'source': source, 'procedure': procedure, 'size': size,
            'test_accuracy': round(acc.mean(), 2),
            'std': round(acc.std(), 2) if len(acc) > 1 else None, 'runs': len(acc), 'what': what}


def saved_reference(settings):
    """(mean, std) test accuracy of the saved WR-F4 runs matching this size and
    procedure, or None: the band drawn behind a live curve."""
    s = settings if isinstance(settings, Settings) else Settings.from_dict(dict(settings))
    if s.procedure not in ('basic', 'D', 'PF', 'PD'):
        return None
    saved = saved_wr_f4()
    if not len(saved):
        return None
    part = saved[(saved['kind'] == 'student') & (saved['procedure'] == s.procedure)
                 & (saved['size'] == models.size_name(*s.student_shape))]
    if not len(part):
        return None
    acc = part['test_accuracy'].astype(float)
    return float(acc.mean()), float(acc.std()) if len(acc) > 1 else 0.0


# -----------------------------------------------------------------------------
# figures (object-oriented matplotlib, no pyplot: safe from a training thread)


def _figure(ncols=1, width=5.0, height=3.2):
    from matplotlib.figure import Figure

    from minilab import plots
    plots.use_style()
    fig = Figure(figsize=(width, height))
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, axes


def curve_figure(curves, teacher_accuracy=None, reference=None, title=None):
    """Training curves. curves: {label: [history rows]} (or one list of rows).
    Left: the training loss terms per step; right: dev accuracy per step, with
    the teacher as a dashed line and the saved runs' mean +- std as a band."""
    from minilab import plots
    if isinstance(curves, list):
        curves = {'this run': curves}
    fig, (ax_loss, ax_acc) = _figure(2, width=8.0, height=3.0)
    for i, (label, rows) in enumerate(curves.items()):
        color = plots.COLORS[i % len(plots.COLORS)]
        rows = [r for r in rows if 'step' in r]
        if not rows:
            continue
        steps = [r['step'] for r in rows]
        terms = [k for k in rows[0] if k.startswith('train_') and k != 'train_loss']
        shown = [k for k in terms if any(r.get(k) for r in rows)] or ['train_loss']
        for j, term in enumerate(shown[:3]):
            ax_loss.plot(steps, [r.get(term, np.nan) for r in rows], color=color,
                         linestyle=['-', '--', ':'][j], label=f'{label}: {term[6:]}')
        if any('dev_accuracy' in r for r in rows):
            ax_acc.plot(steps, [r.get('dev_accuracy', np.nan) for r in rows], color=color,
                        marker='o', label=label)
    if teacher_accuracy is not None:
        ax_acc.axhline(teacher_accuracy, color='black', linestyle='--', linewidth=1,
                       label=f'teacher (test {teacher_accuracy:.1f})')
    if reference is not None:
        mean, std = reference
        ax_acc.axhspan(mean - std, mean + std, color='grey', alpha=0.2,
                       label=f'saved runs (test {mean:.1f})')
    ax_loss.set_xlabel('step')
    ax_loss.set_ylabel('training loss')
    ax_acc.set_xlabel('step')
    ax_acc.set_ylabel('dev accuracy (%)')
    for ax in (ax_loss, ax_acc):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def softmax(logits, temperature=1.0):
    z = np.asarray(logits, dtype=float) / temperature
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


EXAMPLE_LOGITS = [4.0, 1.5, 0.5, -1.0]  # a teacher fairly sure of class 0
EXAMPLE_LABELS = list(world.LABELS['topic'])


def temperature_figure(logits=None, temperatures=(1, 2, 5, 10), labels=None, title=None):
    """Bars of softmax(logits / T) for several T: a higher temperature flattens
    the teacher's distribution and shows how it ranks the wrong classes (Hinton
    et al.'s 'dark knowledge'), which T = 1 hides."""
    from minilab import plots
    logits = EXAMPLE_LOGITS if logits is None else list(logits)
    labels = (EXAMPLE_LABELS if logits == EXAMPLE_LOGITS else
              [f'class {i}' for i in range(len(logits))]) if labels is None else list(labels)
    if len(labels) != len(logits):
        raise ValueError(f'{len(labels)} labels for {len(logits)} logits')
    temperatures = [float(t) for t in temperatures]
    fig, (ax,) = _figure(1, width=5.0, height=2.8)
    width = 0.8 / len(temperatures)
    x = np.arange(len(logits))
    for i, t in enumerate(temperatures):
        p = softmax(logits, t)
        ax.bar(x + (i - (len(temperatures) - 1) / 2) * width, p, width,
               color=plots.COLORS[i % len(plots.COLORS)], label=f'T = {t:g}')
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1)
    ax.set_ylabel('probability')
    ax.set_title(title or f'softmax(z / T), logits z = {", ".join(f"{v:g}" for v in logits)}')
    ax.legend(ncol=min(4, len(temperatures)), fontsize=7)
    fig.tight_layout()
    return fig


def figure_png(fig):
    """PNG bytes of a Figure (Agg canvas; works in any thread, no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=90)
    return buf.getvalue()


class LivePlot:
    """A figure that redraws in place in a notebook cell as rows arrive (an
    IPython display handle); outside IPython, each update prints one line."""

    def __init__(self, title=None, teacher_accuracy=None):
        self.curves, self.title, self.teacher_accuracy = {}, title, teacher_accuracy
        self._handle = None
        try:
            from IPython import get_ipython
            from IPython.display import Image, display
            if get_ipython() is not None:
                self._handle = display(Image(data=figure_png(self.figure())), display_id=True)
        except ImportError:
            pass

    def figure(self):
        return curve_figure(self.curves, self.teacher_accuracy, title=self.title)

    def callback(self, label):
        """An on_row for run(): adds the row to curve `label` and redraws."""
        def on_row(row):
            self.curves.setdefault(label, []).append(row)
            self.update()
            if self._handle is None:
                print(f'{label}: step {row["step"]} dev accuracy {row.get("dev_accuracy", 0):.1f}')
        return on_row

    def update(self):
        if self._handle is not None:
            from IPython.display import Image
            self._handle.update(Image(data=figure_png(self.figure())))


# -----------------------------------------------------------------------------
# the widgets


def in_jupyter_frontend():
    """True in a kernel started by a Jupyter server (JupyterLab, Notebook):
    jupyter_server sets JPY_SESSION_NAME for it; papermill and nbclient don't."""
    return bool(os.environ.get('JPY_SESSION_NAME'))


class Playground:
    """The ipywidgets UI. `Playground(settings).widget` is the whole panel;
    `show()` displays it. Training runs in a background thread, so the Stop
    button (and the rest of JupyterLab) stays responsive; curves and results
    are PNG / HTML widget values, updated from that thread.

    For tests: `set(**values)`, `settings()`, `run_button.click()`, `wait()`."""

    def __init__(self, settings=None, runner=None):
        import ipywidgets as W
        self.W = W
        s = settings if isinstance(settings, Settings) else Settings.from_dict(dict(settings or {}))
        self.runner = runner or run
        self.results, self._thread, self._stop = [], None, threading.Event()
        self._rows, self._teacher, self._reference = [], None, None
        style = {'description_width': '120px'}
        layout = W.Layout(width='340px')
        sizes = list(SIZE_CHOICES) + [models.size_name(L, H) for L, H in models.size_grid('mini')]

        def dd(name, options, desc):
            return W.Dropdown(options=options, value=getattr(s, name), description=desc,
                              style=style, layout=layout)

        self.controls = {
            'procedure': W.ToggleButtons(options=list(PROCEDURES), value=s.procedure,
                                         description='procedure', style={'button_width': '76px'},
                                         tooltips=['random student, labels', 'random student, '
                                                   'teacher outputs', 'pre-trained student, labels',
                                                   'pre-trained student, teacher outputs',
                                                   'BiLSTM student, teacher outputs']),
            'student_size': dd('student_size', _with(sizes, s.student_size), 'student size'),
            'teacher_size': dd('teacher_size', _with(sizes, s.teacher_size), 'teacher size'),
            'source': dd('source', list(SOURCES), 'teacher from'),
            'distill_loss': dd('distill_loss', list(DISTILL_LOSSES), 'soft term'),
            'temperature': W.FloatSlider(value=s.temperature, min=0.5, max=10, step=0.5,
                                         description='temperature T', style=style, layout=layout),
            'alpha_soft': W.BoundedFloatText(value=s.alpha_soft, min=0, max=100, step=0.1,
                                             description='α soft (ce)', style=style,
                                             layout=layout),
            'alpha_hard': W.BoundedFloatText(value=s.alpha_hard, min=0, max=100, step=0.1,
                                             description='α hard (mlm)', style=style,
                                             layout=layout),
            'alpha_cos': W.BoundedFloatText(value=s.alpha_cos, min=0, max=100, step=0.1,
                                            description='α cos', style=style, layout=layout),
            'transfer_size': W.IntSlider(value=s.transfer_size, min=min(100, s.transfer_size),
                                         max=max(20000, s.transfer_size), step=100,
                                         description='transfer size', style=style, layout=layout),
            'transfer_domain': dd('transfer_domain', list(world.DOMAIN_ORDER), 'transfer domain'),
            'epochs': W.IntSlider(value=s.epochs, min=1, max=30, description='labeled epochs',
                                  style=style, layout=layout),
            'distill_epochs': W.IntSlider(value=s.distill_epochs, min=1, max=20,
                                          description='transfer epochs', style=style,
                                          layout=layout),
            'finetune_epochs': W.IntSlider(value=s.finetune_epochs, min=0, max=10,
                                           description='then fine-tune', style=style,
                                           layout=layout),
            'max_steps': W.BoundedIntText(value=s.max_steps, min=0, max=100000,
                                          description='max steps', tooltip='0: no limit',
                                          style=style,
                                          layout=layout),
        }
        self._hidden = {k: v for k, v in s.to_dict().items() if k not in self.controls}
        self.alpha = W.FloatSlider(value=min(1.0, s.alpha_soft), min=0, max=1, step=0.05,
                                   description='Hinton α', style=style, layout=layout,
                                   tooltip='alpha on the soft targets, 1 - alpha on the labels')
        self.alpha.observe(self._on_alpha, names='value')
        self.distilbert_button = W.Button(description='DistilBERT 5 / 2 / 1, T = 2',
                                          layout=W.Layout(width='220px'))
        self.distilbert_button.on_click(self._on_distilbert)
        self.run_button = W.Button(description='Run', button_style='success', icon='play')
        self.stop_button = W.Button(description='Stop', button_style='danger', icon='stop',
                                    disabled=True)
        self.run_button.on_click(self._on_run)
        self.stop_button.on_click(self._on_stop)
        self.status = W.HTML(value='<i>choose settings, then press Run</i>')
        # hidden until the first row arrives (an empty image shows as broken)
        self.curve = W.Image(format='png', layout=W.Layout(width='760px', display='none'))
        self.curve.add_class('minilab-curve')
        self.result = W.HTML(value='')
        self.result.add_class('minilab-result')
        self.status.add_class('minilab-status')
        self.temperature_slider = W.FloatSlider(value=2.0, min=0.5, max=10, step=0.5,
                                                description='T', layout=W.Layout(width='300px'))
        self.temperature_image = W.Image(format='png', layout=W.Layout(width='420px'))
        self.temperature_slider.observe(lambda change: self._draw_temperature(), names='value')
        self._draw_temperature()
        self.controls['procedure'].observe(lambda change: self._sync_enabled(), names='value')
        self.controls['source'].observe(lambda change: self._sync_enabled(), names='value')
        self._sync_enabled()
        c = self.controls
        left = W.VBox([c['student_size'], c['teacher_size'], c['source'], c['transfer_size'],
                       c['transfer_domain'], c['epochs'], c['distill_epochs'],
                       c['finetune_epochs'], c['max_steps']])
        right = W.VBox([c['distill_loss'], c['temperature'], self.alpha,
                        W.HTML('<small>DistilBERT\'s three alphas (task level):</small>'),
                        c['alpha_soft'], c['alpha_hard'], c['alpha_cos'], self.distilbert_button])
        temperature_box = W.VBox([
            W.HTML('<b>How temperature softens a teacher</b>: softmax(z / T) for T = 1 and '
                   'the T of the slider'), self.temperature_slider, self.temperature_image])
        self.widget = W.VBox([
            c['procedure'], W.HBox([left, right]),
            W.HBox([self.run_button, self.stop_button, self.status]),
            self.curve, self.result, temperature_box])
        self.widget.add_class('minilab-playground')

    # --- reading and setting the controls -----------------------------------

    def settings(self):
        values = dict(self._hidden)
        values.update({k: w.value for k, w in self.controls.items()})
        return Settings.from_dict(values)

    def set(self, **values):
        for k, v in values.items():
            if k in self.controls:
                self.controls[k].value = v
            elif k in self._hidden:
                self._hidden[k] = v
            else:
                Settings.from_dict({k: v})  # raises the one-line error
        return self

    def _on_alpha(self, change):
        for k, v in hinton_alpha(change['new']).items():
            self.controls[k].value = v

    def _on_distilbert(self, _button=None):
        ce, mlm, cos = DISTILBERT_ALPHAS
        self.set(alpha_soft=ce, alpha_hard=mlm, alpha_cos=cos, distill_loss='kl', temperature=2.0)
        s = self.controls
        if s['procedure'].value != 'BiLSTM':  # cos needs the teacher's width: same size
            self.set(student_size=_with_value(s['student_size'], s['teacher_size'].value))

    def _sync_enabled(self):
        c = self.controls
        proc = c['procedure'].value
        distilled = proc in DISTILLED
        for k in ('teacher_size', 'source', 'distill_loss', 'temperature', 'alpha_soft',
                  'alpha_hard', 'alpha_cos', 'transfer_size', 'transfer_domain', 'distill_epochs',
                  'finetune_epochs'):
            c[k].disabled = not distilled
        self.alpha.disabled = self.distilbert_button.disabled = not distilled
        c['epochs'].disabled = distilled
        c['student_size'].disabled = proc == 'BiLSTM'
        if c['source'].value == 'wr_f4':
            c['teacher_size'].disabled = True

    def _draw_temperature(self):
        t = self.temperature_slider.value
        temps = [1.0] if t == 1.0 else [1.0, t]
        self.temperature_image.value = figure_png(temperature_figure(temperatures=temps))

    # --- running -------------------------------------------------------------

    def _on_run(self, _button=None):
        if self._thread is not None and self._thread.is_alive():
            return
        try:
            s = self.settings()
        except SettingsError as err:
            self.status.value = f'<span style="color:#D55E00">{_html(err)}</span>'
            return
        self._stop.clear()
        self._rows, self._teacher = [], None
        try:
            self._reference = saved_reference(s)
        except Exception:  # no saved runs: just no band
            self._reference = None
        self.run_button.disabled, self.stop_button.disabled = True, False
        self.status.value = f'<b>running</b>: {_html(s.describe())}'
        self._thread = threading.Thread(target=self._train, args=(s,), daemon=True)
        self._thread.start()

    def _on_stop(self, _button=None):
        self._stop.set()
        self.status.value = '<b>stopping</b> after the current evaluation...'

    def _log(self, msg):
        self.status.value = _html(msg)

    def _on_row(self, row):
        self._rows.append(row)
        self._draw_curve()
        acc = row.get('dev_accuracy')
        self.status.value = (f'<b>running</b>: step {row["step"]} ({row.get("stage", "")}), '
                             + (f'dev accuracy {acc:.1f}' if acc is not None else ''))

    def _draw_curve(self):
        self.curve.value = figure_png(curve_figure(self._rows, self._teacher, self._reference))
        self.curve.layout.display = None

    def _train(self, s):
        try:
            result = self.runner(s, on_row=self._on_row, should_stop=self._stop.is_set,
                                 log=self._log)
            self._teacher = result.get('teacher_test_accuracy')
            self._rows = result['history'] or self._rows
            self._draw_curve()
            self.results.append(result)
            table = compare(*self.results)
            self.result.value = (f'<b>test accuracy {result["test_accuracy"]:.1f}</b> '
                                 f'({result["steps"]} steps, {result["seconds"]:.0f} s'
                                 f'{", stopped early" if result["stopped"] else ""})'
                                 + table.to_html(index=False, na_rep='', float_format='{:.1f}'.format))
            self.status.value = 'done: ' + _html(result['description'])
        except Exception as err:  # shown in the panel: a thread's traceback would vanish
            self.status.value = (f'<span style="color:#D55E00">failed: {type(err).__name__}: '
                                 f'{_html(err)}</span>')
            self.error = err
        finally:
            self.run_button.disabled, self.stop_button.disabled = False, True

    def wait(self, timeout=None):
        if self._thread is not None:
            self._thread.join(timeout)
        return self.results[-1] if self.results else None

    def show(self):
        from IPython.display import display
        display(self.widget)
        return self


def _html(text):
    import html
    return html.escape(str(text))


def _with(options, value):
    return list(options) if value in options else list(options) + [value]


def _with_value(dropdown, value):
    """The option of `dropdown` naming the same (L, H) as `value`, added if missing."""
    shape = models.parse_size(value, 'mini')
    for option in dropdown.options:
        if models.parse_size(option, 'mini') == shape:
            return option
    dropdown.options = list(dropdown.options) + [value]
    return value
