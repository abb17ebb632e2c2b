"""GPU check: does the kit run on a CUDA device, and how fast is a paper-size step?

    python benchmarks/gpu_check.py                      # on a machine with a CUDA GPU
    python benchmarks/gpu_check.py --device cpu --quick # the same code path on a CPU (smoke test)

Two parts, each printed as it finishes and saved to build/benchmarks/gpu_check.json:

1. Every paper's tiny preset, as a user runs it (`python -m minilab run PAPER
   --preset tiny` in a subprocess), into a temporary run store and cache: every
   stage kind of the kit trains, evaluates and caches teacher outputs on the
   device. Each run record says which GPU it used (`environment.gpu`).
2. A paper-size step: BERT-base (12 layers, width 768, 30,522 WordPieces) MLM
   training steps at sequence length 128 with the kit's own objective
   (`objectives.compose({'mlm': 1.0})`: dynamic masking on the batch's device),
   bf16 autocast, AdamW. It prints tokens/s and MFU against the device's dense
   bf16 peak. FLOPs per token: 6 N (N = non-embedding parameters, forward and
   backward) + 12 L T H (attention scores and values; Chowdhery et al. 2022,
   appendix B), with the MLM output layer over the whole vocabulary counted in N.

Nothing here is a test of speed; tests/test_benchmark_smoke.py only checks that
`--device cpu --quick` runs.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# dense bf16 peak FLOP/s of common accelerators (vendor datasheets, without sparsity)
PEAKS = {'H200': 989e12, 'H100': 989e12, 'A100': 312e12, 'L40S': 362e12, 'L4': 121e12,
         'A10G': 70e12, 'RTX 4090': 165e12}
PAPERS = ('turc2019', 'sanh2019', 'mukherjee2020')


def tiny_presets(device, timeout):
    """Run each paper's tiny batch in a fresh store; returns one dict per paper."""
    rows = []
    for paper in PAPERS:
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, MINILAB_RUNS=f'{tmp}/runs', MINILAB_CACHE=f'{tmp}/cache',
                       HF_HUB_OFFLINE='1', HF_DATASETS_OFFLINE='1')
            if device == 'cpu':
                env['CUDA_VISIBLE_DEVICES'] = ''
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, '-m', 'minilab', 'run', paper, '--preset', 'tiny'],
                                  cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
            seconds = time.perf_counter() - start
            records = list(Path(tmp, 'runs').rglob('record.json'))
            gpus = {json.loads(r.read_text())['environment'].get('gpu') for r in records}
        row = dict(paper=paper, ok=proc.returncode == 0, seconds=round(seconds, 1),
                   runs=len(records), gpus=sorted(str(g) for g in gpus))
        if proc.returncode:
            row['error'] = (proc.stderr or proc.stdout)[-2000:]
        print(f"tiny {paper}: {'ok' if row['ok'] else 'FAILED'} in {row['seconds']} s, "
              f"{row['runs']} runs, device {', '.join(row['gpus']) or '-'}", flush=True)
        if not row['ok']:
            print(row['error'], flush=True)
        rows.append(row)
    return rows


def peak_flops(device_name, override=None):
    if override:
        return override * 1e12
    for name, peak in PEAKS.items():
        if name.lower() in device_name.lower():
            return peak
    return None


def mlm_step(device, layers, width, vocab, seq_len, batch_size, steps, precision):
    """Timed MLM training steps of a BERT; returns tokens/s, FLOPs and memory."""
    import torch

    from minilab import data, models, objectives

    tokenizer = data.load_tokenizer('world')  # its special ids; the inputs below are random
    config = models.bert_config(layers, width, vocab, max_position_embeddings=seq_len)
    model = models.new_mlm_model(config).to(device)
    objective = objectives.compose({'mlm': 1.0}, tokenizer=tokenizer, mlm_probability=0.15, seed=0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(len(tokenizer), vocab, (batch_size, seq_len), generator=g).to(device)
    batch = {'input_ids': ids, 'attention_mask': torch.ones_like(ids)}
    dtype = torch.bfloat16 if precision == 'bf16' else torch.float32

    def step():
        with torch.autocast(device_type=device.split(':')[0], dtype=dtype, enabled=precision == 'bf16'):
            loss = objective(model, batch)['mlm']
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss

    def sync():
        if device.startswith('cuda'):
            torch.cuda.synchronize()

    for _ in range(3):  # warm-up: kernel selection, allocator
        step()
    sync()
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    sync()
    seconds = time.perf_counter() - start
    non_embedding = sum(p.numel() for n, p in model.named_parameters() if 'embeddings' not in n)
    tokens = batch_size * seq_len * steps
    flops = (6 * non_embedding + 12 * layers * seq_len * width) * tokens
    out = dict(layers=layers, width=width, vocab=vocab, seq_len=seq_len, batch_size=batch_size,
               steps=steps, precision=precision, seconds=seconds, tokens_per_s=tokens / seconds,
               flops_per_s=flops / seconds, non_embedding_params=non_embedding, loss=float(loss.detach()))
    if device.startswith('cuda'):
        out['peak_memory_gib'] = torch.cuda.max_memory_allocated() / 2 ** 30
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cuda', help="'cuda' (default) or 'cpu' (smoke test)")
    parser.add_argument('--quick', action='store_true', help='a small BERT, 2 steps, no tiny presets')
    parser.add_argument('--skip-presets', action='store_true', help='only the paper-size step')
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--peak-tflops', type=float, help='the dense bf16 peak, if not in the table')
    parser.add_argument('--timeout', type=int, default=600, help='seconds per paper preset')
    parser.add_argument('--out', type=Path, default=ROOT / 'build' / 'benchmarks' / 'gpu_check.json')
    args = parser.parse_args(argv)

    import torch
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        print('gpu_check: no CUDA device here (torch.cuda.is_available() is False); '
              'run it where a GPU is, or pass --device cpu for the smoke test', file=sys.stderr)
        return 2
    name = torch.cuda.get_device_name(0) if args.device.startswith('cuda') else 'cpu'
    print(f'device: {name}; torch {torch.__version__}', flush=True)
    result = {'device': name, 'torch': torch.__version__}
    if not (args.quick or args.skip_presets):
        result['tiny_presets'] = tiny_presets(args.device, args.timeout)
    shape = dict(layers=2, width=128, vocab=30522, seq_len=128, batch_size=4, steps=2) if args.quick \
        else dict(layers=12, width=768, vocab=30522, seq_len=128, batch_size=args.batch_size, steps=args.steps)
    precision = 'bf16' if args.device.startswith('cuda') else 'no'
    step = mlm_step(args.device, precision=precision, **shape)
    peak = peak_flops(name, args.peak_tflops) if args.device.startswith('cuda') else None
    step['mfu'] = step['flops_per_s'] / peak if peak else None
    result['mlm_step'] = step
    mfu = f"{100 * step['mfu']:.1f}% of {peak / 1e12:.0f} TFLOP/s bf16" if peak else 'n/a (no peak known)'
    print(f"BERT L{step['layers']}/H{step['width']} MLM, batch {step['batch_size']} x {step['seq_len']}, "
          f"{precision}: {step['tokens_per_s']:,.0f} tokens/s, {step['flops_per_s'] / 1e12:.1f} TFLOP/s, "
          f"MFU {mfu}" + (f", peak memory {step['peak_memory_gib']:.1f} GiB" if 'peak_memory_gib' in step
                           else ''), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    failed = [r['paper'] for r in result.get('tiny_presets', []) if not r['ok']]
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
