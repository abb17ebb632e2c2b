"""One inference loop, and the one store of teacher outputs built on it.

    arrays = predict(model, dataset, tokenizer, outputs=('logits', 'cls'))
    metrics = evaluate(model, labeled, tokenizer)             # accuracy, macro-F1
    total = forward_pass(model, dataset, tokenizer, fn)       # any per-batch function
    arrays, info = teacher_outputs(teacher_dir, dataset, data_key, tokenizer_key,
                                   max_length, outputs=('logits', 'repr'))

Every evaluation, prediction and teacher pass of the kit goes through
`forward_pass`: eval mode, no gradients, batches moved to the model's device,
the training mode restored afterwards.

Teacher outputs are computed once per (teacher checkpoint, tokenizer, data,
max_length, outputs) and cached on disk, content-addressed: the teacher's
fingerprint is a hash of its weight files, so a re-trained teacher never reuses
stale outputs. A distillation epoch then costs only the student's passes; the
Trainer-subclass pattern (a `compute_loss` that runs the teacher on every
step) pays a teacher forward pass on every batch of every epoch.

Output kinds (arrays of N rows):
    logits       [N, C] class logits; span models [N, 2, S] start/end logits
    cls          [N, H] the last layer's [CLS] hidden state
    pooled       [N, H] BERT's pooler output (what its classifier reads)
    layer<k>     [N, H] the [CLS] hidden state of layer k (0 = embeddings)
    cls_layers   [N, L+1, H] the [CLS] hidden state of every layer (PKD)
"""
import hashlib
import json
import os
import re
import time
from pathlib import Path

import numpy as np
import torch

from minilab import paths
from minilab.objectives import accepted_inputs, model_inputs
from minilab.batching import make_loader

OUTPUT_RE = re.compile(r'^(logits|cls|pooled|cls_layers|layer\d+)$')
OUTPUT_HELP = "'logits', 'cls', 'pooled', 'cls_layers' or 'layer<k>' ([CLS] of layer k)"


def check_output(name):
    if not isinstance(name, str) or not OUTPUT_RE.match(name):
        raise ValueError(f'unknown teacher output {name!r}; valid: {OUTPUT_HELP}')
    return name


@torch.no_grad()
def forward_pass(model, dataset, tokenizer, fn, batch_size=256, progress=False, desc='inference'):
    """fn(model, batch) for every batch of `dataset` in order (eval mode, no
    grad, batch on the model's device); returns the list of what fn returned."""
    from tqdm.auto import tqdm
    was_training = model.training
    model.eval()  # dropout off: predictions must be deterministic
    device = next(model.parameters()).device
    out = []
    loader = make_loader(dataset, tokenizer, batch_size, shuffle=False)
    try:
        for batch in tqdm(loader, desc=desc, disable=not progress, leave=False):
            batch = {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}
            out.append(fn(model, batch))
    finally:
        model.train(was_training)
    return out


def _select_outputs(model, batch, outputs, pad_to=None):
    res = model(**accepted_inputs(model, model_inputs(batch)),
                output_hidden_states=any(o != 'logits' for o in outputs))
    got = {}
    for name in outputs:
        if name == 'logits':
            if hasattr(res, 'start_logits'):  # span extraction: [B, 2, S], pads at -1e4
                logits = torch.stack([res.start_logits, res.end_logits], 1)
                logits = logits.masked_fill((batch['attention_mask'] == 0)[:, None], -1e4)
                if pad_to:
                    logits = torch.nn.functional.pad(logits, (0, pad_to - logits.shape[-1]),
                                                     value=-1e4)
                got[name] = logits
            else:
                got[name] = res.logits
        elif name == 'cls':
            got[name] = res.hidden_states[-1][:, 0]
        elif name == 'pooled':
            got[name] = model.bert.pooler(res.hidden_states[-1])
        elif name == 'cls_layers':
            got[name] = torch.stack([h[:, 0] for h in res.hidden_states], 1)
        else:
            layer = int(name[len('layer'):])
            if layer >= len(res.hidden_states):
                raise ValueError(f'teacher output {name!r}: the model has layers '
                                 f'0..{len(res.hidden_states) - 1} (0 = embeddings)')
            got[name] = res.hidden_states[layer][:, 0]
    return {k: v.float().cpu() for k, v in got.items()}


