"""BiLSTM students distilled from a BERT teacher with unlabeled transfer data
(Mukherjee & Hassan Awadallah 2020), as the official code (XtremeDistil v1,
`distil_classification`) trains them.

    from minilab.methods import xtremedistil as xd
    xd.PROCEDURES['stagewise']        # ('rep', 'logit', 'ce'): the stages, in order
    xd.UNFREEZE_STEPS                 # top-down: head + dense, + BiLSTM, + embedding
    xd.stage_weights('rep', 'mse')    # {'rep_mse': 1.0}: the loss terms of a stage

Procedures (x_U an unlabeled transfer example, (x, y) a labeled one):

    labeled    stage 'ce':    cross-entropy on D_L
    hard       stage 'hard':  cross-entropy on D_L + {(x_U, argmax teacher(x_U))}
    soft       'logit' (MSE to the teacher's logits on D_U), then 'ce'
    stagewise  'rep' (student dense layer vs the teacher's [CLS] representation,
               MSE / KL / cosine, on D_U), then 'logit', then 'ce'
    joint      'joint': rep + logit MSE + CE summed in every batch, half labeled
               and half transfer rows (v1's two-output generator)

Gradual unfreezing: every stage after the first one trains top-down, one
`fit` per step ([head, dense] -> + BiLSTM -> + embedding), so what an earlier
stage taught the lower layers is not overwritten by a fresh head's large
gradients. A first stage trains everything (there is nothing to protect yet).

Model selection is on the dev split only (the official code monitors the
test file): a stage with labels or logits keeps its best dev-accuracy epoch
and a later step is kept only if it beats the best so far; the 'rep' stage
keeps the epoch with the lowest representation loss on the dev inputs (the
teacher's outputs on them, no labels). Patience stops a step early, and
every fit takes at least `min_steps` optimizer steps, so a tiny labeled or
transfer set is not simply under-trained (the sweeps compare data, not steps).

Differences from the Keras original, all deliberate: AdamW without weight
decay and a warm-up + linear-decay schedule restarted at every step (the
kit's loop) instead of Adam with cosine annealing and warm restarts; the
embedding starts from the teacher's own word embeddings (PCA-projected)
instead of GloVe, which does not exist offline and does not match the
teacher's WordPieces anyway.

Two stage kinds of `minilab.stages.RUNNERS` run here: 'bilstm' (one student,
one procedure) and 'speed' (parameters and CPU latency).
"""
import copy
import math
import time

import numpy as np
import torch
from torch import nn

from minilab import data, inference, losses, models, objectives, runs
from minilab.batching import make_loader
from minilab.latency import time_passes
from minilab.methods import base
from minilab.objectives import model_inputs
from minilab.train import fit

PROCEDURES = {
    'labeled': ('ce',),
    'hard': ('hard',),
    'soft': ('logit', 'ce'),
    'stagewise': ('rep', 'logit', 'ce'),
    'joint': ('joint',),
}
# stage -> (training data, loss weights, batch-size key); the data names are
# built in run_bilstm; 'rep' stands for the representation term of the
# config's rep_loss (stage_weights). The 'hard' stage trains 'ce' on D_L plus
# the transfer set labelled with the teacher's argmax (the official code's way)
STAGES = {
    'ce': ('labeled', {'ce': 1.0}, 'batch_size'),
    'hard': ('pseudo', {'ce': 1.0}, 'distill_batch_size'),
    'logit': ('transfer', {'logit_mse': 1.0}, 'distill_batch_size'),
    'rep': ('transfer', {'rep': 1.0}, 'distill_batch_size'),
    'joint': ('mixed', {'rep': 1.0, 'logit_mse': 1.0, 'ce': 1.0}, 'distill_batch_size'),
}
GROUPS = ('embedding', 'lstm', 'dense', 'classifier')
UNFREEZE_STEPS = (('classifier', 'dense'), ('classifier', 'dense', 'lstm'), GROUPS)
EMBEDDINGS = ('teacher', 'random')
# the teacher representation to regress (an output kind of minilab.inference):
# v1 takes the pooled [CLS] ("output_layer"), v2 the [CLS] hidden state of an
# intermediate layer
TEACHER_REPR_HELP = "'pooled' (v1), 'cls' (last layer's [CLS]) or 'layer<k>' ([CLS] of layer k)"
EVAL_GAP = 10  # evaluate every epoch, but not more often than every 10 steps (tiny sets)


