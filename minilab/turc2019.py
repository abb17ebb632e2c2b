"""Turc et al. 2019, Well-Read Students Learn Better: the plans of its experiments.

Each experiment is a flat parameter dict per preset (tiny / mini / paper) and a
function that turns parameters into a `Plan` of stages (see minilab.stages).
They are registered in `minilab.experiments.EXPERIMENTS`.
"""
from minilab import models, world
from minilab.stages import DISTILLED, PRETRAINED, PROCEDURES, Plan

# -----------------------------------------------------------------------------
# Turc et al. 2019, main result (WR-F4): basic / D / PF / PD across student sizes

WR_MAIN_MINI = dict(
    task='world/sentiment',      # labeled task D_L
    domain='movies',             # domain of the labeled task
    train_size=2000,             # labeled training examples
    dev_size=1000,
    test_size=2000,
    tokenizer='world',           # 'world' (offline WordPiece) or a name/path
    max_length=48,
    sizes=['tiny', 'mini', 'small'],   # student sizes (mini-scale names or L*_H*)
    scale='mini',                # which size table the names refer to
    procedures=list(PROCEDURES),
    seeds=[0, 1, 2],
    # unlabeled LM data D_LM and MLM pre-training of the students
    corpus='world',
    corpus_size=60_000,
    pretrain_epochs=2,
    pretrain_lr=1e-3,
    mlm_smoothing=0.7,           # mask rare tokens more (DistilBERT's freq^-0.7); 0 = uniform BERT masking
    pretrain_batch_size=128,
    student_init='pretrain',     # 'pretrain' (kit pre-trains) or a name/path template with {L} {H} {A}
    # teacher: a bigger pre-trained model fine-tuned on D_L
    teacher_size='base',           # mini-scale BERT-Base analog (L6_H192)
    teacher_init='pretrain',     # 'pretrain' or a name/path (e.g. bert-large-uncased)
    teacher_pretrain_epochs=2,
    teacher_pretrain_lr=5e-4,
    teacher_lr=5e-4,
    teacher_epochs=12,
    # supervised training (basic, PF)
    lr=1e-3,
    epochs=10,
    batch_size=64,
    length_grouping=False,       # students: shuffled batches (grouping by length cost accuracy here)
    # distillation (D, PD) on the unlabeled transfer set D_T
    transfer_pool='world/sentiment',
    transfer_domain='movies',
    transfer_size=8000,
    distill_loss='soft_ce',
    temperature=1.0,
    distill_epochs=6,
    finetune_epochs=3,           # the optional fine-tuning on D_L after distillation (D and PD alike)
    finetune_lr=5e-4,
)

WR_MAIN_PRESETS = {
    'mini': WR_MAIN_MINI,
    'tiny': dict(WR_MAIN_MINI, train_size=200, dev_size=100, test_size=200,
                 sizes=['tiny', 'mini'], seeds=[0], corpus_size=2000, pretrain_epochs=1,
                 teacher_size='L2_H64', teacher_pretrain_epochs=2, teacher_epochs=2,
                 epochs=2, transfer_size=300, distill_epochs=1, finetune_epochs=1),
    'paper': dict(WR_MAIN_MINI, task='glue/sst2', train_size=None, dev_size=None,
                  test_size=None, tokenizer='bert-base-uncased', max_length=128,
                  sizes=['tiny', 'mini', 'small', 'medium', 'base'], scale='paper',
                  student_init='google/bert_uncased_L-{L}_H-{H}_A-{A}',
                  teacher_init='bert-large-uncased', teacher_size='L24_H1024', teacher_lr=2e-5,
                  teacher_epochs=3, lr=5e-5, epochs=4, batch_size=32,
                  transfer_pool='imdb', transfer_size=50_000, distill_epochs=3, seeds=[0, 1, 2],
                  mixed_precision='bf16'),
}


def _pretrain_config(p, size, epochs, teacher=False):
    L, H = models.parse_size(size, p['scale'])
    return dict(kind='pretrain', size=models.size_name(L, H), L=L, H=H, tokenizer=p['tokenizer'],
                world_version=world.WORLD_VERSION,
                corpus=p['corpus'], corpus_size=p['corpus_size'], max_length=p['max_length'],
                epochs=epochs, lr=p['teacher_pretrain_lr'] if teacher else p['pretrain_lr'],
                batch_size=p['pretrain_batch_size'], seed=0, mlm_smoothing=p['mlm_smoothing'],
                mixed_precision=p.get('mixed_precision', 'no'))


def _init_ref(plan, p, template, size, epochs, teacher=False):
    """A pretrain stage of this plan, or a hub name / local path from a template."""
    if template == 'pretrain':
        return plan.add(_pretrain_config(p, size, epochs, teacher))
    L, H = models.parse_size(size, p['scale'])
    return template.format(L=L, H=H, A=max(1, H // 64))


def plan_wr_main(p):
    plan = Plan('turc2019')
    task = dict(task=p['task'], domain=p['domain'], train_size=p['train_size'],
                dev_size=p['dev_size'], test_size=p['test_size'], tokenizer=p['tokenizer'],
                max_length=p['max_length'], batch_size=p['batch_size'],
                mixed_precision=p.get('mixed_precision', 'no'), world_version=world.WORLD_VERSION)
    teacher_init = _init_ref(plan, p, p['teacher_init'], p['teacher_size'],
                             p['teacher_pretrain_epochs'], teacher=True)
    teacher = plan.add(dict(kind='teacher', init=teacher_init, size=p['teacher_size'],
                            lr=p['teacher_lr'], epochs=p['teacher_epochs'], seed=0, **task))
    for size in p['sizes']:
        L, H = models.parse_size(size, p['scale'])
        pretrained = _init_ref(plan, p, p['student_init'], size, p['pretrain_epochs'])
        for seed in p['seeds']:
            for proc in p['procedures']:
                cfg = dict(kind='student', procedure=proc, size=models.size_name(L, H), L=L, H=H,
                           init=pretrained if PRETRAINED[proc] else 'random', seed=seed,
                           lr=p['lr'], epochs=p['epochs'], length_grouping=p['length_grouping'],
                           **task)
                if DISTILLED[proc]:
                    cfg.update(teacher=teacher, loss=p['distill_loss'],
                               temperature=p['temperature'], epochs=p['distill_epochs'],
                               transfer=dict(pool=p['transfer_pool'], size=p['transfer_size'],
                                             domain=p['transfer_domain'], seed=0))
                    if p['finetune_epochs']:
                        cfg.update(finetune_epochs=p['finetune_epochs'], finetune_lr=p['finetune_lr'])
                plan.add(cfg)
    return plan


EXPERIMENTS = {
    'wr_main': dict(paper='turc2019', presets=WR_MAIN_PRESETS, plan=plan_wr_main,
                    notebook='wr_f4_main_result',
                    about='Turc et al. 2019 WR-F4: basic / D / PF / PD across student sizes'),
}
