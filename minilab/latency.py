"""Inference timing: the one timer behind every latency table of the kit, and
the 'grid_latency' stage (Turc et al.'s Table 1 of student shapes).

    times = time_passes({'teacher': t, 'student': s}, batches, repeats=3, threads=1)
    per_batch = time_passes({'m': model}, batches, per_batch=True)['m']

Passes alternate between the models, `repeats` times, so a burst of load from
other processes hits them alike; callers take the median. Every model is in
eval mode under `torch.inference_mode`, after `warmup` untimed batches (the
first calls allocate memory and pick kernels).
"""
import statistics
import time
from contextlib import contextmanager

import torch

from minilab import models, runs


@contextmanager
def num_threads(threads):
    """torch's intra-op threads set for a block (0 or None: keep the default)."""
    saved = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


@torch.inference_mode()
def time_passes(models, batches, repeats=1, threads=None, warmup=1, per_batch=False):
    """{name: [seconds of each pass over all batches]} (per_batch=True: one pass,
    [seconds of each batch]). `batches` are dicts of model inputs."""
    for model in models.values():
        model.eval()
    with num_threads(threads):
        for model in models.values():
            for batch in batches[:warmup]:
                model(**batch)
        times = {name: [] for name in models}
        for _ in range(1 if per_batch else repeats):
            for name, model in models.items():
                if per_batch:
                    for batch in batches:
                        start = time.perf_counter()
                        model(**batch)
                        times[name].append(time.perf_counter() - start)
                else:
                    start = time.perf_counter()
                    for batch in batches:
                        model(**batch)
                    times[name].append(time.perf_counter() - start)
    return times


# -----------------------------------------------------------------------------
# the grid_latency stage: parameters and latency of every (L, H) of a grid. Latency
# does not depend on the weights, so the models are random-initialised


def run_grid_latency(plan, rid, config, progress=False):
    """Forward passes of random-initialised classifiers on fixed-length inputs
    (no padding: every model sees the same tokens). For each batch size b the
    result is the median over `repeats` passes of seconds per example, each pass
    `examples_per_pass` examples. threads=0 keeps torch's default."""
    wall_start = time.perf_counter()
    vocab_size = config['vocab_size']
    n, T = config['examples_per_pass'], config['max_length']
    generator = torch.Generator().manual_seed(config['seed'])
    ids = torch.randint(5, vocab_size, (n, T), generator=generator)
    rows = []
    for L, H in config['grid'] + [config['teacher']]:
        torch.manual_seed(0)
        model = models.init_random(models.bert_config(L, H, vocab_size, max_position_embeddings=T), 2)
        row = dict(size=models.size_name(L, H), L=L, H=H, params=models.count_parameters(model),
                   non_embedding_params=models.count_parameters(model.bert.encoder),
                   teacher=[L, H] == config['teacher'])
        for b in config['batch_sizes']:
            batches = [dict(input_ids=x, attention_mask=torch.ones_like(x))
                       for x in (ids[i:i + b] for i in range(0, n, b))]
            times = time_passes({'model': model}, batches, config['repeats'], config['threads'])
            row[f'ms_per_example_b{b}'] = 1000 * statistics.median(times['model']) / n
        rows.append(row)
        if progress:
            print(row, flush=True)
    runs.save_run(plan.paper, config, {'grid': rows, 'vocab_size': vocab_size},
                  timings={'threads': config['threads'] or torch.get_num_threads(),
                           'seconds': time.perf_counter() - wall_start})
    return rid