# -----------------------------------------------------------------------------
# objective and unfreezing


def stage_weights(stage, rep_loss='mse'):
    """The loss terms of a stage (minilab.objectives names)."""
    rep = objectives.rep_term(rep_loss)
    return {(rep if name == 'rep' else name): w for name, w in STAGES[stage][1].items()}


def unfreezing_steps(stage_index, unfreeze):
    """The trainable groups of each `fit` of a stage: all at once for a first
    stage or without unfreezing, else top-down (UNFREEZE_STEPS)."""
    if stage_index == 0 or not unfreeze:
        return [GROUPS]
    return list(UNFREEZE_STEPS)


def set_trainable(model, groups):
    """requires_grad per group; frozen parameters get no gradient, so the
    optimizer (AdamW skips grad-less parameters) leaves them untouched."""
    student = getattr(model, 'student', model)
    for name in GROUPS:
        for p in getattr(student, name).parameters():
            p.requires_grad = name in groups


class WithProjection(nn.Module):
    """The student plus a linear map of its dense layer to the teacher width,
    for the representation loss when the widths differ (the paper sizes the
    dense layer to the teacher, so by default this is never needed)."""

    def __init__(self, student, teacher_dim):
        super().__init__()
        self.student = student
        self.proj = losses.RepresentationProjection(student.config['dense_size'], teacher_dim)

    def forward(self, **inputs):
        out = self.student(**inputs)
        out.representation = self.proj(out.representation)
        return out


# -----------------------------------------------------------------------------
# teacher outputs, computed once per (teacher, inputs) and cached


def check_teacher_repr(value):
    if value == 'cls_layers' or not isinstance(value, str):
        raise ValueError(f'unknown teacher_repr {value!r}; valid: {TEACHER_REPR_HELP}')
    try:
        return inference.check_output(value)
    except ValueError:
        raise ValueError(f'unknown teacher_repr {value!r}; valid: {TEACHER_REPR_HELP}') from None


def teacher_targets(teacher_dir, dataset, data_key, tokenizer, tokenizer_key, max_length,
                    teacher_repr='pooled', progress=False):
    """{'logits': [N, C], 'repr': [N, H]} of a fine-tuned BERT teacher on
    tokenized inputs, from the teacher-output store (minilab.inference)."""
    check_teacher_repr(teacher_repr)
    arrays, info = inference.teacher_outputs(teacher_dir, dataset, data_key, tokenizer,
                                             tokenizer_key, max_length, ('logits', teacher_repr),
                                             progress=progress)
    return {'logits': arrays['logits'], 'repr': arrays[teacher_repr]}, info


def _with_targets(dataset, arrays, columns=('logits', 'repr')):
    for name in columns:
        dataset = dataset.add_column(f'teacher_{name}', list(arrays[name]))
    return dataset


# -----------------------------------------------------------------------------
# one stage = one or more fits with model selection on dev


class EarlyStop:
    """fit(callback=...): stop after `patience` evaluations without a better
    score. `score()` (higher is better) defaults to the row's dev accuracy;
    with `keep=True` the best weights are kept here (fit keeps only dev-accuracy
    bests itself)."""

    def __init__(self, model, patience, score=None, keep=False):
        self.model, self.patience, self.score, self.keep = model, patience, score, keep
        self.best, self.state, self.bad = None, None, 0

    def __call__(self, row):
        s = self.score() if self.score else row['dev_accuracy']
        row['select_score'] = s
        if self.best is None or s > self.best:
            self.best, self.bad = s, 0
            if self.keep:
                self.state = copy.deepcopy(self.model.state_dict())
        else:
            self.bad += 1
        return bool(self.patience) and self.bad >= self.patience


