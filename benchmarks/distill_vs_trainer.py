"""minilab's cached-teacher distillation vs the Hugging Face Trainer-subclass KD pattern.

    .venv/bin/python benchmarks/distill_vs_trainer.py            # mini world defaults
    .venv/bin/python benchmarks/distill_vs_trainer.py --quick    # smoke run (~30 s)
    .venv/bin/python benchmarks/distill_vs_trainer.py --real --teacher-dir cache/checkpoints/teacher-<id>
    .venv/bin/python benchmarks/distill_vs_trainer.py --real --quick   # smoke run of the real mode

Both methods distil the same fine-tuned teacher into copies of one randomly
initialised student, on the same tokenized transfer set, with the same loss
(`minilab.losses.soft_cross_entropy`, T=1), lr, batch size, epochs and seed:

  minilab   teacher logits computed once (timed separately), then
            `minilab.train.fit(objectives.compose({'soft_ce': 1.0}), {'soft_ce': 1.0})`;
  trainer   `DistillationTrainer(Trainer)` whose `compute_loss` runs the teacher
            (eval mode, no grad) on every batch of every epoch (transformers KD docs).

--real: real English instead of the synthetic world: SST-2 (glue/sst2), the
all-MiniLM-L6-v2 tokenizer, a fine-tuned all-MiniLM-L6-v2 teacher (--teacher-dir,
else fine-tuned here), IMDB's unlabeled reviews split into sentences as the
transfer set (`--transfer-pool glue/sst2 --transfer-unit text`: SST-2's own
training sentences, labels dropped), a random L2_H128 student, bf16 autocast.

Reports samples/s per epoch (steady state: epochs after the first), wall time,
dev accuracy and MFU (executed model FLOPs: 6*N_non_emb*tokens per student
step, 2*N_non_emb*tokens per teacher forward) against a GEMM peak measured
here; per epoch, each loop's mean training loss and its student's score (taken
off the clock), and the time each loop takes to first reach the same score
(the lower of the two loops' best epochs), minilab's teacher pass included.
JSON: build/benchmarks/distill_vs_trainer.json.

One seed decides little: a random student may leave a plateau in one loop and
not the other. Run several --seed values (each its own --out), then

    .venv/bin/python benchmarks/distill_vs_trainer.py --summarize build/benchmarks/b_seed*.json

for mean +/- std over seeds and the accuracy difference paired by seed, with
its 95% interval (the loops score alike when it lies within +/- 2 points).
"""
import os

os.environ.setdefault('HF_HUB_OFFLINE', '1')

import argparse
import contextlib
import copy
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from accelerate.utils import extract_model_from_parallel

from minilab import data, models, objectives, paths
from minilab.inference import evaluate, predict
from minilab.losses import soft_cross_entropy
from minilab.train import fit, non_embedding_parameters

OUT = paths.BUILD / 'benchmarks' / 'distill_vs_trainer.json'

# --real follows the wr_main 'real' preset (minilab.papers.turc2019.WR_MAIN_REAL):
# its task, tokenizer, teacher, transfer pool, precision, teacher rate (5e-5) and
# distillation batch. The student has BERT-tiny's shape (L2_H128), random weights
# (the setting), at lr 2e-3: distilled from teacher-62dc343d33 (bf16 logits)
# on 3000 sentences for 2 epochs it reached 71.7 on SST-2 validation, and 67.3 at
# 5e-4, the preset's rate for its random L3_H384 students
REAL_TASK, REAL_POOL = 'glue/sst2', 'imdb/unsupervised'
REAL_MODEL = 'sentence-transformers/all-MiniLM-L6-v2'  # the teacher to fine-tune, and the tokenizer
REAL_DEFAULTS = dict(teacher=REAL_MODEL, student='L2_H128', transfer_pool=REAL_POOL,
                     transfer_unit='sentence', transfer_size=5000, epochs=2,
                     batch_size=32, max_length=64, lr=2e-3, labeled_size=2000, teacher_epochs=1,
                     teacher_lr=5e-5, mixed_precision='bf16')
