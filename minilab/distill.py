"""Objectives: what one batch contributes to the loss, as named terms.

The training loop (`minilab.train.fit`) takes a weighted sum of these terms,
so every procedure of the three papers is an objective plus a weight dict:

    basic / PF fine-tuning     supervised()             {'ce': 1}
    MLM pre-training           mlm(tokenizer)           {'mlm': 1}
    D / PD (Turc et al.)       distillation(T=1)        {'soft_ce': 1}
    hard / soft (Mukherjee)    distillation()           {'hard': 1} / {'logit_mse': 1}

Distillation objectives read the teacher's outputs from the batch
(`teacher_logits`, `teacher_repr` columns added by `minilab.teacher`), so the
teacher is run once per transfer set, never once per epoch.
"""
import torch

from minilab import losses
from minilab.masking import mask_tokens
from minilab.train import model_inputs


def supervised():
    """Cross-entropy on gold labels (basic training, fine-tuning)."""
    def objective(model, batch):
        logits = model(**model_inputs(batch)).logits
        return {'ce': losses.cross_entropy_loss(logits, batch['label'])}
    return objective


def mlm(tokenizer, mlm_probability=0.15, token_weights=None, seed=0):
    """Masked-LM with dynamic masking: a new mask for every batch (RoBERTa,
    DistilBERT), so repeated epochs do not see the same masked positions."""
    generator = torch.Generator().manual_seed(seed)
    special = set(tokenizer.all_special_ids)

    def objective(model, batch):
        ids = batch['input_ids']
        special_mask = torch.isin(ids, torch.tensor(sorted(special)))
        masked, labels = mask_tokens(ids, special_mask, tokenizer.mask_token_id,
                                     len(tokenizer), mlm_probability, token_weights, generator)
        inputs = dict(model_inputs(batch), input_ids=masked)
        logits = model(**inputs).logits
        return {'mlm': losses.mlm_loss(logits, labels)}
    return objective


def distillation(temperature=1.0):
    """All class-level distillation terms against cached teacher logits (cheap:
    a few classes), plus 'ce' when the batch carries gold labels (>= 0)."""
    def objective(model, batch):
        out = model(**model_inputs(batch))
        student_logits, teacher_logits = out.logits, batch['teacher_logits'].to(out.logits.dtype)
        terms = {
            'soft_ce': losses.soft_cross_entropy(student_logits, teacher_logits, temperature),
            'kl': losses.kl_div_loss(student_logits, teacher_logits, temperature),
            'logit_mse': losses.logit_mse_loss(student_logits, teacher_logits),
            'hard': losses.hard_label_loss(student_logits, teacher_logits),
        }
        if 'label' in batch:
            terms['ce'] = losses.cross_entropy_loss(student_logits, batch['label'])
        return terms
    return objective
