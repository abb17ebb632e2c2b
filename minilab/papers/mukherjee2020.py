"""Mukherjee & Hassan Awadallah 2020, Distilling BERT into Simple Neural
Networks with Unlabeled Transfer Data: the plans of its experiments.

    mh_main      MH-T2  teacher vs BiLSTM labeled / hard / soft / stagewise, per task
    mh_lowres    MH-T3  k labels per class (teacher fine-tuned on the same k),
                        the rest of the pool as unlabeled transfer data
    mh_transfer  MH-A1  the stage-wise student as the transfer set grows
    mh_ablation  MH-A1  representation loss, stage-wise vs joint, unfreezing,
                        embeddings, teacher layer
    mh_speed     MH-T4  parameters and CPU latency, teacher vs BiLSTM

    minilab run mh_main --preset mini          # resumable; see notebooks/mh_*.py

Paper scale (a GPU and the hub; not run here, the path is tested on local
stand-ins in tests/test_mukherjee2020.py):

    HF_HUB_OFFLINE=0 HF_DATASETS_OFFLINE=0 minilab run mh_main --preset paper \
        --set "tasks=['imdb', 'ag_news', 'dbpedia_14', 'path/to/elec']" \
        --set transfer_pool=path/to/unlabeled.csv    # else each task's own train text

Rough cost, not measured: BERT-Large fine-tuning dominates (IMDB ~0.5 h,
AG News ~1.5 h, DBpedia ~6 h on one A100 at 128 tokens, 3 epochs); a
300/600 BiLSTM stage over 50k transfer examples takes minutes.

The students and their procedures are in `minilab.methods.xtremedistil`; the
teacher reuses the kit's 'pretrain' and 'teacher' stages. Experiments share their
base parameters, so a run two of them need (the labeled-only and stage-wise
sentiment students, the sentiment teacher) has one id and is trained once.
"""
import copy

from minilab import data, losses, models, world
from minilab.methods import xtremedistil
from minilab.methods.pretraining import init_ref
from minilab.stages import Plan

PAPER = 'mukherjee2020'
NUM_LABELS = {**{f'world/{t}': len(labels) for t, labels in world.LABELS.items()},
              'imdb': 2, 'ag_news': 4, 'dbpedia_14': 14, 'amazon_polarity': 2,
              'yelp_polarity': 2, 'glue/sst2': 2}

# -----------------------------------------------------------------------------
# presets: one base, shared by every experiment

BASE_MINI = dict(
    domain='movies',             # domain of the labeled world/sentiment task
    train_size=2000,             # labeled examples D_L
    dev_size=500,                # model selection only
    test_size=2000,
    tokenizer='world',           # the teacher's WordPieces; the student shares them
    max_length=48,
    seeds=[0, 1, 2],             # student seeds (init, dropout, batch order)
    # teacher: the kit's biggest mini BERT (the paper's BERT-Large analogue),
    # MLM pre-trained on the world corpus, then fine-tuned on D_L
    scale='mini',
    teacher_size='base',         # L6_H192
    teacher_init='pretrain',     # 'pretrain' or a hub name / local path
    corpus='world',
    corpus_size=60_000,
    mlm_smoothing=0.7,
    pretrain_batch_size=64,   # as turc2019's teacher (the same stage as db_main's; turc2019's is bf16)
    pretrain_mlm_probability=0.4,  # as turc2019.WR_MAIN_MINI
    teacher_pretrain_epochs=3,   # as turc2019.WR_MAIN_MINI
    teacher_pretrain_lr=1e-3,
    teacher_lr=5e-4,
    teacher_epochs=12,
    teacher_batch_size=64,
    # unlabeled transfer set D_U ('task': the task's own unlabeled pool)
    transfer_pool='task',
    transfer_domain='movies',
    transfer_size=4000,
    # BiLSTM student (paper: 300 / 600 / dense = teacher width)
    embedding_dim=64,
    hidden_size=64,
    dropout=0.4,
    embeddings='teacher',        # 'teacher' (its word embeddings, PCA) or 'random'
    teacher_repr='pooled',       # 'pooled' (v1), 'cls' or 'layer<k>'
    rep_loss='mse',              # 'mse' (code default), 'kl' or 'cosine'
    unfreeze=True,               # top-down gradual unfreezing in later stages
    lr=3e-3,                     # paper 1e-3; 3e-3 is better on dev for this small BiLSTM
    batch_size=64,               # labeled stages
    distill_batch_size=128,      # transfer stages
    patience=3,                  # evaluations without a better dev score
    min_steps=60,                # a tiny labeled set still gets this many steps
    ce_epochs=8,                 # labeled-only training
    finetune_epochs=2,           # the last 'ce' stage of soft / stagewise, per unfreezing step
    hard_epochs=4,
    logit_epochs=6,              # MSE on logits converges slowly: at 2 (63 steps) soft distillation
                                 # scored 71.8±5.9 on world/sentiment, at 6 99.7±0.3 (dev early stopping)
    rep_epochs=2,
    joint_epochs=4,
)
BASE_TINY = dict(BASE_MINI, train_size=100, dev_size=100, test_size=200, seeds=[0],
                 teacher_size='L2_H64', corpus_size=2000, teacher_pretrain_epochs=1,
                 teacher_epochs=3, transfer_size=300, embedding_dim=16, hidden_size=16,
                 patience=0, min_steps=0, ce_epochs=1, finetune_epochs=1, hard_epochs=1,
                 logit_epochs=1, rep_epochs=1, joint_epochs=1)