REAL_VOCAB = 30_522  # all-MiniLM-L6-v2's uncased WordPiece vocabulary
REAL_DEV_SIZE = 1000  # the real preset's dev sample, which selects a teacher fine-tuned here
REAL_QUICK = dict(transfer_size=200, epochs=1, labeled_size=200, eval_size=200)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--real', action='store_true',
                   help=f'SST-2 with a fine-tuned {REAL_MODEL} teacher and IMDB sentences as the '
                        'transfer set (default: the synthetic world); its defaults: student '
                        'L2_H128, transfer 5000, 2 epochs, batch 32, lr 2e-3, max length 64, bf16')
    p.add_argument('--teacher', default='L6_H192',
                   help=f'the teacher fine-tuned here: a size of a random-init BERT; with --real a '
                        f'pre-trained model, hub name or folder (default {REAL_MODEL})')
    p.add_argument('--teacher-dir', default=None,
                   help='a fine-tuned teacher saved by the kit (e.g. cache/checkpoints/teacher-*); '
                        'default: fine-tune --teacher here')
    p.add_argument('--student', default='L2_H64')
    p.add_argument('--transfer-size', type=int, default=8000)
    p.add_argument('--transfer-pool', default=None,
                   help=f'--real: the unlabeled pool to distil on, a name or local file (default '
                        f'{REAL_POOL}; glue/sst2: SST-2 training sentences, labels dropped)')
    p.add_argument('--transfer-unit', choices=data.TRANSFER_UNITS, default=None,
                   help="--real: 'sentence' splits the pool's texts into sentences (the default), "
                        "'text' keeps them whole")
    p.add_argument('--epochs', type=int, default=3)
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--max-length', type=int, default=48)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--labeled-size', type=int, default=2000, help='teacher fine-tuning examples')
    p.add_argument('--teacher-epochs', type=int, default=3,
                   help='a random-init L6 teacher stays at chance after 2 epochs')
    p.add_argument('--teacher-lr', type=float, default=3e-4)
    p.add_argument('--eval-size', type=int, default=None,
                   help='--real: SST-2 validation sentences to score on (default all 872), also '
                        'the size of the dev sample that selects the teacher fine-tuned here')
    p.add_argument('--mixed-precision', choices=('no', 'bf16'), default='no',
                   help="fit's mixed_precision and Trainer's bf16 (autocast of the student); "
                        'default: no (fp32), bf16 with --real')
    p.add_argument('--teacher-bf16', action='store_true',
                   help="also autocast the teacher's forward to bf16, on both sides (as written, "
                        "neither does: the kit's teacher pass and a teacher called in compute_loss "
                        'run in fp32)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--length-grouping', action='store_true',
                   help="minilab batches rows of similar length (the saved mini runs' setting)")
    p.add_argument('--threads', type=int, default=0,
                   help='torch threads (0: torch default); 1 is steadier on a busy machine')
    p.add_argument('--out', type=Path, default=OUT)
    p.add_argument('--summarize', nargs='+', type=Path, metavar='JSON',
                   help='only summarise saved runs of other --seed values (their --out files): '
                        'mean +/- std, and the paired accuracy difference with its 95%% interval')
    p.add_argument('--quick', action='store_true',
                   help='transfer 1000, 1 epoch, teacher L2_H128; with --real: transfer 200, '
                        '1 epoch, teacher fine-tuned on 200 sentences, 200 scored')
    args = p.parse_args(argv)
    defaults = dict(REAL_DEFAULTS) if args.real else {}
    if args.quick:
        defaults.update(REAL_QUICK if args.real else
                        dict(transfer_size=1000, epochs=1, teacher='L2_H128', teacher_lr=1e-3))
    if defaults:  # new defaults; options given explicitly still win
        p.set_defaults(**defaults)
        args = p.parse_args(argv)
    for name in ('transfer_size', 'epochs', 'batch_size', 'labeled_size', 'eval_size'):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    for name in ('eval_size', 'transfer_pool', 'transfer_unit'):
        if getattr(args, name) and not args.real:
            p.error(f"--{name.replace('_', '-')} is for --real (the world mode scores on its own dev "
                    'split and distils on its own pool)')
    return args


def fail(message):
    """Bad input: one line on stderr, exit status 2 (as argparse's errors)."""
    print(f'{Path(__file__).name}: error: {message}', file=sys.stderr)
    raise SystemExit(2)


