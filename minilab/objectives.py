"""Objectives composed by name: what one batch contributes to the loss.

A run's config names its loss terms and their weights; `compose` turns that
into an objective for `minilab.train.fit`, which sums the weighted terms:

    objective = compose({'soft_ce': 1.0})                          # D / PD (Turc et al.)
    objective = compose({'soft_ce': 1.0, 'patient': 100.0}, layer_map=[2, 4])   # PKD
    objective = compose({'kl': 5.0, 'mlm': 2.0, 'cos': 1.0}, tokenizer=tok,
                        mlm_probability=0.15, teacher=teacher_mlm, temperature=2.0)  # DistilBERT
    fit(model, objective, weights, train, tokenizer, ...)

Every name means one thing everywhere (the formula and paper of each are in
the docstrings of `minilab.losses`):

    ce         cross-entropy on gold labels (rows labelled -100 skipped); for a
               span-extraction model, the mean of the start and end cross-entropies
    mlm        masked-LM cross-entropy at the masked positions (dynamic masking);
               with compose(..., masked_head=True) the output layer runs at
               those positions only (`masked_mlm_logits`), the same loss
    soft_ce    T^2 * cross-entropy to the teacher's softened class distribution (Turc eq. 1)
    kl         T^2 * KL(teacher || student) of the output distribution: classes, or the
               vocabulary at every non-pad position of an MLM (DistilBERT's L_ce)
    span_kl    (KL_start + KL_end) / 2 * T^2 of a span-extraction model (DistilBERT (D))
    cos        1 - cos of the last-layer hidden states, non-pad positions (DistilBERT L_cos)
    logit_mse  MSE to the teacher's raw logits (Mukherjee's soft distillation)
    hard       cross-entropy to the teacher's argmax labels (Mukherjee's hard distillation)
    rep_mse, rep_kl, rep_cos
               the student's sentence representation against the teacher's [CLS]
               representation (Mukherjee's stage 1)
    patient    normalised [CLS] MSE of intermediate layers (Sun et al. 2019, PKD-Skip)

The teacher's side comes from the batch (columns `teacher_logits`,
`teacher_repr`, `teacher_cls_layers` that `minilab.inference.teacher_outputs`
computed once and cached) or, for DistilBERT's general distillation over a
whole vocabulary, from a live `teacher` run on the same (masked) inputs.
Every tensor made here follows the batch's device.
"""
import inspect
from dataclasses import dataclass
from typing import Callable

import torch

from minilab import losses
from minilab.masking import mask_tokens

MODEL_INPUTS = ('input_ids', 'attention_mask', 'token_type_ids')


def model_inputs(batch):
    return {k: batch[k] for k in MODEL_INPUTS if k in batch}


def accepted_inputs(model, inputs):
    """The inputs `model.forward` takes (a DistilBERT has no token types)."""
    params = inspect.signature(model.forward).parameters
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return inputs
    return {k: v for k, v in inputs.items() if k in params}


@dataclass
class MaskedOutput:
    """A student output of the masked positions only: logits [N, V] (the 'mlm'
    term's cross-entropy reads rows and labels flattened, so [N, V] with labels
    [N] is the same sum as [B, S, V] with labels [B, S])."""
    logits: torch.Tensor


@dataclass
class Pair:
    """What a term sees: the student's outputs, the teacher's (cached columns or
    a live pass), the batch, and the options of the objective."""
    student: object
    teacher: dict
    batch: dict
    mlm_labels: torch.Tensor = None
    temperature: float = 1.0
    layer_map: tuple = ()
    restrict_kl_to_mask: bool = False


def _ce(p):
    out = p.student
    if hasattr(out, 'start_logits'):  # span extraction: start and end positions
        return (losses.cross_entropy_loss(out.start_logits, p.batch['label'][:, 0])
                + losses.cross_entropy_loss(out.end_logits, p.batch['label'][:, 1])) / 2
    return losses.cross_entropy_loss(out.logits, p.batch['label'])


def _teacher_logits(p):
    return p.teacher['logits'].to(p.student.logits.dtype)


def _kl(p):
    s = p.student.logits
    if s.dim() == 3:  # per-token logits (an MLM): every non-pad position, or the masked ones
        positions = (p.batch['attention_mask'].bool() if not p.restrict_kl_to_mask
                     else p.mlm_labels != losses.IGNORE_INDEX)
        return losses.kl_div_loss(s, p.teacher['logits'], p.temperature, positions)
    return losses.kl_div_loss(s, _teacher_logits(p), p.temperature)


