"""One training loop for MLM pre-training, fine-tuning and every distillation variant.

A run is a weighted sum of named loss terms; an *objective* turns a batch into
those terms (see `minilab.objectives`). The loop itself knows nothing about
distillation:

    history = fit(model, objective, weights={'soft_ce': 1.0}, train_data=...,
                  dev_data=..., epochs=3, lr=1e-3, batch_size=64, run_dir=...)

Built on Hugging Face Accelerate, so the same code runs in one process or
under `accelerate launch` (torch.distributed), with bf16 autocast as an option.
Model selection uses the dev set only; the best dev state is restored at the
end. With `checkpoint_dir`, the loop saves its state at every epoch end and a
later call resumes from there.

Reproducibility: the same seed, thread count and inputs give the same numbers
on one machine, bf16 included. `fit` seeds everything it draws from (shuffle,
dropout, masking objectives seed their own generator); the model's
initialisation is drawn before `fit` is called, so build it inside
`reproducible(seed)` (or after `seed_everything(seed)`): torch seeds each new
process at random, so a model built first in a process is otherwise a new one
every time. The thread count changes the order of the CPU kernels' sums (fp32
and bf16 alike), so it is part of what a run's numbers depend on.
"""
import contextlib
import json
import logging
import math
import os
import random
import shutil
import time
from pathlib import Path

import numpy as np
import torch

# -----------------------------------------------------------------------------
# reproducibility


def seed_everything(seed, threads=None):
    """Seed Python's `random`, numpy and torch (CPU and CUDA: weight
    initialisation, dropout) from `seed`, turn on torch's deterministic
    algorithms where it has them (`warn_only`: an op without one warns instead
    of failing), and with `threads` (> 0) set torch's thread count. Returns the
    thread count in use. `threads` None or 0 leaves the process's count (the
    lanes of `minilab run --jobs N` run with cores/N threads)."""
    from accelerate.utils import set_seed
    if threads:
        torch.set_num_threads(int(threads))
    # cuBLAS is only deterministic with a fixed workspace (read when CUDA starts)
    os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')
    torch.use_deterministic_algorithms(True, warn_only=True)
    set_seed(seed)
    return torch.get_num_threads()


@contextlib.contextmanager
def reproducible(seed, threads=None):
    """`seed_everything(seed, threads)` for the body (a stage: build the model,
    fit, save); afterwards the random states and the thread count are those of
    before, so a stage run inside another (a checkpoint rebuilt on demand)
    leaves the outer stage's draws as they were.

        with reproducible(config['seed'], config.get('threads')):
            model = models.init_random(...)     # the same weights in any process
            fit(model, ..., seed=config['seed'])
    """
    py_state, np_state = random.getstate(), np.random.get_state()
    saved_threads = torch.get_num_threads()
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        try:
            seed_everything(seed, threads)
            yield
        finally:
            torch.set_num_threads(saved_threads)
            random.setstate(py_state)
            np.random.set_state(np_state)



from minilab.batching import make_loader
from minilab.inference import evaluate

# -----------------------------------------------------------------------------
# the loop


def non_embedding_parameters(model):
    """Parameters that cost FLOPs per token (Kaplan et al.: embeddings don't)."""
    return sum(p.numel() for n, p in model.named_parameters() if 'embedding' not in n)


