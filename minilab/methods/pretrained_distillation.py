"""Pre-trained distillation and its baselines (Turc et al. 2019): a student
starts from an initialisation, then trains on the labeled set D_L or distils
the teacher on an unlabeled transfer set D_T (optionally fine-tuned after).

    basic   random init, supervised training on D_L
    D       random init, distillation on D_T (then fine-tuning on D_L)
    PF      pre-trained init, supervised fine-tuning on D_L
    PD      pre-trained init, distillation on D_T (then fine-tuning on D_L)

The distillation loss is the config's `loss`: a term name ('soft_ce', eq. 1 of
the paper) or {term: weight}, e.g. {'soft_ce': 1.0, 'patient': 100.0} for
Sun et al.'s patient distillation (PKD) with `patient_layers` naming the
teacher layer each student layer learns from (`minilab.objectives`).
"""
from minilab import data, inference, models, objectives, runs
from minilab.methods import base
from minilab.train import fit

PROCEDURES = ('basic', 'D', 'PF', 'PD')
PRETRAINED = {'PF': True, 'PD': True, 'basic': False, 'D': False}
DISTILLED = {'D': True, 'PD': True, 'basic': False, 'PF': False}

# how a student starts (Turc et al. 2019, section 6.2 "there are no shortcuts"):
#   full        every weight from `init` (a pre-trained model of the student's size)
#   truncate    the bottom L layers of `init` (a deeper pre-trained model of the same width)
#   embeddings  only the embeddings of `init` (same width); the layers random
INIT_MODES = ('full', 'truncate', 'embeddings')


def init_student(plan, config, num_labels, vocab_size):
    """The student model of a config: random, or from `init` by its init_mode."""
    L, H = config['L'], config['H']
    bert_config = models.bert_config(L, H, vocab_size, max_position_embeddings=config['max_length'])
    if config['init'] == 'random':
        return models.init_random(bert_config, num_labels)
    # configs without the key (every run before the initialisation study) are 'full'
    mode = config.get('init_mode', 'full')
    if mode == 'full':
        return models.init_from_pretrained(plan.checkpoint(config['init']), num_labels)
    pretrained = models.load_model(plan.checkpoint(config['init']), kind='mlm')
    if pretrained.config.hidden_size != H:
        raise ValueError(f"init_mode {mode!r} needs a pre-trained model of width {H}, "
                         f"got {pretrained.config.hidden_size} ({config['init']})")
    if mode == 'truncate':
        return models.init_truncated(pretrained, L, num_labels)
    if mode == 'embeddings':
        return models.init_embeddings_only(pretrained, bert_config, num_labels)
    raise ValueError(f"unknown init_mode {mode!r}; valid: {', '.join(INIT_MODES)}")


def distillation_set(plan, config, tokenizer, weights, num_labels, progress=False):
    """The transfer set with the teacher's cached outputs that the loss terms read."""
    transfer = data.TransferSet(**config['transfer'])
    inputs = data.tokenize(transfer.load(), tokenizer, config['max_length'])
    needed = sorted({o for name in weights for o in objectives.TERMS[name].teacher})
    teacher_dir = plan.checkpoint(config['teacher'])
    arrays, info = inference.teacher_outputs(
        teacher_dir, inputs, transfer.key, tokenizer, config['tokenizer'], config['max_length'],
        needed, load=lambda d: models.load_model(d, kind='classifier', num_labels=num_labels),
        progress=progress)
    return inference.with_teacher_columns(inputs, arrays), info


def run_student(plan, rid, config, progress=False):
    task = base.load_task(config)
    tokenizer = data.load_tokenizer(config['tokenizer'])
    model = init_student(plan, config, task.num_labels, len(tokenizer))
    dev = data.tokenize(task.dev, tokenizer, config['max_length'])
    extra = {}
    if config.get('transfer'):
        weights = objectives.check_weights(config['loss'])
        train, extra = distillation_set(plan, config, tokenizer, weights, task.num_labels, progress)
        objective = objectives.compose(weights, temperature=config.get('temperature', 1.0),
                                       layer_map=config.get('patient_layers', ()))
    else:
        train = data.tokenize(task.train, tokenizer, config['max_length'])
        weights = {'ce': 1.0}
        objective = objectives.compose(weights)
    result = fit(model, objective, weights, train, tokenizer, dev_data=dev,
                 **base.fit_args(config, rid, progress, f"{config['procedure']} {config['size']}"))
    history = result['history']
    if config.get('finetune_epochs'):  # PD's optional last step: fine-tune on D_L
        labeled = data.tokenize(task.train, tokenizer, config['max_length'])
        ft = fit(model, objectives.compose({'ce': 1.0}), {'ce': 1.0}, labeled, tokenizer, dev_data=dev,
                 **base.fit_args(dict(config, epochs=config['finetune_epochs'],
                                      lr=config['finetune_lr']), rid + '-ft', progress, 'fine-tune'))
        history = history + [dict(row, stage='finetune') for row in ft['history']]
        result = dict(result, best_dev=ft['best_dev'],
                      train_seconds=result['train_seconds'] + ft['train_seconds'],
                      train_tokens=result['train_tokens'] + ft['train_tokens'],
                      train_flops=result['train_flops'] + ft['train_flops'],
                      steps=result['steps'] + ft['steps'])
    metrics = base.final_metrics(model, result, task, tokenizer, config)
    metrics['params'] = models.count_parameters(model)
    base.save_model(model, tokenizer, rid)  # the user keeps the student, not just its numbers
    runs.save_run(plan.paper, config, metrics, history=history, timings=base.timings(result, **extra),
                  extra=base.saved_as(rid))
    return rid