def dev_rep_loss(model, dev, tokenizer, rep_loss):
    """The representation loss on the dev inputs (the 'rep' stage's model selection)."""
    weights = stage_weights('rep', rep_loss)
    objective = objectives.compose(weights)

    def batch_loss(m, batch):
        return float(sum(objective(m, batch).values())) * len(batch['input_ids']), len(batch['input_ids'])
    parts = inference.forward_pass(model, dev, tokenizer, batch_loss)
    return sum(t for t, _ in parts) / max(sum(n for _, n in parts), 1)


def train_stages(student, config, sets, tokenizer, dev, progress=False):
    """Run the stages of config['procedure'] on `student`; returns (history,
    totals, best dev accuracy). `sets` maps data names to tokenized datasets;
    `dev` carries labels and the teacher's outputs (when there is a teacher)."""
    proc = config['procedure']
    history, totals = [], {'train_seconds': 0.0, 'train_tokens': 0, 'train_flops': 0, 'steps': 0}
    best_acc, best_state = None, None
    fit_index = 0
    for s, stage in enumerate(PROCEDURES[proc]):
        data_name, _, batch_key = STAGES[stage]
        weights = stage_weights(stage, config.get('rep_loss', 'mse'))
        train, batch_size = sets[data_name], config[batch_key]
        model = student
        if stage in ('rep', 'joint') and config['dense_size'] != sets['repr_dim']:
            model = WithProjection(student, sets['repr_dim'])
        steps = unfreezing_steps(s, config.get('unfreeze', True))
        # a later 'ce' stage fine-tunes a distilled student: its own (short) epochs;
        # without unfreezing, a later stage gets as many passes over its data as
        # the unfreezing steps together (a fair comparison)
        epochs = config['finetune_epochs' if stage == 'ce' and s else f'{stage}_epochs']
        epochs *= len(UNFREEZE_STEPS) if s and len(steps) == 1 else 1
        # a small set still gets min_steps optimizer steps per fit
        per_epoch = math.ceil(len(train) / batch_size)
        epochs = max(epochs, math.ceil(config.get('min_steps', 0) / per_epoch))
        select_on_rep = stage == 'rep'  # no labels, no head yet: dev representation loss
        for groups in steps:
            set_trainable(model, groups)
            score = (lambda m=model: -dev_rep_loss(m, dev, tokenizer, config['rep_loss'])) \
                if select_on_rep else None
            stop = EarlyStop(model, config.get('patience'), score=score, keep=select_on_rep)
            result = fit(model, objectives.compose(weights), weights, train, tokenizer,
                         dev_data=None if select_on_rep else dev, epochs=epochs, lr=config['lr'],
                         batch_size=batch_size, weight_decay=0.0,
                         seed=1000 * config['seed'] + fit_index,
                         eval_every=max(per_epoch, EVAL_GAP), progress=progress,
                         desc=f'{proc} {stage}', callback=stop, length_grouping=False)
            for name in totals:
                totals[name] += result[name]
            history += [dict(row, stage=stage, fit=fit_index, trainable='+'.join(groups))
                        for row in result['history']]
            fit_index += 1
            if select_on_rep:
                model.load_state_dict(stop.state)  # the lowest dev representation loss
                continue
            acc = (result['best_dev'] or {}).get('accuracy')  # fit restored that epoch
            if best_acc is None or (acc is not None and acc > best_acc):
                best_acc, best_state = acc, copy.deepcopy(student.state_dict())
            else:  # this step did not beat the best so far on dev: go back
                student.load_state_dict(best_state)
    set_trainable(student, GROUPS)
    return history, totals, best_acc


