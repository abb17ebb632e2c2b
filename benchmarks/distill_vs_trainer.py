"""minilab's cached-teacher distillation vs the Hugging Face Trainer-subclass KD pattern.

    .venv/bin/python benchmarks/distill_vs_trainer.py            # mini world defaults
    .venv/bin/python benchmarks/distill_vs_trainer.py --quick    # smoke run (~30 s)

Both methods distil the same fine-tuned teacher into copies of one randomly
initialised student, on the same tokenized transfer set, with the same loss
(`minilab.losses.soft_cross_entropy`, T=1), lr, batch size, epochs and seed:

  minilab   teacher logits computed once (timed separately), then
            `minilab.train.fit(objectives.compose({'soft_ce': 1.0}), {'soft_ce': 1.0})`;
  trainer   `DistillationTrainer(Trainer)` whose `compute_loss` runs the teacher
            (eval mode, no grad) on every batch of every epoch (transformers KD docs).

Reports samples/s per epoch (steady state: epochs after the first), wall time,
dev accuracy and MFU (executed model FLOPs: 6*N_non_emb*tokens per student
step, 2*N_non_emb*tokens per teacher forward) against a GEMM peak measured
here. JSON: build/benchmarks/distill_vs_trainer.json.
"""
import os

os.environ.setdefault('HF_HUB_OFFLINE', '1')

import argparse
import copy
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

import torch

from minilab import data, models, objectives, paths
from minilab.inference import evaluate, predict
from minilab.losses import soft_cross_entropy
from minilab.train import fit, non_embedding_parameters

OUT = paths.BUILD / 'benchmarks' / 'distill_vs_trainer.json'


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--teacher', default='L6_H192')
    p.add_argument('--teacher-dir', default=None,
                   help='a fine-tuned teacher saved by the kit (e.g. cache/checkpoints/teacher-*); '
                        'default: fine-tune a random-init teacher here')
    p.add_argument('--student', default='L2_H64')
    p.add_argument('--transfer-size', type=int, default=8000)
    p.add_argument('--epochs', type=int, default=3)
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--max-length', type=int, default=48)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--labeled-size', type=int, default=2000, help='teacher fine-tuning examples')
    p.add_argument('--teacher-epochs', type=int, default=3,
                   help='a random-init L6 teacher stays at chance after 2 epochs')
    p.add_argument('--teacher-lr', type=float, default=3e-4)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--length-grouping', action='store_true',
                   help="minilab batches rows of similar length (the saved mini runs' setting)")
    p.add_argument('--threads', type=int, default=0,
                   help='torch threads (0: torch default); 1 is steadier on a busy machine')
    p.add_argument('--out', type=Path, default=OUT)
    p.add_argument('--quick', action='store_true', help='transfer 1000, 1 epoch, teacher L2_H128')
    args = p.parse_args(argv)
    if args.quick:  # new defaults; options given explicitly still win
        p.set_defaults(transfer_size=1000, epochs=1, teacher='L2_H128', teacher_lr=1e-3)
        args = p.parse_args(argv)
    return args


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
    """Timestamps of the first loss call of each epoch, and of the end, for both loops."""

    def __init__(self, steps_per_epoch):
        self.steps_per_epoch, self.calls, self.starts = steps_per_epoch, 0, []

    def tick(self):
        if self.calls % self.steps_per_epoch == 0:
            self.starts.append(time.perf_counter())
        self.calls += 1

    def epoch_seconds(self, end):
        marks = self.starts + [end]
        return [b - a for a, b in zip(marks, marks[1:])]


def summarise(name, epoch_seconds, n, tokens, flops_per_epoch, peak, acc, extra_seconds=0.0):
    steady = epoch_seconds[1:] or epoch_seconds  # the first epoch carries the warm-up
    per_epoch = sum(steady) / len(steady)
    total = sum(epoch_seconds)
    return {'method': name, 'seconds_per_epoch': per_epoch, 'samples_per_s': n / per_epoch,
            'tokens_per_s': tokens / per_epoch, 'epoch_seconds': epoch_seconds,
            'train_seconds': total, 'seconds_with_teacher_pass': total + extra_seconds,
            'mfu': flops_per_epoch / per_epoch / (peak * 1e9), 'dev_accuracy': acc}