def _span_kl(p):
    start, end = p.student.start_logits, p.student.end_logits
    t = p.teacher['logits'][:, :, :start.shape[1]].to(start.dtype)
    # distributions over each row's real tokens: the teacher's logits were
    # computed in other batches, so padding positions (-1e4 there) are left
    # out of the student's softmax too
    pad = p.batch['attention_mask'] == 0
    return losses.span_kl_loss(start.masked_fill(pad, -1e4), end.masked_fill(pad, -1e4),
                               t[:, 0], t[:, 1], p.temperature)


def _cos(p):
    return losses.cosine_loss(p.student.hidden_states[-1], p.teacher['hidden_states'][-1],
                              p.batch['attention_mask'].bool())


def _rep(kind):
    def term(p):
        rep = p.student.representation
        return losses.representation_loss(rep, p.teacher['repr'].to(rep.dtype), kind)
    return term


def _patient(p):
    if not p.layer_map:  # a one-layer student: nothing between embeddings and logits
        return p.student.logits.sum() * 0.0
    hidden = p.student.hidden_states  # embeddings, then layer 1..L
    student = torch.stack([hidden[i + 1][:, 0] for i in range(len(p.layer_map))], dim=1)
    teacher = p.teacher['cls_layers'][:, list(p.layer_map)]
    return losses.patient_loss(student, teacher.to(student.dtype))


@dataclass(frozen=True)
class Term:
    fn: Callable
    teacher: tuple = ()          # teacher outputs the term reads
    hidden: bool = False         # needs the student's hidden states


TERMS = {
    'ce': Term(_ce),
    'mlm': Term(lambda p: losses.mlm_loss(p.student.logits, p.mlm_labels)),
    'soft_ce': Term(lambda p: losses.soft_cross_entropy(p.student.logits, _teacher_logits(p),
                                                        p.temperature), ('logits',)),
    'kl': Term(_kl, ('logits',)),
    'span_kl': Term(_span_kl, ('logits',)),
    'cos': Term(_cos, ('hidden_states',), hidden=True),
    'logit_mse': Term(lambda p: losses.logit_mse_loss(p.student.logits, _teacher_logits(p)),
                      ('logits',)),
    'hard': Term(lambda p: losses.hard_label_loss(p.student.logits, _teacher_logits(p)),
                 ('logits',)),
    'rep_mse': Term(_rep('mse'), ('repr',)),
    'rep_kl': Term(_rep('kl'), ('repr',)),
    'rep_cos': Term(_rep('cosine'), ('repr',)),
    'patient': Term(_patient, ('cls_layers',), hidden=True),
}
# the batch column each cached teacher output travels in
TEACHER_COLUMNS = {'logits': 'teacher_logits', 'repr': 'teacher_repr',
                   'cls_layers': 'teacher_cls_layers'}


def check_weights(weights):
    """A {term: weight} dict of known names and numbers >= 0 (one-line errors)."""
    if isinstance(weights, str):
        weights = {weights: 1.0}
    if not isinstance(weights, dict) or not weights:
        raise ValueError(f'loss must name terms and weights, e.g. {{"soft_ce": 1.0}}, got {weights!r}; '
                         f'valid terms: {", ".join(TERMS)}')
    for name, w in weights.items():
        if name not in TERMS:
            raise ValueError(f'unknown loss term {name!r}; valid: {", ".join(TERMS)}')
        if isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0:
            raise ValueError(f'loss weight of {name!r} must be a number >= 0, got {w!r}')
    return {k: float(v) for k, v in weights.items()}


def rep_term(kind):
    """The term name of a representation loss kind ('mse', 'kl', 'cosine')."""
    if kind not in losses.REPRESENTATION_KINDS:
        raise ValueError(f'unknown rep_loss {kind!r}; valid: {", ".join(losses.REPRESENTATION_KINDS)}')
    return {'mse': 'rep_mse', 'kl': 'rep_kl', 'cosine': 'rep_cos'}[kind]


class Masker:
    """Dynamic MLM masking: a new mask for every batch (RoBERTa, DistilBERT), so
    repeated epochs do not see the same masked positions. The generator follows
    the batch's device (a CUDA batch gets a CUDA generator, seeded alike)."""

    def __init__(self, tokenizer, mlm_probability=0.15, token_weights=None, seed=0):
        self.mask_id, self.vocab_size = tokenizer.mask_token_id, len(tokenizer)
        self.special = torch.tensor(sorted(set(tokenizer.all_special_ids)))
        self.probability, self.token_weights, self.seed = mlm_probability, token_weights, seed
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, ids):
        if self.generator.device != ids.device:
            self.generator = torch.Generator(device=ids.device).manual_seed(self.seed)
        special = torch.isin(ids, self.special.to(ids.device))
        return mask_tokens(ids, special, self.mask_id, self.vocab_size, self.probability,
                           self.token_weights, self.generator)


