"""Teacher outputs for a transfer set, computed once and cached on disk.

A distillation epoch then costs only the student's forward and backward pass:
the Trainer-subclass pattern (a `compute_loss` that runs the teacher on every
step) pays for a teacher forward pass on every batch of every epoch.

The cache key is (teacher, inputs, tokenizer, max_length): the teacher's
fingerprint is a hash of its weight file, so a re-trained teacher never reuses
stale logits.
"""
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

from minilab import paths
from minilab.train import predict


def fingerprint(model_dir):
    """sha256 of a saved model's weight files (safetensors/bin) and config."""
    h = hashlib.sha256()
    folder = Path(model_dir)
    files = sorted(p for p in folder.iterdir()
                   if p.suffix in ('.safetensors', '.bin', '.json') and 'tokenizer' not in p.name)
    for p in files:
        h.update(p.name.encode())
        with open(p, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''):
                h.update(chunk)
    return h.hexdigest()[:16]


def cached_outputs(teacher, teacher_dir, dataset, data_key, tokenizer, tokenizer_key,
                   max_length, outputs=('logits', 'cls')):
    """{'logits': [N, C], 'cls': [N, H]} for a tokenized dataset, from the cache
    or by running the teacher once (eval mode, no grad). Returns (arrays, info)."""
    key = hashlib.sha256(json.dumps([fingerprint(teacher_dir), data_key, tokenizer_key,
                                     max_length, list(outputs)]).encode()).hexdigest()[:20]
    path = paths.CACHE / 'teacher_outputs' / f'{key}.npz'
    if path.exists():
        with np.load(path) as f:
            return {k: f[k] for k in outputs}, {'teacher_cache': 'hit', 'teacher_seconds': 0.0}
    start = time.perf_counter()
    arrays = predict(teacher, dataset, tokenizer, outputs=outputs)
    seconds = time.perf_counter() - start
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix('.tmp.npz')
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    return arrays, {'teacher_cache': 'miss', 'teacher_seconds': seconds}