def run_minilab(student, teacher, inputs, tokenizer, dev, args):
    """One teacher pass over the transfer set (what inference.teacher_outputs does on a
    cache miss, called directly so a warm cache cannot hide its cost), then fit."""
    start = time.perf_counter()
    logits = predict(teacher, inputs, tokenizer, batch_size=256)['logits']
    teacher_seconds = time.perf_counter() - start
    train = inputs.add_column('teacher_logits', list(logits))
    clock = EpochClock(-(-len(train) // args.batch_size))
    objective = objectives.compose({'soft_ce': 1.0}, temperature=1.0)

    def timed(model, batch):
        clock.tick()
        return objective(model, batch)

    fit(student, timed, {"soft_ce": 1.0}, train, tokenizer, epochs=args.epochs, lr=args.lr,
        length_grouping=args.length_grouping,
        batch_size=args.batch_size, seed=args.seed, progress=False)
    seconds = clock.epoch_seconds(time.perf_counter())
    return seconds, teacher_seconds, evaluate(student, dev, tokenizer)['accuracy']


def run_trainer(student, teacher, inputs, tokenizer, dev, args):
    from transformers import DataCollatorWithPadding, PrinterCallback, Trainer, TrainingArguments

    clock = EpochClock(-(-len(inputs) // args.batch_size))

    class DistillationTrainer(Trainer):
        def __init__(self, *a, teacher_model=None, temperature=1.0, **kw):
            super().__init__(*a, **kw)
            self.teacher, self.temperature = teacher_model.eval(), temperature

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            clock.tick()
            with torch.no_grad():
                teacher_logits = self.teacher(**inputs).logits
            outputs = model(**inputs)
            loss = soft_cross_entropy(outputs.logits, teacher_logits, self.temperature)
            return (loss, outputs) if return_outputs else loss

    training_args = TrainingArguments(
        output_dir=tempfile.mkdtemp(prefix='trainer-'), use_cpu=True, report_to='none',
        remove_unused_columns=False, learning_rate=args.lr, per_device_train_batch_size=args.batch_size,
        num_train_epochs=args.epochs, weight_decay=0.01, warmup_steps=0.06, max_grad_norm=1.0,
        seed=args.seed, save_strategy='no', eval_strategy='no', logging_strategy='no',
        disable_tqdm=True, dataloader_num_workers=0)
    trainer = DistillationTrainer(model=student, args=training_args, train_dataset=inputs,
                                  data_collator=DataCollatorWithPadding(tokenizer),
                                  processing_class=tokenizer, teacher_model=teacher)
    trainer.remove_callback(PrinterCallback)  # it prints the final metrics dict
    trainer.train()
    shutil.rmtree(training_args.output_dir, ignore_errors=True)  # saves nothing; may be empty
    seconds = clock.epoch_seconds(time.perf_counter())
    return seconds, evaluate(student, dev, tokenizer)['accuracy']


def main(argv=None):
    import datasets
    datasets.disable_progress_bars()
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    env = environment()
    peak = gemm_peak()
    print(f"CPU {env['cpu']} ({env['cores']} cores), torch {env['torch']} with "
          f"{env['torch_threads']} threads; fp32 GEMM peak {peak:.0f} GFLOP/s", flush=True)

    tokenizer = data.load_tokenizer('world')
    task = data.load_task('world/sentiment', train_size=args.labeled_size, seed=args.seed)
    tok = lambda ds: data.tokenize(ds, tokenizer, args.max_length)  # noqa: E731
    labeled, dev = tok(task.train), tok(task.dev)
    transfer = data.TransferSet('world/sentiment', size=args.transfer_size, seed=args.seed)
    inputs = tok(transfer.load())
    tokens = sum(len(ids) for ids in inputs['input_ids'])

    def bert(size):
        L, H = models.parse_size(size, scale='mini')
        torch.manual_seed(args.seed)
        return models.init_random(models.bert_config(L, H, len(tokenizer),
                                                     max_position_embeddings=args.max_length),
                                  task.num_labels)

    start = time.perf_counter()
    if args.teacher_dir:  # the kit's own pre-trained, fine-tuned teacher
        teacher = models.load_model(args.teacher_dir, kind='classifier', num_labels=task.num_labels)
        args.teacher = Path(args.teacher_dir).name
    else:
        teacher = bert(args.teacher)
        fit(teacher, objectives.compose({'ce': 1.0}), {'ce': 1.0}, labeled, tokenizer, dev_data=dev,
            epochs=args.teacher_epochs, lr=args.teacher_lr, batch_size=32, seed=args.seed,
            progress=False)
    teacher.eval()
    teacher_acc = evaluate(teacher, dev, tokenizer)['accuracy']
    print(f'teacher {args.teacher}: dev accuracy {teacher_acc:.1f} '
          f'({time.perf_counter() - start:.0f} s to fine-tune)', flush=True)

    student = bert(args.student)
    n_s, n_t = non_embedding_parameters(student), non_embedding_parameters(teacher)
    n = len(inputs)
    print(f'distilling into {args.student} on {n} transfer examples ({tokens} tokens), '
          f'{args.epochs} epochs, batch {args.batch_size}', flush=True)

    secs, teacher_secs, acc = run_minilab(copy.deepcopy(student), teacher, inputs, tokenizer, dev, args)
    rows = [summarise('minilab (cached teacher)', secs, n, tokens, 6 * n_s * tokens, peak, acc,
                      extra_seconds=teacher_secs)]
    rows[0]['teacher_pass_seconds'] = teacher_secs
    rows[0]['teacher_pass_mfu'] = 2 * n_t * tokens / teacher_secs / (peak * 1e9)
    secs, acc = run_trainer(copy.deepcopy(student), teacher, inputs, tokenizer, dev, args)
    rows.append(summarise('Trainer subclass (teacher per step)', secs, n, tokens,
                          (6 * n_s + 2 * n_t) * tokens, peak, acc))

    mini, hf = rows
    result = {
        'config': {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        'environment': dict(env, gemm_peak_gflops=peak), 'teacher_dev_accuracy': teacher_acc,
        'non_embedding_params': {'teacher': n_t, 'student': n_s}, 'transfer_tokens': tokens,
        'methods': rows,
        'speedup_per_epoch': hf['seconds_per_epoch'] / mini['seconds_per_epoch'],
        'speedup_to_E_epochs_incl_teacher_pass': hf['train_seconds'] / mini['seconds_with_teacher_pass'],
        'accuracy_difference': mini['dev_accuracy'] - hf['dev_accuracy'],
    }
    result['equal_accuracy'] = abs(result['accuracy_difference']) <= 2.0

    print(f"\n{'method':<37}{'samples/s':>10}{'s/epoch':>9}{'s to E':>8}{'+teacher':>10}"
          f"{'dev acc':>9}{'MFU':>7}")
    for r in rows:
        print(f"{r['method']:<37}{r['samples_per_s']:>10.0f}{r['seconds_per_epoch']:>9.2f}"
              f"{r['train_seconds']:>8.1f}{r['seconds_with_teacher_pass']:>10.1f}"
              f"{r['dev_accuracy']:>9.1f}{r['mfu']:>7.3f}")
    print(f"one-time teacher pass: {mini['teacher_pass_seconds']:.2f} s "
          f"(MFU {mini['teacher_pass_mfu']:.3f})")
    print(f"speed-up per epoch (Trainer s/epoch / minilab s/epoch): {result['speedup_per_epoch']:.2f}x; "
          f"to {args.epochs} epochs incl. teacher pass: "
          f"{result['speedup_to_E_epochs_incl_teacher_pass']:.2f}x")
    print(f"equal accuracy (|diff| <= 2 points): {result['equal_accuracy']} "
          f"(diff {result['accuracy_difference']:+.1f})")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f'saved {args.out}')
    return result


if __name__ == '__main__':
    main()