def length_order(dataset):
    """Row indices, longest first: batches of rows of similar length, so that
    dynamic padding pads little (the longest first, so a memory peak shows at
    once). Measured: the real preset's teacher (L6/H384) over 20,000 SST-2
    sentences (1 to 60 words), batch 256, took 460 s in the dataset's order and
    88 s longest first, each beside two other jobs. Padding is masked out, so
    the order does not change what a row's outputs are (beyond float rounding)."""
    lengths = np.fromiter((len(ids) for ids in dataset['input_ids']), dtype=np.int64,
                          count=len(dataset))
    return np.argsort(-lengths, kind='stable')


def predict(model, dataset, tokenizer, batch_size=256, outputs=('logits',), pad_to=None,
            progress=False, desc='predict'):
    """{output kind: array} for a whole dataset, in the dataset's order (kinds:
    module docstring); the rows run in `length_order`."""
    for name in outputs:
        check_output(name)
    order = length_order(dataset)
    parts = forward_pass(model, dataset.select(order), tokenizer,
                         lambda m, b: _select_outputs(m, b, outputs, pad_to), batch_size,
                         progress, desc)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return {k: torch.cat([p[k] for p in parts]).numpy()[inverse] for k in outputs}


def evaluate(model, dataset, tokenizer, batch_size=256):
    """Accuracy, macro-F1 and Matthews correlation (scikit-learn), 0..100, of a
    classifier on a labeled dataset."""
    from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef
    pred = predict(model, dataset, tokenizer, batch_size)['logits'].argmax(-1)
    gold = np.asarray(dataset['label'])
    return {'accuracy': 100 * accuracy_score(gold, pred),
            'macro_f1': 100 * f1_score(gold, pred, average='macro'),
            'mcc': 100 * matthews_corrcoef(gold, pred)}


# -----------------------------------------------------------------------------
# the teacher-output store


def fingerprint(model_dir):
    """sha256 of a saved model's weight files (safetensors/bin) and config."""
    h = hashlib.sha256()
    files = sorted(p for p in Path(model_dir).iterdir()
                   if p.suffix in ('.safetensors', '.bin', '.json') and 'tokenizer' not in p.name)
    for p in files:
        h.update(p.name.encode())
        with open(p, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''):
                h.update(chunk)
    return h.hexdigest()[:16]


def teacher_outputs(teacher_dir, dataset, data_key, tokenizer, tokenizer_key, max_length,
                    outputs=('logits',), load=None, pad_to=None, progress=False):
    """{kind: array} of a saved teacher on a tokenized dataset, and an info dict
    ({'teacher_cache': 'hit'|'miss', 'teacher_seconds': s}); from the cache, or by
    one pass of the teacher (`load(teacher_dir)` builds it: default a classifier)."""
    for name in outputs:
        check_output(name)
    key = hashlib.sha256(json.dumps([fingerprint(teacher_dir), data_key, tokenizer_key,
                                     max_length, list(outputs), pad_to]).encode()).hexdigest()[:20]
    path = paths.CACHE / 'teacher_outputs' / f'{key}.npz'
    if path.exists():
        with np.load(path) as f:
            return {k: f[k] for k in outputs}, {'teacher_cache': 'hit', 'teacher_seconds': 0.0}
    start = time.perf_counter()
    if load is None:
        from minilab import models
        load = lambda folder: models.load_model(folder, kind='classifier')  # noqa: E731
    teacher = load(teacher_dir)
    if torch.cuda.is_available():
        teacher.to('cuda')
    arrays = predict(teacher, dataset, tokenizer, outputs=outputs, pad_to=pad_to,
                     progress=progress, desc='teacher outputs')
    seconds = time.perf_counter() - start
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f'.{path.stem}.{os.getpid()}.tmp.npz')
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    return arrays, {'teacher_cache': 'miss', 'teacher_seconds': seconds}


def with_teacher_columns(dataset, arrays):
    """The dataset with a `teacher_<kind>` column per array (what `objectives`
    reads: teacher_logits, teacher_repr, teacher_cls_layers)."""
    for name, values in arrays.items():
        # Arrow takes a row of one dimension as an array, deeper ones as lists
        rows = [row.tolist() if row.ndim > 1 else row for row in values]
        dataset = dataset.add_column(f'teacher_{name}', rows)
    return dataset