# -----------------------------------------------------------------------------
# the 'bilstm' stage


def new_student(config, num_labels, vocab_size, teacher_dir=None):
    """A BiLSTM of the config's shape; embedding from the teacher's word
    embeddings (config['embedding_projection']: 'pca' or 'random') or random."""
    torch.manual_seed(config['seed'])
    student = models.BiLSTMClassifier(vocab_size, num_labels, config['embedding_dim'],
                                      config['hidden_size'], config['dense_size'],
                                      config['dropout'])
    if config['embeddings'] == 'teacher':
        teacher = models.load_model(teacher_dir, kind='classifier')
        student.init_embeddings_from(teacher.get_input_embeddings().weight,
                                     config['embedding_projection'], seed=config['seed'])
    return student


def run_bilstm(plan, rid, config, progress=False):
    start = time.perf_counter()
    task = base.load_task(config)
    tokenizer = data.load_tokenizer(config['tokenizer'])

    def tok(ds):
        return data.tokenize(ds, tokenizer, config['max_length'])

    labeled, dev, test = tok(task.train), tok(task.dev), tok(task.test)
    teacher_dir = plan.checkpoint(config['teacher']) if config.get('teacher') else None
    extra = {}
    sets = {'labeled': labeled}
    if 'transfer' in config:
        def targets(ds, key):
            arrays, info = teacher_targets(teacher_dir, ds, key, tokenizer, config['tokenizer'],
                                           config['max_length'],
                                           config.get('teacher_repr', 'pooled'), progress)
            extra['teacher_seconds'] = (extra.get('teacher_seconds', 0.0)
                                        + info.get('teacher_seconds', 0.0))
            return arrays

        transfer = data.TransferSet(**config['transfer'])
        inputs = tok(transfer.load())
        t = targets(inputs, transfer.key)
        # of the transfer set: 'hit' when an earlier student already ran the teacher
        extra['teacher_cache'] = 'miss' if extra['teacher_seconds'] else 'hit'
        sets['repr_dim'] = t['repr'].shape[1]
        sets['transfer'] = _with_targets(inputs, t)
        dev = _with_targets(dev, targets(dev, base.split_key(config, 'dev')))
        stage_data = {STAGES[s][0] for s in PROCEDURES[config['procedure']]}
        if 'pseudo' in stage_data:  # D_L + the transfer set with the teacher's argmax as label
            from datasets import concatenate_datasets
            pseudo = inputs.add_column('label', [int(i) for i in t['logits'].argmax(-1)])
            sets['pseudo'] = concatenate_datasets([labeled, pseudo.cast(labeled.features)])
        if 'mixed' in stage_data:  # v1's half-labeled / half-transfer batches
            from datasets import concatenate_datasets
            lab = _with_targets(labeled, targets(labeled, base.split_key(config, 'train')))
            lab = lab.select([i % len(lab) for i in range(max(len(lab), len(inputs)))])
            unl = sets['transfer'].add_column('label', [losses.IGNORE_INDEX] * len(inputs))
            sets['mixed'] = concatenate_datasets([lab, unl.cast(lab.features)])
    student = new_student(config, task.num_labels, len(tokenizer), teacher_dir)
    history, totals, best_dev = train_stages(student, config, sets, tokenizer, dev, progress)
    test_metrics = inference.evaluate(student, test, tokenizer)
    metrics = {'dev_accuracy': best_dev, 'test_accuracy': test_metrics['accuracy'],
               'test_macro_f1': test_metrics['macro_f1'],
               'params': models.count_parameters(student, trainable_only=False),
               'non_embedding_params': sum(p.numel() for n, p in student.named_parameters()
                                           if not n.startswith('embedding'))}
    totals.update(extra, wall_seconds=time.perf_counter() - start)
    base.save_model(student, tokenizer, rid)
    runs.save_run(plan.paper, config, metrics, history=history, timings=totals,
                  extra=base.saved_as(rid))
    return rid