# hub datasets and BERT-Large wwm, as the README command; Elec: a local folder
BASE_PAPER = dict(BASE_MINI, train_size=None, dev_size=None, test_size=None,
                  tokenizer='bert-base-uncased', max_length=128, scale='paper',
                  teacher_size='L24_H1024', teacher_init='bert-large-uncased-whole-word-masking',
                  teacher_lr=2e-5, teacher_epochs=3, teacher_batch_size=32, mixed_precision='bf16',
                  transfer_size=50_000, embedding_dim=300, hidden_size=600, batch_size=32,
                  lr=1e-3, patience=5, min_steps=0, ce_epochs=20, finetune_epochs=20,
                  hard_epochs=20, logit_epochs=20, rep_epochs=20, joint_epochs=20)


def _presets(tiny, mini, paper):
    return {'tiny': dict(BASE_TINY, **tiny), 'mini': dict(BASE_MINI, **mini),
            'paper': dict(BASE_PAPER, **paper)}


MAIN = ['labeled', 'hard', 'soft', 'stagewise']
MAIN_PRESETS = _presets(
    dict(tasks=['world/sentiment', 'world/topic'], procedures=MAIN),
    dict(tasks=['world/sentiment', 'world/topic'], procedures=MAIN),
    dict(tasks=['imdb', 'ag_news', 'dbpedia_14'], procedures=MAIN))
LOWRES_PRESETS = _presets(
    dict(task='world/sentiment', labels_per_class=[5, 20], procedures=['labeled', 'stagewise'],
         lowres_teacher_batch_size=16),
    # at 25 labels per class the mini teacher is still at chance (measured); a
    # smaller transfer set keeps this sweep inside the batch budget
    dict(task='world/sentiment', labels_per_class=[50, 100, 250, 500], transfer_size=2000,
         procedures=['labeled', 'stagewise'], lowres_teacher_batch_size=32),
    dict(task='ag_news', labels_per_class=[10, 100, 500, 1000],
         procedures=['labeled', 'hard', 'stagewise'], lowres_teacher_batch_size=16))
TRANSFER_PRESETS = _presets(
    dict(task='world/sentiment', transfer_sizes=[100, 300], procedures=['stagewise']),
    dict(task='world/sentiment', transfer_sizes=[250, 1000, 2000, 4000],
         procedures=['stagewise']),
    dict(task='imdb', transfer_sizes=[1000, 5000, 20_000, 50_000],
         procedures=['hard', 'stagewise']))

# ablation arms: overrides of the base parameters (the first is the base itself)
VARIANTS = {
    'stagewise_mse': dict(procedure='stagewise'),
    'stagewise_kl': dict(procedure='stagewise', rep_loss='kl'),
    'stagewise_cosine': dict(procedure='stagewise', rep_loss='cosine'),
    'joint': dict(procedure='joint'),
    'no_unfreezing': dict(procedure='stagewise', unfreeze=False),
    'random_embeddings': dict(procedure='stagewise', embeddings='random'),
    # what the teacher's embeddings alone give, without distillation
    'labeled': dict(procedure='labeled'),
    'labeled_random_embeddings': dict(procedure='labeled', embeddings='random'),
    'teacher_cls': dict(procedure='stagewise', teacher_repr='cls'),
}
ABLATION_PRESETS = _presets(
    dict(task='world/sentiment', variants=list(VARIANTS)),
    dict(task='world/sentiment', variants=[v for v in VARIANTS if v != 'teacher_cls']),
    dict(task='imdb', variants=list(VARIANTS)))