def environment():
    cpu = platform.processor() or platform.machine()
    if Path('/proc/cpuinfo').exists():
        names = [line.split(':', 1)[1].strip() for line in open('/proc/cpuinfo')
                 if line.startswith('model name')]
        cpu = names[0] if names else cpu
    return {'cpu': cpu, 'cores': os.cpu_count(), 'torch_threads': torch.get_num_threads(),
            'torch': torch.__version__}


def gemm_peak(n=1024, seconds=1.0):
    """Best fp32 n x n matmul rate (GFLOP/s) over ~`seconds` of chunks of 5 products."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b  # warm-up
    best, start = 0.0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        for _ in range(5):
            a @ b
        best = max(best, 5 * 2 * n ** 3 / (time.perf_counter() - t) / 1e9)
    return best


class EpochClock:
    """Per-epoch training seconds, mean training loss and accuracy on the scored
    set, alike for both loops: every loss call ticks; the first call of a new epoch
    first scores the student as it stands (the epoch just ended), off the clock."""

    def __init__(self, steps_per_epoch, score=None):
        self.steps_per_epoch, self.score, self.calls = steps_per_epoch, score, 0
        self.starts, self.ends, self.losses, self.accuracies = [], [], [], []

    def tick(self, model, loss):
        if self.calls % self.steps_per_epoch == 0:
            if self.calls:
                self.end_epoch(model)
            self.starts.append(time.perf_counter())
            self.losses.append([])
        self.calls += 1
        self.losses[-1].append(float(loss.detach()))

    def end_epoch(self, model):
        self.ends.append(time.perf_counter())
        if self.score is not None:
            self.accuracies.append(self.score(model))

    def epoch_seconds(self):
        return [b - a for a, b in zip(self.starts, self.ends)]

    def epoch_losses(self):
        return [sum(x) / len(x) for x in self.losses]


class DtypeProbe:
    """The dtype a model's first Linear layer computes in, recorded on its first call:
    what autocast did, rather than what was asked (Trainer's bf16 autocasts the
    student's forward only, not a teacher called inside compute_loss)."""

    def __init__(self, model):
        self.dtype = None
        linear = next(m for m in model.modules() if isinstance(m, torch.nn.Linear))
        self.handle = linear.register_forward_hook(self.record)

    def record(self, module, inputs, output):
        if self.dtype is None:
            self.dtype = str(output.dtype).replace('torch.', '')

    def close(self):
        """Stop recording, before scoring (both students keep Accelerate's autocast
        wrapper, so they are scored alike), and return the dtype seen in training."""
        self.handle.remove()
        return self.dtype


def teacher_autocast(args):
    return (torch.autocast('cpu', dtype=torch.bfloat16) if args.teacher_bf16
            else contextlib.nullcontext())


def summarise(name, clock, n, tokens, flops_per_epoch, peak, extra_seconds=0.0):
    epoch_seconds = clock.epoch_seconds()
    steady = epoch_seconds[1:] or epoch_seconds  # the first epoch carries the warm-up
    per_epoch = sum(steady) / len(steady)
    total = sum(epoch_seconds)
    return {'method': name, 'seconds_per_epoch': per_epoch, 'samples_per_s': n / per_epoch,
            'tokens_per_s': tokens / per_epoch, 'epoch_seconds': epoch_seconds,
            'epoch_losses': clock.epoch_losses(), 'epoch_accuracies': clock.accuracies,
            'train_seconds': total, 'seconds_with_teacher_pass': total + extra_seconds,
            'mfu': flops_per_epoch / per_epoch / (peak * 1e9),
            'dev_accuracy': clock.accuracies[-1]}


def run_minilab(student, teacher, inputs, tokenizer, score, args):
    """One teacher pass over the transfer set (what inference.teacher_outputs does on a
    cache miss, called directly so a warm cache cannot hide its cost), then fit."""
    probes = {'teacher': DtypeProbe(teacher), 'student': DtypeProbe(student)}
    start = time.perf_counter()
    with teacher_autocast(args):
        logits = predict(teacher, inputs, tokenizer, batch_size=256)['logits']
    teacher_seconds = time.perf_counter() - start
    train = inputs.add_column('teacher_logits', list(logits))
    clock = EpochClock(-(-len(train) // args.batch_size), score)
    objective = objectives.compose({'soft_ce': 1.0}, temperature=1.0)

    def timed(model, batch):
        terms = objective(model, batch)
        clock.tick(model, terms['soft_ce'])
        return terms

    fit(student, timed, {"soft_ce": 1.0}, train, tokenizer, epochs=args.epochs, lr=args.lr,
        length_grouping=args.length_grouping,
        batch_size=args.batch_size, seed=args.seed, mixed_precision=args.mixed_precision,
        progress=False)
    dtypes = {k: p.close() for k, p in probes.items()}
    clock.end_epoch(student)
    return clock, teacher_seconds, dtypes


def run_trainer(student, teacher, inputs, tokenizer, score, args):
    from transformers import DataCollatorWithPadding, PrinterCallback, Trainer, TrainingArguments

    clock = EpochClock(-(-len(inputs) // args.batch_size), score)
    probes = {'teacher': DtypeProbe(teacher), 'student': DtypeProbe(student)}

    class DistillationTrainer(Trainer):
        def __init__(self, *a, teacher_model=None, temperature=1.0, **kw):
            super().__init__(*a, **kw)
            self.teacher, self.temperature = teacher_model.eval(), temperature

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            with torch.no_grad(), teacher_autocast(args):
                # as float, like the cached logits (predict returns float32)
                teacher_logits = self.teacher(**inputs).logits.float()
            outputs = model(**inputs)
            loss = soft_cross_entropy(outputs.logits, teacher_logits, self.temperature)
            clock.tick(model, loss)
            return (loss, outputs) if return_outputs else loss

    training_args = TrainingArguments(
        output_dir=tempfile.mkdtemp(prefix='trainer-'), use_cpu=True, report_to='none',
        remove_unused_columns=False, learning_rate=args.lr, per_device_train_batch_size=args.batch_size,
        num_train_epochs=args.epochs, weight_decay=0.01, warmup_steps=0.06, max_grad_norm=1.0,
        seed=args.seed, save_strategy='no', eval_strategy='no', logging_strategy='no',
        disable_tqdm=True, dataloader_num_workers=0, bf16=args.mixed_precision == 'bf16')
    trainer = DistillationTrainer(model=student, args=training_args, train_dataset=inputs,
                                  data_collator=DataCollatorWithPadding(tokenizer),
                                  processing_class=tokenizer, teacher_model=teacher)
    trainer.remove_callback(PrinterCallback)  # it prints the final metrics dict
    trainer.train()
    shutil.rmtree(training_args.output_dir, ignore_errors=True)  # saves nothing; may be empty
    dtypes = {k: p.close() for k, p in probes.items()}
    clock.end_epoch(student)
    return clock, dtypes


# what both students (and the teacher) are scored on. The world: its dev split, as
# before. SST-2: its own labeled validation set (the kit's test split: the hub's test
# has no labels), which no teacher of the real preset trained on; the kit's dev split
# is held out of SST-2's train by seed, so a --teacher-dir teacher of another seed
# may have trained on it. There it only selects the teacher fine-tuned here.
EVAL_NAME = {False: 'dev', True: 'SST-2 validation'}


def load_inputs(args):
    """tokenizer, task, teacher training and selection sets, the set scored on, and the
    tokenized transfer set of the mode."""
    if args.real:
        tokenizer = data.load_tokenizer(REAL_MODEL)
        task = data.load_task(REAL_TASK, train_size=args.labeled_size, test_size=args.eval_size,
                              dev_size=args.eval_size or REAL_DEV_SIZE, seed=args.seed)
        # by default movie-review sentences, as SST-2's are sentences (the real preset's
        # pool and unit); SST-2's own training sentences are in-domain, and a random
        # student learns from them in fewer epochs
        transfer = data.TransferSet(args.transfer_pool, size=args.transfer_size, seed=args.seed,
                                    unit=args.transfer_unit)
    else:
        tokenizer = data.load_tokenizer('world')
        task = data.load_task('world/sentiment', train_size=args.labeled_size, seed=args.seed)
        transfer = data.TransferSet('world/sentiment', size=args.transfer_size, seed=args.seed)
    tok = lambda ds: data.tokenize(ds, tokenizer, args.max_length)  # noqa: E731
    labeled, dev = tok(task.train), tok(task.dev)
    evaluation = tok(task.test) if args.real else dev
    return tokenizer, task, labeled, dev, evaluation, tok(transfer.load())


def load_teacher_dir(path, num_labels, vocab_size):
    """A fine-tuned classifier saved by the kit, checked against the task and the
    tokenizer: a pre-training checkpoint would load with a random head, and a teacher
    of the other mode reads another vocabulary."""
    try:
        path = models.resolve_model(path, 'teacher dir')
    except models.ModelNotFoundError as err:
        fail(err)
    config = json.loads((Path(path) / 'config.json').read_text())
    if not any(a.endswith('ForSequenceClassification') for a in config.get('architectures') or []):
        fail(f'teacher dir {path!r} is not a fine-tuned classifier ({config.get("architectures")}); '
             'valid: cache/checkpoints/teacher-*')
    teacher = models.load_model(path, kind='classifier')
    # transformers fills in what config.json leaves out (2 labels when it names none)
    labels, vocab = teacher.config.num_labels, teacher.config.vocab_size
    if labels != num_labels or vocab != vocab_size:
        other = 'world' if vocab_size == REAL_VOCAB else 'real'
        fail(f'teacher dir {path!r} has {labels} labels and a {vocab}-token vocabulary; this '
             f'mode needs {num_labels} and {vocab_size}'
             + (f' (a teacher of the {other} mode?)' if vocab != vocab_size else ''))
    return teacher


def time_to_accuracy(mini, hf):
    """Seconds each loop takes to first reach the same accuracy: the lower of the two
    loops' best end-of-epoch scores (so both reach it), counting minilab's teacher
    pass. Equal accuracy by construction, at whatever epoch each loop gets there."""
    target = min(max(mini['epoch_accuracies']), max(hf['epoch_accuracies']))

    def seconds(row, extra):
        reached = next(i for i, a in enumerate(row['epoch_accuracies']) if a >= target)
        return extra + sum(row['epoch_seconds'][:reached + 1]), reached + 1

    (m, m_epochs), (h, h_epochs) = seconds(mini, mini['teacher_pass_seconds']), seconds(hf, 0.0)
    return {'target': target, 'minilab_seconds': m, 'minilab_epochs': m_epochs,
            'trainer_seconds': h, 'trainer_epochs': h_epochs, 'speedup': h / m}


def summarize(files, within=2.0):
    """Runs of this script with different --seed (one JSON each): mean +/- std over
    seeds, and the accuracy difference paired by seed with its 95% interval. The two
    loops score alike when the interval lies within +/- `within` points."""
    from minilab import claims
    runs = [json.loads(Path(f).read_text()) for f in files]
    seeds = [r['config']['seed'] for r in runs]
    if len(set(seeds)) != len(seeds):
        fail(f'--summarize: each file must be another --seed, got seeds {seeds}')
    keys = ('epochs', 'transfer_size', 'transfer_pool', 'transfer_unit', 'lr', 'student', 'teacher')
    configs = {tuple(r['config'].get(k) for k in keys) for r in runs}
    if len(configs) != 1:
        fail(f'--summarize: the files differ beyond the seed in {keys}: {sorted(configs)}')

    def stat(values):
        return f'{statistics.mean(values):.2f}±{statistics.stdev(values) if len(values) > 1 else 0.0:.2f}'

    table = {
        'minilab s/epoch': [r['methods'][0]['seconds_per_epoch'] for r in runs],
        'Trainer s/epoch': [r['methods'][1]['seconds_per_epoch'] for r in runs],
        'speed-up per epoch': [r['speedup_per_epoch'] for r in runs],
        'teacher pass s': [r['methods'][0]['teacher_pass_seconds'] for r in runs],
        'speed-up to E epochs incl. pass': [r['speedup_to_E_epochs_incl_teacher_pass'] for r in runs],
        'speed-up to equal accuracy': [r['time_to_accuracy']['speedup'] for r in runs],
        'minilab accuracy': [r['methods'][0]['dev_accuracy'] for r in runs],
        'Trainer accuracy': [r['methods'][1]['dev_accuracy'] for r in runs],
    }
    print(f"{len(runs)} seeds {seeds}; {runs[0]['config']['epochs']} epochs, "
          f"{runs[0]['config']['transfer_size']} transfer examples, lr {runs[0]['config']['lr']}; "
          f"accuracy on {runs[0]['eval_split']}")
    for name, values in table.items():
        print(f"{name:<33}{stat(values):>14}   " + ' '.join(f'{v:.2f}' for v in values))
    diff = claims.paired(dict(zip(seeds, table['minilab accuracy'])),
                         dict(zip(seeds, table['Trainer accuracy'])))
    verdict = (claims.HOLDS if -within < diff.low and diff.high < within else
               claims.FAILS if diff.low > within or diff.high < -within else claims.INCONCLUSIVE)
    print(f'accuracy minilab - Trainer (paired by seed): {diff}; '
          f'"equal within {within:g} points": {verdict}')
    return {'seeds': seeds, 'table': table, 'difference': diff, 'verdict': verdict}


def main(argv=None):
    import datasets
    datasets.disable_progress_bars()
    args = parse_args(argv)
    if args.summarize:
        return summarize(args.summarize)
    if args.threads:
        torch.set_num_threads(args.threads)
    env = environment()
    peak = gemm_peak()
    print(f"CPU {env['cpu']} ({env['cores']} cores), torch {env['torch']} with "
          f"{env['torch_threads']} threads; fp32 GEMM peak {peak:.0f} GFLOP/s", flush=True)

    try:  # a missing data copy or model: the kit's one-line message, no traceback
        loaded = load_inputs(args)
    except (data.DataError, models.ModelNotFoundError) as err:
        fail(err)
    tokenizer, task, labeled, dev, evaluation, inputs = loaded
    tokens = sum(len(ids) for ids in inputs['input_ids'])

    def bert(size):
        L, H = models.parse_size(size, scale='mini')
        torch.manual_seed(args.seed)
        return models.init_random(models.bert_config(L, H, len(tokenizer),
                                                     max_position_embeddings=args.max_length),
                                  task.num_labels)

    start = time.perf_counter()
    if args.teacher_dir:  # the kit's own pre-trained, fine-tuned teacher
        teacher = load_teacher_dir(args.teacher_dir, task.num_labels, len(tokenizer))
        args.teacher, how = Path(args.teacher_dir).name, 'to load'
    else:
        if args.real:  # pre-trained: a new classifier head on the pre-trained encoder
            try:
                teacher = models.load_model(args.teacher, kind='classifier',
                                            num_labels=task.num_labels)
            except (OSError, ValueError) as err:  # ModelNotFoundError is a ValueError
                fail(f'teacher {args.teacher!r}: {str(err).splitlines()[0]}')
        else:
            teacher = bert(args.teacher)
        fit(teacher, objectives.compose({'ce': 1.0}), {'ce': 1.0}, labeled, tokenizer, dev_data=dev,
            epochs=args.teacher_epochs, lr=args.teacher_lr, batch_size=32, seed=args.seed,
            mixed_precision=args.mixed_precision, progress=False)
        # fit leaves Accelerate's autocast wrapper on the model's forward; without it the
        # teacher runs as one loaded from --teacher-dir does (DtypeProbe shows which)
        teacher = extract_model_from_parallel(teacher, keep_fp32_wrapper=False)
        how = 'to fine-tune'
    teacher.eval()
    teacher_seconds = time.perf_counter() - start
    teacher_acc = evaluate(teacher, evaluation, tokenizer)['accuracy']
    print(f'teacher {args.teacher}: {EVAL_NAME[args.real]} accuracy {teacher_acc:.1f} '
          f'({teacher_seconds:.0f} s {how})', flush=True)

    student = bert(args.student)
    n_s, n_t = non_embedding_parameters(student), non_embedding_parameters(teacher)
    n = len(inputs)
    print(f'distilling into {args.student} on {n} transfer examples ({tokens} tokens), '
          f'{args.epochs} epochs, batch {args.batch_size}', flush=True)

    def score(model):  # the student as it stands at an epoch's end (eval mode, no grad)
        return evaluate(model, evaluation, tokenizer)['accuracy']

    clock, teacher_secs, dtypes = run_minilab(copy.deepcopy(student), teacher, inputs, tokenizer,
                                              score, args)
    rows = [summarise('minilab (cached teacher)', clock, n, tokens, 6 * n_s * tokens, peak,
                      extra_seconds=teacher_secs)]
    rows[0]['teacher_pass_seconds'] = teacher_secs
    rows[0]['teacher_pass_mfu'] = 2 * n_t * tokens / teacher_secs / (peak * 1e9)
    rows[0]['dtypes'] = dtypes
    clock, dtypes = run_trainer(copy.deepcopy(student), teacher, inputs, tokenizer, score, args)
    rows.append(summarise('Trainer subclass (teacher per step)', clock, n, tokens,
                          (6 * n_s + 2 * n_t) * tokens, peak))
    rows[1]['dtypes'] = dtypes

    mini, hf = rows
    result = {
        'mode': 'real' if args.real else 'world',
        'config': {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        'environment': dict(env, gemm_peak_gflops=peak), 'teacher_dev_accuracy': teacher_acc,
        'eval_split': EVAL_NAME[args.real], 'eval_examples': len(evaluation),
        'teacher_setup_seconds': teacher_seconds,
        'non_embedding_params': {'teacher': n_t, 'student': n_s}, 'transfer_tokens': tokens,
        'methods': rows,
        'speedup_per_epoch': hf['seconds_per_epoch'] / mini['seconds_per_epoch'],
        'speedup_to_E_epochs_incl_teacher_pass': hf['train_seconds'] / mini['seconds_with_teacher_pass'],
        'accuracy_difference': mini['dev_accuracy'] - hf['dev_accuracy'],
    }
    result['equal_accuracy'] = abs(result['accuracy_difference']) <= 2.0
    result['time_to_accuracy'] = time_to_accuracy(mini, hf)

    short = {'float32': 'fp32', 'bfloat16': 'bf16', 'float16': 'fp16'}
    print(f"\n{'method':<37}{'samples/s':>10}{'s/epoch':>9}{'s to E':>8}{'+teacher':>10}"
          f"{'dev acc':>9}{'MFU':>7}{'T/S dtype':>11}")
    for r in rows:
        dtype = '/'.join(short.get(r['dtypes'][k], str(r['dtypes'][k])) for k in ('teacher', 'student'))
        print(f"{r['method']:<37}{r['samples_per_s']:>10.0f}{r['seconds_per_epoch']:>9.2f}"
              f"{r['train_seconds']:>8.1f}{r['seconds_with_teacher_pass']:>10.1f}"
              f"{r['dev_accuracy']:>9.1f}{r['mfu']:>7.3f}{dtype:>11}")
    print(f"dev acc: {EVAL_NAME[args.real]} ({len(evaluation)} examples); T/S dtype: what the "
          f"teacher's and the student's first layer computed in (--mixed-precision "
          f"{args.mixed_precision}{', --teacher-bf16' if args.teacher_bf16 else ''}); "
          f"MFU against the fp32 GEMM peak")
    print(f"one-time teacher pass: {mini['teacher_pass_seconds']:.2f} s "
          f"(MFU {mini['teacher_pass_mfu']:.3f})")
    print(f"speed-up per epoch (Trainer s/epoch / minilab s/epoch): {result['speedup_per_epoch']:.2f}x; "
          f"to {args.epochs} epochs incl. teacher pass: "
          f"{result['speedup_to_E_epochs_incl_teacher_pass']:.2f}x")
    print(f"equal accuracy (|diff| <= 2 points): {result['equal_accuracy']} "
          f"(diff {result['accuracy_difference']:+.1f})")
    for r in rows:
        print(f"{r['method']:<37} per epoch: loss "
              + ' '.join(f'{x:.3f}' for x in r['epoch_losses']) + '; accuracy '
              + ' '.join(f'{x:.1f}' for x in r['epoch_accuracies']))
    tta = result['time_to_accuracy']
    print(f"time to {tta['target']:.1f} (the lower of the two loops' best epoch): minilab "
          f"{tta['minilab_seconds']:.0f} s incl. teacher pass, Trainer {tta['trainer_seconds']:.0f} s: "
          f"{tta['speedup']:.2f}x")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f'saved {args.out}')
    return result


if __name__ == '__main__':
    main()