# -----------------------------------------------------------------------------
# the 'speed' stage: parameters and CPU latency, teacher vs BiLSTM


def latency(model, dataset, tokenizer, batch_size, n_single):
    """Median ms of a batch-1 forward over the first n_single inputs, and ms
    per input of batched forwards over the whole dataset (dynamic padding)."""
    def inputs(loader):
        return [model_inputs(b) for b in loader]
    single = inputs(make_loader(dataset.select(range(min(n_single, len(dataset)))), tokenizer, 1,
                                shuffle=False))
    batches = inputs(make_loader(dataset, tokenizer, batch_size, shuffle=False))
    one = time_passes({'m': model}, single, warmup=5, per_batch=True)['m']
    many = time_passes({'m': model}, batches, warmup=0)['m'][0]
    return {'ms_batch1': 1000 * float(np.median(one)), 'ms_batched': 1000 * many / len(dataset)}


def _synthetic(n, length, vocab_size, seed=0):
    from datasets import Dataset
    g = np.random.default_rng(seed)
    ids = g.integers(5, vocab_size, size=(n, length)).tolist()
    return Dataset.from_dict({'input_ids': ids, 'attention_mask': [[1] * length] * n})


def run_speed(plan, rid, config, progress=False):
    wall_start = time.perf_counter()
    torch.manual_seed(0)
    task = base.load_task(config)
    tokenizer = data.load_tokenizer(config['tokenizer'])
    inputs = data.tokenize(task.test, tokenizer, config['max_length'])
    inputs = inputs.select(range(min(config['n_inputs'], len(inputs))))
    teacher = models.load_model(plan.checkpoint(config['teacher']), kind='classifier')
    # weights do not change the latency: an untrained student of the trained shape
    student = models.BiLSTMClassifier(len(tokenizer), task.num_labels, config['embedding_dim'],
                                      config['hidden_size'], config['dense_size'])
    m = {'threads': torch.get_num_threads(),
         'teacher_params': models.count_parameters(teacher, False),
         'student_params': models.count_parameters(student, False)}
    for name, model in (('teacher', teacher), ('student', student)):
        times = latency(model, inputs, tokenizer, config['batch_size'], config['n_single'])
        m.update({f'{name}_{k}': v for k, v in times.items()})
    # paper sizes: BERT-Large (24/1024) vs the 300/600/1024 BiLSTM, analytic counts
    # (the student vocabulary is the WordPieces seen in train + transfer text,
    # ~25k of BERT's 30522 in papers.md 3.3: an assumption, NOT FOUND in the paper)
    p_teacher = models.bert_parameter_count(24, 1024, 30522, with_mlm_head=False) + 1024 * 2 + 2
    m.update(paper_teacher_params=p_teacher,
             paper_student_params=models.bilstm_parameter_count(config['paper_student_vocab'],
                                                                300, 600, 1024, 2),
             paper_student_params_full_vocab=models.bilstm_parameter_count(30522, 300, 600,
                                                                           1024, 2))
    if config['paper_shapes']:  # measured too, random weights, synthetic 128-token inputs
        big = models.new_classifier(models.bert_config(24, 1024, 30522), 2)
        lstm = models.BiLSTMClassifier(30522, 2, 300, 600, 1024)
        fake = _synthetic(config['paper_n_inputs'], 128, 30522)
        for name, model in (('paper_teacher', big), ('paper_student', lstm)):
            for k, v in latency(model, fake, tokenizer, config['paper_batch_size'],
                                config['paper_n_inputs']).items():
                m[f'{name}_{k}'] = v
        del big
    runs.save_run(plan.paper, config, m, timings={'threads': m['threads'],
                                                  'seconds': time.perf_counter() - wall_start})
    return rid