SPEED_PRESETS = _presets(
    dict(task='world/sentiment', n_inputs=64, n_single=10, speed_batch_size=32,
         paper_shapes=False, paper_n_inputs=4, paper_batch_size=4, paper_student_vocab=25_000),
    dict(task='world/sentiment', n_inputs=512, n_single=100, speed_batch_size=64,
         paper_shapes=True, paper_n_inputs=8, paper_batch_size=8, paper_student_vocab=25_000),
    dict(task='imdb', n_inputs=512, n_single=100, speed_batch_size=64,
         paper_shapes=True, paper_n_inputs=16, paper_batch_size=8, paper_student_vocab=25_000))


# -----------------------------------------------------------------------------
# checks, before any compute: one line naming the bad value and the choices


def _choice(name, value, choices):
    if value not in choices:
        raise ValueError(f'unknown {name} {value!r}; valid: {", ".join(map(str, choices))}')


def validate(p):
    """This paper's rules; types and ranges (seeds, sizes, labels_per_class...)
    are checked before, by minilab.experiments.params."""
    for task in p.get('tasks', [p.get('task')]):
        if str(task).startswith('world/'):
            _choice('task', task, data.WORLD_TASKS)
    _choice('embeddings', p['embeddings'], xtremedistil.EMBEDDINGS)
    _choice('rep_loss', p['rep_loss'], losses.REPRESENTATION_KINDS)
    xtremedistil.check_teacher_repr(p['teacher_repr'])
    models.parse_size(p['teacher_size'], p['scale'])
    for variant in p.get('variants', ()):
        _choice('variant', variant, list(VARIANTS))
    if 'labels_per_class' in p:
        if p['task'] not in NUM_LABELS:
            raise ValueError(f'labels_per_class needs a task with a known number of classes; '
                             f'valid: {", ".join(NUM_LABELS)}')


# -----------------------------------------------------------------------------
# stage configs


def _common(p, task):
    return dict(task=task, domain=p['domain'], dev_size=p['dev_size'], test_size=p['test_size'],
                tokenizer=p['tokenizer'], max_length=p['max_length'],
                world_version=world.WORLD_VERSION)


def _teacher(plan, p, task, train_size='preset', batch_size=None, epochs=None):
    init = init_ref(plan, p, p['teacher_init'], p['teacher_size'],
                    p['teacher_pretrain_epochs'], teacher=True)
    return plan.add(dict(kind='teacher', init=init, size=p['teacher_size'], lr=p['teacher_lr'],
                         epochs=epochs or p['teacher_epochs'], seed=0,
                         batch_size=batch_size or p['teacher_batch_size'],
                         train_size=p['train_size'] if train_size == 'preset' else train_size,
                         length_grouping=False, mixed_precision=p.get('mixed_precision', 'no'),
                         **_common(p, task)))


def _student(p, task, teacher, seed, procedure, train_size='preset', transfer_size=None):
    """The config of one BiLSTM run: only the keys its procedure uses, so
    that e.g. the labeled-only run keeps its id when a distillation setting
    changes."""
    stages = xtremedistil.PROCEDURES[procedure]
    cfg = dict(kind='bilstm', procedure=procedure, seed=seed,
               train_size=p['train_size'] if train_size == 'preset' else train_size,
               embedding_dim=p['embedding_dim'], hidden_size=p['hidden_size'],
               dense_size=models.parse_size(p['teacher_size'], p['scale'])[1],
               dropout=p['dropout'], embeddings=p['embeddings'], lr=p['lr'],
               patience=p['patience'], min_steps=p['min_steps'], **_common(p, task))
    if p['embeddings'] == 'teacher':  # PCA of the teacher's table, a random map when wider
        cfg.update(teacher=teacher, embedding_projection='pca' if cfg['embedding_dim']
                   <= cfg['dense_size'] else 'random')
    if procedure != 'labeled':
        pool = task if p['transfer_pool'] == 'task' else p['transfer_pool']
        cfg.update(teacher=teacher, distill_batch_size=p['distill_batch_size'],
                   transfer=dict(pool=pool, size=transfer_size or p['transfer_size'],
                                 domain=p['transfer_domain'], seed=0))
    if 'ce' in stages:
        cfg['batch_size'] = p['batch_size']
    if {'rep', 'joint'} & set(stages):
        cfg.update(rep_loss=p['rep_loss'], teacher_repr=p['teacher_repr'])
    if len(stages) > 1:
        cfg['unfreeze'] = p['unfreeze']
    for i, stage in enumerate(stages):
        key = 'finetune_epochs' if stage == 'ce' and i else f'{stage}_epochs'
        cfg[key] = p[key]
    return cfg


