import math

import pytest
import torch

from minilab.masking import mask_tokens, token_weights_from_counts

PAD, CLS, SEP, MASK = 0, 1, 2, 3
VOCAB = 1000


def batch(lengths, seq_len, seed=0):
    """[CLS] w ... w [SEP] [PAD]...; words drawn from [10, VOCAB). Returns ids, special mask."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.full((len(lengths), seq_len), PAD)
    for i, n in enumerate(lengths):
        ids[i, 0], ids[i, n + 1] = CLS, SEP
        ids[i, 1:n + 1] = torch.randint(10, VOCAB, (n,), generator=g)
    special = (ids == PAD) | (ids == CLS) | (ids == SEP)
    return ids, special


def gen(seed):
    return torch.Generator().manual_seed(seed)


def test_token_weights_by_hand():
    w = token_weights_from_counts([5, 0, 1, 8, 100], smoothing=0.7, special_ids=[0])
    assert w.dtype == torch.float32
    expected = [0.0, 1.0, 1.0, 8 ** -0.7, 100 ** -0.7]  # count 0 clamps to 1
    assert w.tolist() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize('seed', range(5))
def test_budget_exact_and_specials_never_chosen(seed):
    ids, special = batch([5, 8, 9, 5], seq_len=12, seed=seed)  # 27 real tokens -> ceil(4.05) = 5
    masked, labels = mask_tokens(ids, special, MASK, VOCAB, generator=gen(seed))
    chosen = labels != -100
    assert chosen.sum().item() == math.ceil(0.15 * 27) == 5
    assert not (chosen & special).any()
    assert torch.equal(masked[special], ids[special])
    assert torch.equal(labels[chosen], ids[chosen])
    assert torch.equal(masked[~chosen], ids[~chosen])


def test_budget_with_token_weights():
    ids, special = batch([5, 8, 9, 5], seq_len=12)
    w = token_weights_from_counts(torch.randint(0, 50, (VOCAB,)), special_ids=[PAD, CLS, SEP, MASK])
    _, labels = mask_tokens(ids, special, MASK, VOCAB, token_weights=w, generator=gen(1))
    assert (labels != -100).sum().item() == 5 and not ((labels != -100) & special).any()


def test_80_10_10_proportions():
    ids, special = batch([98] * 200, seq_len=100)  # 19,600 real tokens -> 2,940 targets
    masked, labels = mask_tokens(ids, special, MASK, VOCAB, generator=gen(0))
    chosen = labels != -100
    n = chosen.sum().item()
    assert n == math.ceil(0.15 * 19600)
    frac_mask = (masked[chosen] == MASK).float().mean().item()
    frac_same = (masked[chosen] == ids[chosen]).float().mean().item()
    frac_rand = 1 - frac_mask - frac_same
    assert frac_mask == pytest.approx(0.8, abs=0.03)
    assert frac_same == pytest.approx(0.1, abs=0.02)  # plus ~1/VOCAB random draws hitting the original
    assert frac_rand == pytest.approx(0.1, abs=0.02)


def test_weighted_sampling_prefers_rare_tokens():
    # 90% of the words are token 10, 10% token 11
    g = torch.Generator().manual_seed(0)
    ids = torch.where(torch.rand(100, 50, generator=g) < 0.9, 10, 11)
    special = torch.zeros_like(ids, dtype=torch.bool)
    counts = torch.bincount(ids.flatten(), minlength=VOCAB)
    rare_share = (ids == 11).float().mean().item()
    _, lab_u = mask_tokens(ids, special, MASK, VOCAB, generator=gen(1))
    _, lab_w = mask_tokens(ids, special, MASK, VOCAB, token_weights=token_weights_from_counts(counts), generator=gen(1))
    share_u = (lab_u == 11).sum().item() / (lab_u != -100).sum().item()
    share_w = (lab_w == 11).sum().item() / (lab_w != -100).sum().item()
    assert share_u == pytest.approx(rare_share, abs=0.03)  # uniform: as frequent as in the text
    assert share_w > 2 * rare_share                          # count^-0.7 up-weights the rare token


def test_deterministic_with_generator():
    ids, special = batch([30, 40, 20], seq_len=45)
    a = mask_tokens(ids, special, MASK, VOCAB, generator=gen(7))
    b = mask_tokens(ids, special, MASK, VOCAB, generator=gen(7))
    c = mask_tokens(ids, special, MASK, VOCAB, generator=gen(8))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])


def test_input_not_mutated():
    ids, special = batch([30, 40], seq_len=45)
    before, special_before = ids.clone(), special.clone()
    masked, labels = mask_tokens(ids, special, MASK, VOCAB, mlm_probability=0.5, generator=gen(0))
    assert torch.equal(ids, before) and torch.equal(special, special_before)
    assert not torch.equal(masked, ids)
    assert masked.shape == labels.shape == ids.shape and masked.dtype == ids.dtype


def test_all_special_gives_no_targets():
    ids = torch.tensor([[CLS, SEP, PAD]])
    masked, labels = mask_tokens(ids, torch.ones_like(ids), MASK, VOCAB, generator=gen(0))
    assert torch.equal(masked, ids) and (labels == -100).all()
