"""Dynamic MLM masking, as in DistilBERT's distiller.py `prepare_batch_mlm` (XLM style).

Per batch: a fixed prediction budget of ceil(p * #real tokens) positions is drawn
without replacement, with probability proportional to a per-token weight
(count**-0.7 in DistilBERT, which up-weights rare tokens so the student is not
trained mostly on "the" and ","); of the chosen positions 80% become [MASK], 10%
a random token and 10% stay unchanged (BERT's recipe, so the model cannot rely on
[MASK] being present at fine-tuning time).
"""
import math

import torch

IGNORE_INDEX = -100


def token_weights_from_counts(counts, smoothing=0.7, special_ids=()):
    """Sampling weight per vocabulary id: w_i = max(count_i, 1) ** -smoothing, and 0
    for the special ids so they are never chosen (DistilBERT train.py with
    `--mlm_smoothing 0.7`, from XLM). Clamping at 1 keeps unseen tokens finite.

    counts: sequence/array/tensor of length vocab_size. Returns a float32 tensor.
    """
    counts = torch.as_tensor(counts, dtype=torch.float64)
    weights = counts.clamp(min=1.0) ** (-smoothing)
    special_ids = list(special_ids)
    if special_ids:
        weights[torch.as_tensor(special_ids, dtype=torch.long)] = 0.0
    return weights.float()


def mask_tokens(input_ids, special_tokens_mask, mask_token_id, vocab_size, mlm_probability=0.15,
                token_weights=None, generator=None):
    """Choose MLM targets and corrupt the inputs (DistilBERT distiller.py `prepare_batch_mlm`).

    input_ids: [B, S] long. special_tokens_mask: [B, S] bool/0-1, True for special
    tokens and padding (the Hugging Face `special_tokens_mask` convention); those
    positions are never chosen.

    * budget = ceil(mlm_probability * number of non-special tokens in the batch);
    * positions drawn without replacement with probability proportional to
      token_weights[input_id] (uniform over non-special positions if None);
      if fewer positions have positive weight than the budget, all of them are taken;
    * each chosen position independently: 80% -> mask_token_id, 10% -> a token drawn
      uniformly from [0, vocab_size) (as in DistilBERT/BERT), 10% unchanged.

    Returns (masked_input_ids, labels): a new tensor (input_ids is not modified) and
    labels holding the original id at chosen positions, -100 elsewhere.
    Deterministic given `generator` (a torch.Generator on input_ids' device).
    """
    special = special_tokens_mask.to(device=input_ids.device, dtype=torch.bool)
    ids = input_ids.reshape(-1)
    candidates = ~special.reshape(-1)

    if token_weights is None:
        weights = candidates.float()
    else:
        weights = token_weights.to(input_ids.device, torch.float)[ids] * candidates

    budget = math.ceil(mlm_probability * int(candidates.sum()))
    budget = min(budget, int((weights > 0).sum()))  # multinomial without replacement needs enough support

    chosen = torch.zeros_like(candidates)
    if budget > 0:
        chosen[torch.multinomial(weights, budget, replacement=False, generator=generator)] = True

    # 80/10/10 split: one uniform draw per position, mask below 0.8, random in [0.8, 0.9).
    u = torch.rand(ids.shape, generator=generator, device=ids.device)
    to_mask = chosen & (u < 0.8)
    to_random = chosen & (u >= 0.8) & (u < 0.9)
    random_ids = torch.randint(0, vocab_size, ids.shape, generator=generator, device=ids.device, dtype=ids.dtype)

    masked = ids.clone()
    masked[to_mask] = mask_token_id
    masked[to_random] = random_ids[to_random]
    labels = torch.where(chosen, ids, torch.full_like(ids, IGNORE_INDEX))
    return masked.view_as(input_ids), labels.view_as(input_ids)
