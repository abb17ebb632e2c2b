"""Batches: dynamic padding of tokenized rows, and the data loaders of the kit.

    loader = make_loader(dataset, tokenizer, batch_size=64, shuffle=True, seed=0)

Every column of a row other than the model inputs and text travels with the
batch as a tensor (labels, cached teacher outputs, anything a new objective
adds), so an objective can read a column without this module knowing its name.
"""
import numpy as np
import torch
from torch.utils.data import DataLoader

INPUT_FIELDS = ('input_ids', 'attention_mask', 'token_type_ids')


def collate(tokenizer, extra=None):
    """Pads input fields to the longest row of the batch (dynamic padding: short
    sentences would waste most of a fixed 128-token pad) and stacks the other
    per-example columns as tensors: those named in `extra`, or (None) every
    column that is not text and whose rows have one shape (ragged per-token
    columns such as span offsets stay out of batches)."""
    def fn(rows):
        first = rows[0]
        fields = [k for k in INPUT_FIELDS if k in first]
        batch = dict(tokenizer.pad([{k: r[k] for k in fields} for r in rows], return_tensors='pt'))
        names = extra if extra is not None else [
            k for k, v in first.items() if k not in INPUT_FIELDS and not _is_text(v)]
        for key in names:
            if key not in first:
                continue
            try:
                batch[key] = torch.tensor(np.asarray([r[key] for r in rows]))
            except ValueError:  # ragged per-token columns (offsets of spans): not a tensor
                if extra is not None:
                    raise
        return batch
    return fn


def _is_text(value):
    return isinstance(value, str) or (isinstance(value, (list, tuple)) and value
                                      and isinstance(value[0], str))


def make_loader(dataset, tokenizer, batch_size, shuffle, seed=0, length_grouping=False):
    """Shuffled training batches, or (length_grouping=True) batches of rows of
    similar length (transformers' LengthGroupedSampler, as DistilBERT's
    group_by_size), which with dynamic padding saves padded tokens. Measured
    here: grouping saves ~8% of an epoch but costs accuracy on the world, whose
    review length tracks review shape (benchmarks/README.md)."""
    generator = torch.Generator().manual_seed(seed)
    if not shuffle:
        return DataLoader(dataset, batch_size=batch_size, collate_fn=collate(tokenizer))
    if not length_grouping:
        return DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator,
                          collate_fn=collate(tokenizer))
    from transformers.trainer_pt_utils import LengthGroupedSampler
    lengths = [len(ids) for ids in dataset['input_ids']]
    sampler = LengthGroupedSampler(batch_size, lengths=lengths, generator=generator)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler,
                      collate_fn=collate(tokenizer))