# -----------------------------------------------------------------------------
# plans. `plan.labels` names the runs for the notebooks (never part of an id)


def plan_mh_main(p):
    plan = Plan(PAPER)
    plan.labels = {}
    for task in p['tasks']:
        teacher = _teacher(plan, p, task)
        for seed in p['seeds']:  # seeds outside: a stopped batch has whole seeds
            for proc in p['procedures']:
                plan.labels[plan.add(_student(p, task, teacher, seed, proc))] = proc
    return plan


def plan_mh_lowres(p):
    plan = Plan(PAPER)
    plan.labels = {}
    task = p['task']
    for k in p['labels_per_class']:
        n = k * NUM_LABELS[task]
        # the same k labels for the teacher; a tiny set still gets min_steps steps
        bs = p['lowres_teacher_batch_size']
        epochs = max(p['teacher_epochs'], -(-p['min_steps'] // -(-n // bs)))
        teacher = _teacher(plan, p, task, train_size=n, batch_size=bs, epochs=epochs)
        plan.labels[teacher] = k
        for seed in p['seeds']:
            for proc in p['procedures']:
                plan.labels[plan.add(_student(p, task, teacher, seed, proc, train_size=n))] = k
    return plan


def plan_mh_transfer(p):
    plan = Plan(PAPER)
    plan.labels = {}
    teacher = _teacher(plan, p, p['task'])
    for seed in p['seeds']:
        plan.labels[plan.add(_student(p, p['task'], teacher, seed, 'labeled'))] = 0
        for size in p['transfer_sizes']:
            for proc in p['procedures']:
                rid = plan.add(_student(p, p['task'], teacher, seed, proc, transfer_size=size))
                plan.labels[rid] = size
    return plan


def plan_mh_ablation(p):
    plan = Plan(PAPER)
    plan.labels = {}
    teacher = _teacher(plan, p, p['task'])
    for seed in p['seeds']:
        for name in p['variants']:
            over = dict(VARIANTS[name])
            proc = over.pop('procedure')
            cfg = _student(dict(p, **over), p['task'], teacher, seed, proc)
            plan.labels[plan.add(cfg)] = name
    return plan


def plan_mh_speed(p):
    plan = Plan(PAPER)
    teacher = _teacher(plan, p, p['task'])
    plan.labels = {teacher: 'teacher'}
    rid = plan.add(dict(kind='speed', teacher=teacher, seed=0, embedding_dim=p['embedding_dim'],
                        hidden_size=p['hidden_size'],
                        dense_size=models.parse_size(p['teacher_size'], p['scale'])[1],
                        n_inputs=p['n_inputs'], n_single=p['n_single'],
                        batch_size=p['speed_batch_size'], paper_shapes=p['paper_shapes'],
                        paper_n_inputs=p['paper_n_inputs'], paper_batch_size=p['paper_batch_size'],
                        paper_student_vocab=p['paper_student_vocab'], **_common(p, p['task'])))
    plan.labels[rid] = 'speed'
    return plan


def _experiment(plan, presets, notebook, about):
    return dict(paper=PAPER, presets=copy.deepcopy(presets), plan=plan, notebook=notebook,
                about=about, procedure_choices=tuple(xtremedistil.PROCEDURES), validate=validate)


EXPERIMENTS = {
    'mh_main': _experiment(plan_mh_main, MAIN_PRESETS, 'mh_t2_main',
                           'Mukherjee 2020 MH-T2: teacher vs BiLSTM labeled/hard/soft/stagewise'),
    'mh_lowres': _experiment(plan_mh_lowres, LOWRES_PRESETS, 'mh_t3_low_resource',
                             'Mukherjee 2020 MH-T3: k labels per class, BiLSTM vs teacher'),
    'mh_transfer': _experiment(plan_mh_transfer, TRANSFER_PRESETS, 'mh_transfer_size',
                               'Mukherjee 2020 MH-A1: gains as the transfer set grows'),
    'mh_ablation': _experiment(plan_mh_ablation, ABLATION_PRESETS, 'mh_ablations',
                               'Mukherjee 2020 MH-A1: repr loss, stage-wise vs joint, unfreezing'),
    'mh_speed': _experiment(plan_mh_speed, SPEED_PRESETS, 'mh_t4_compression',
                            'Mukherjee 2020 MH-T4: parameters and CPU latency, teacher vs BiLSTM'),
}