def masked_mlm_logits(model, inputs, labels):
    """(logits [N, V], labels [N]) of the N labelled positions of a BERT masked LM:
    the encoder over every position, the MLM head (transform + decoder over the
    vocabulary) only where labels != -100. With a 30,522-token vocabulary the
    decoder costs H * 30,522 multiply-adds a position, more than a small
    encoder's whole stack (L2_H128: 3.9M against ~0.5M for its two layers), and
    the loss reads 15% of its rows; the head is position-wise, so the selected
    rows are the full logits' rows. Logits in fp32, as Accelerate returns a
    prepared model's outputs."""
    if not (hasattr(model, 'bert') and hasattr(model, 'cls')):
        raise ValueError(f'masked_head needs a BertForMaskedLM (an encoder .bert and a head .cls), '
                         f'got {type(model).__name__}; valid: BertForMaskedLM, or masked_head=False')
    selected = labels != losses.IGNORE_INDEX
    hidden = model.bert(**inputs).last_hidden_state
    return model.cls(hidden[selected]).float(), labels[selected]


def compose(weights, temperature=1.0, tokenizer=None, mlm_probability=None, token_weights=None,
            seed=0, teacher=None, layer_map=(), restrict_kl_to_mask=False, masked_head=False):
    """objective(model, batch) -> {term: scalar} for the terms `weights` names.

    mlm_probability (with tokenizer) masks the inputs first: the 'mlm' term reads
    the masked positions, and a live `teacher` reads the same masked inputs.
    layer_map lists the teacher layer (1-based, 0 = embeddings) matched to each
    student layer 1, 2, ... by the 'patient' term. masked_head: the MLM output
    layer at the masked positions only (a BertForMaskedLM; 'mlm' alone, since
    every other term reads outputs at every position): the same loss, a fraction
    of the cost with a large vocabulary (MLM pre-training)."""
    weights = check_weights(weights)
    if masked_head and set(weights) != {'mlm'}:
        raise ValueError(f"masked_head computes the MLM head at masked positions only, for the "
                         f"'mlm' term alone; got terms {', '.join(weights)}; valid: {{'mlm': w}}")
    terms = {name: TERMS[name] for name in weights}
    hidden = any(t.hidden for t in terms.values())
    masker = Masker(tokenizer, mlm_probability, token_weights, seed) if mlm_probability else None
    if 'mlm' in terms and masker is None:
        raise ValueError("the 'mlm' term needs mlm_probability and a tokenizer")
    if teacher is not None:  # a frozen target, never trained
        teacher.eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
    live_hidden = any(t.hidden for t in terms.values() if 'hidden_states' in t.teacher)

    def objective(model, batch):
        inputs = model_inputs(batch)
        labels = None
        if masker is not None:
            inputs['input_ids'], labels = masker(batch['input_ids'])
        inputs = accepted_inputs(model, inputs)
        # a DistributedDataParallel wrapper must be called through its forward
        # (its gradient hooks start there): under `accelerate launch` the full head
        if masked_head and not isinstance(model, torch.nn.parallel.DistributedDataParallel):
            logits, labels = masked_mlm_logits(model, inputs, labels)
            pair = Pair(MaskedOutput(logits), {}, batch, labels, temperature)
            return {'mlm': TERMS['mlm'].fn(pair)}
        student = model(**inputs, output_hidden_states=True) if hidden else model(**inputs)
        t = {name: batch[col] for name, col in TEACHER_COLUMNS.items() if col in batch}
        if teacher is not None and any(term.teacher for term in terms.values()):
            if next(teacher.parameters()).device != inputs['input_ids'].device:
                teacher.to(inputs['input_ids'].device)
            with torch.no_grad():
                out = teacher(**accepted_inputs(teacher, inputs), output_hidden_states=live_hidden)
            t['logits'] = out.logits
            if live_hidden:
                t['hidden_states'] = out.hidden_states
        pair = Pair(student, t, batch, labels, temperature, tuple(layer_map), restrict_kl_to_mask)
        return {name: term.fn(pair) for name, term in terms.items()}
    if masker is not None:  # fit saves and restores it with a loop checkpoint (exact resumes)
        objective.generator = masker.generator
    return objective


def pkd_skip_layers(teacher_layers, student_layers):
    """PKD-Skip (Sun et al. 2019): student layer j (1..M-1) learns from teacher
    layer j * N/M, e.g. 12 -> 6: [2, 4, 6, 8, 10]; the last layer is left to the
    logit term (so a one-layer student has no patient layers). Needs M to divide N."""
    if student_layers < 1 or teacher_layers % student_layers:
        raise ValueError(f'PKD-Skip needs a student depth that divides the teacher depth '
                         f'{teacher_layers}, got {student_layers}')
    k = teacher_layers // student_layers
    return [k * j for j in range(1, student_layers)]