def fit(model, objective, weights, train_data, tokenizer, dev_data=None, epochs=1,
        lr=1e-3, batch_size=64, weight_decay=0.01, warmup=0.06, betas=(0.9, 0.999),
        clip=1.0, seed=0, eval_every=None, select_metric='accuracy', mixed_precision='no',
        checkpoint_dir=None, max_steps=None, progress=True, desc='train', length_grouping=False,
        callback=None, threads=None):
    """Train `model` on the weighted sum of the objective's loss terms.

    objective(model, batch) -> {term name: scalar tensor}; weights: {term: weight}
    (a zero weight skips nothing but contributes nothing; unknown terms error).
    callback(row) is called with each history row as it is logged (live plots
    in the playground); if it returns True, training stops after that step
    (a stop button). Returns a dict with history (list of dicts), best dev
    metrics, timings.

    Everything random in the loop is drawn from `seed` (see `seed_everything`);
    `threads` (> 0) sets torch's thread count, which stays set after the call;
    None keeps the process's. The result's 'threads' is the count it trained
    with: the numbers of a run are the same for the same seed and thread count.
    """
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState
    from tqdm.auto import tqdm
    from transformers import get_linear_schedule_with_warmup

    threads = seed_everything(seed, threads)
    # one process may train stages of different precision one after another (a
    # bf16 plan that builds on an fp32 stage of another paper). Accelerate keeps
    # one state per process and refuses a second precision, so start that state
    # afresh; the process group under `accelerate launch` (PartialState) is kept
    if AcceleratorState._shared_state and AcceleratorState().mixed_precision != mixed_precision:
        AcceleratorState._reset_state(reset_partial_state=False)
    accelerator = Accelerator(cpu=not torch.cuda.is_available(), mixed_precision=mixed_precision)
    loader = make_loader(train_data, tokenizer, batch_size, shuffle=True, seed=seed,
                         length_grouping=length_grouping)
    # generators that Accelerate's saved state leaves out: the one that draws each
    # epoch's order, and an objective's own (`objective.generator`, MLM masking)
    generators = {'shuffle': loader.sampler.generator}
    if isinstance(getattr(objective, 'generator', None), torch.Generator):
        generators['objective'] = objective.generator
    steps_per_epoch = math.ceil(len(train_data) / batch_size / accelerator.num_processes)
    total_steps = steps_per_epoch * epochs if max_steps is None else min(max_steps, steps_per_epoch * epochs)
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    optimizer = torch.optim.AdamW([{'params': decay, 'weight_decay': weight_decay},
                                   {'params': no_decay, 'weight_decay': 0.0}], lr=lr, betas=betas)
    # a prepared scheduler is stepped num_processes times per update (Accelerate
    # assumes the per-process batch is the global one / n); counting in those
    # sub-steps keeps the schedule per update the same for any process count
    n_proc = accelerator.num_processes
    scheduler = get_linear_schedule_with_warmup(optimizer, int(warmup * total_steps) * n_proc,
                                                total_steps * n_proc)
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)

    state = {'epoch': 0, 'step': 0, 'history': [], 'best': None, 'tokens': 0, 'seconds': 0.0}
    best_path = None
    if checkpoint_dir is not None:
        checkpoint_dir = Path(checkpoint_dir)
        best_path = checkpoint_dir / 'best.pt'
        if (checkpoint_dir / 'loop.json').exists():  # resume where the last call stopped
            accelerator.load_state(str(checkpoint_dir / 'state'))
            state = json.loads((checkpoint_dir / 'loop.json').read_text())
            _load_generators(checkpoint_dir / 'state', generators)
    best_state = torch.load(best_path) if best_path is not None and best_path.exists() else None

    def run_eval():
        metrics = evaluate(accelerator.unwrap_model(model), dev_data, tokenizer)
        improved = state['best'] is None or metrics[select_metric] > state['best'][select_metric]
        if improved:
            state['best'] = dict(metrics, step=state['step'], epoch=state['epoch'])
        return metrics, improved

    eval_every = eval_every or steps_per_epoch
    bar = tqdm(total=total_steps, initial=state['step'], desc=desc, disable=not progress,
               leave=False)
    model.train()
    running = {}
    while state['epoch'] < epochs and state['step'] < total_steps:
        start = time.perf_counter()
        for batch in loader:
            with accelerator.autocast():
                terms = objective(model, batch)
            unknown = set(weights) - set(terms)
            if unknown:
                raise ValueError(f'loss weights name unknown terms {sorted(unknown)}; '
                                 f'this objective gives: {", ".join(sorted(terms))}')
            loss = sum(weights[k] * terms[k] for k in weights)
            optimizer.zero_grad(set_to_none=True)
            accelerator.backward(loss)
            if clip:
                accelerator.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            scheduler.step()
            state['step'] += 1
            state['tokens'] += int(batch['attention_mask'].sum()) * accelerator.num_processes
            for k, v in terms.items():
                running[k] = running.get(k, 0.0) + float(v.detach())
            running["loss"] = running.get("loss", 0.0) + float(loss.detach())
            running['n'] = running.get('n', 0) + 1
            bar.update(1)
            if state['step'] % eval_every == 0 or state['step'] == total_steps:
                row = {'step': state['step'], 'epoch': state['epoch'] + 1,
                       'lr': scheduler.get_last_lr()[0]}
                row.update({f'train_{k}': v / running['n'] for k, v in running.items() if k != 'n'})
                running = {}
                if dev_data is not None:
                    metrics, improved = run_eval()
                    row.update({f'dev_{k}': v for k, v in metrics.items()})
                    if improved:  # keep the best dev weights, on CPU
                        best_state = {k: v.detach().cpu().clone() for k, v in
                                      accelerator.unwrap_model(model).state_dict().items()}
                    bar.set_postfix({select_metric: f'{metrics[select_metric]:.1f}'})
                state['history'].append(row)
                if callback is not None and callback(row):
                    total_steps = state['step']  # stop: leave both loops now
            if state['step'] >= total_steps:
                break
        state['seconds'] += time.perf_counter() - start
        state['epoch'] += 1
        if checkpoint_dir is not None and accelerator.is_main_process:
            _save_loop_state(accelerator, checkpoint_dir, state, best_state, generators)
    bar.close()
    unwrapped = accelerator.unwrap_model(model)
    if best_state is not None:
        unwrapped.load_state_dict(best_state)  # dev-set model selection
    n = non_embedding_parameters(unwrapped)
    return {'history': state['history'], 'best_dev': state['best'], 'steps': state['step'],
            'train_seconds': state['seconds'], 'train_tokens': state['tokens'],
            'train_flops': 6 * n * state['tokens'], 'non_embedding_params': n,
            'processes': accelerator.num_processes, 'mixed_precision': mixed_precision,
            'threads': threads}


