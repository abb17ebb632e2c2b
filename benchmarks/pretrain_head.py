"""MLM pre-training step speed: the output layer at masked positions only
(`objectives.compose(..., masked_head=True)`) against the whole-vocabulary head.

    python benchmarks/pretrain_head.py                    # L2_H128, 30 steps each, bf16, 1 thread
    python benchmarks/pretrain_head.py --size L4_H256 --steps 20
    python benchmarks/pretrain_head.py --quick            # 3 steps on a small batch (smoke test)

Both runs are `minilab.train.fit` on the same packed rows of the real corpus
(`data.pack` of a slice of the real preset's mix, 128 word pieces a row), the
30,522-piece vocabulary of the real preset's tokenizer, the same seed and
masks; only the head differs. Tokens/s counts every position (`train_tokens`
/ `train_seconds`: the first step, warm-up included); tokens a CPU second
divide by the process's CPU time instead, which other jobs on the machine
change less. Prints one line per head
and the speed-up; writes build/benchmarks/pretrain_head.json.
"""
import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--size', default='L2_H128')
    ap.add_argument('--steps', type=int, default=30)
    ap.add_argument('--batch-size', type=int, default=64)
    ap.add_argument('--max-length', type=int, default=128)
    ap.add_argument('--precision', default='bf16', choices=['no', 'bf16'])
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--corpus', default='gutenberg+nltk_english+imdb/unsupervised')
    ap.add_argument('--tokenizer', default='sentence-transformers/all-MiniLM-L6-v2')
    ap.add_argument('--heads', default='masked,full', help='which heads to time: masked, full or both')
    ap.add_argument('--quick', action='store_true')
    ap.add_argument('--out', default=str(ROOT / 'build' / 'benchmarks' / 'pretrain_head.json'))
    args = ap.parse_args()
    if args.quick:
        args.steps, args.batch_size = 3, 8

    import torch
    from minilab import data, models, objectives
    from minilab.train import fit, reproducible
    torch.set_num_threads(args.threads)
    tokenizer = data.load_tokenizer(args.tokenizer)
    # rows enough for the steps, from ~120 pieces a text
    texts = data.lm_corpus(args.corpus, args.steps * args.batch_size * 2, seed=0)
    rows = data.pack(texts, tokenizer, args.max_length).select(range(args.steps * args.batch_size))
    L, H = models.parse_size(args.size, 'paper')
    results = []
    for masked in [h == 'masked' for h in args.heads.split(',')]:
        with reproducible(0, args.threads):
            model = models.new_mlm_model(models.bert_config(L, H, len(tokenizer),
                                                            max_position_embeddings=args.max_length))
        objective = objectives.compose({'mlm': 1.0}, tokenizer=tokenizer, mlm_probability=0.15,
                                       seed=0, masked_head=masked)
        start, cpu = time.perf_counter(), time.process_time()
        r = fit(model, objective, {'mlm': 1.0}, rows, tokenizer, epochs=1, lr=1e-3,
                batch_size=args.batch_size, mixed_precision=args.precision, progress=False,
                eval_every=args.steps, threads=args.threads)
        row = dict(head='masked positions' if masked else 'every position', size=args.size,
                   steps=r['steps'], tokens=r['train_tokens'], seconds=r['train_seconds'],
                   tokens_per_s=r['train_tokens'] / r['train_seconds'],
                   wall=time.perf_counter() - start, cpu_seconds=time.process_time() - cpu,
                   loss=r['history'][-1]['train_mlm'])
        # CPU seconds of this process (loading and the loop's set-up included):
        # steadier than wall time when other jobs share the cores
        row['tokens_per_cpu_s'] = r['train_tokens'] / row['cpu_seconds']
        results.append(row)
        print(f"{row['head']:<17} {args.size} {row['steps']} steps of {args.batch_size} x "
              f"{args.max_length}, {args.precision}, {args.threads} thread(s): "
              f"{row['tokens_per_s']:,.0f} tokens/s ({row['tokens_per_cpu_s']:,.0f} a CPU second), "
              f"mean MLM loss {row['loss']:.3f}", flush=True)
    speedup = results[0]['tokens_per_s'] / results[1]['tokens_per_s'] if len(results) == 2 else None
    if speedup:
        print(f'speed-up of the masked-position head: {speedup:.2f}x')
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(dict(vars(args), results=results, speedup=speedup), indent=1))


if __name__ == '__main__':
    main()