GENERATORS = 'generators.pt'


def _save_loop_state(accelerator, checkpoint_dir, state, best_state, generators=None):
    """Atomic: write a new folder, then swap it in, so a crash mid-save leaves
    the previous checkpoint intact."""
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    tmp = checkpoint_dir / 'state.tmp'
    shutil.rmtree(tmp, ignore_errors=True)
    # the MLM head's weights are tied to the embeddings; Accelerate says so on
    # every save, which is expected and only noise in a batch's log
    quiet = logging.getLogger('accelerate.utils.other')
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        accelerator.save_state(str(tmp))
    finally:
        quiet.setLevel(level)
    if generators:
        torch.save({k: g.get_state() for k, g in generators.items()}, tmp / GENERATORS)
    if best_state is not None:
        torch.save(best_state, checkpoint_dir / 'best.pt.tmp')
        os.replace(checkpoint_dir / 'best.pt.tmp', checkpoint_dir / 'best.pt')
    shutil.rmtree(checkpoint_dir / 'state', ignore_errors=True)
    os.replace(tmp, checkpoint_dir / 'state')
    (checkpoint_dir / 'loop.json.tmp').write_text(json.dumps(state))
    os.replace(checkpoint_dir / 'loop.json.tmp', checkpoint_dir / 'loop.json')


def _load_generators(state_dir, generators):
    """Resume the generators where the saved run left them, so a stopped and
    resumed run draws the same orders (and masks) as an unbroken one; a
    checkpoint written before they were saved resumes as it always did."""
    path = Path(state_dir) / GENERATORS
    if path.exists():
        saved = torch.load(path)
        for key, generator in generators.items():
            if key in saved:
                generator.set_state(saved[key])
