"""Distillation losses of the three papers, one small function per term.

Every function takes torch tensors and returns a scalar tensor. Conventions that
change the effective loss weight are stated in each docstring (peers disagree on
them, see research/peers.md section 10):

* temperature terms are multiplied by T**2 (Hinton et al. 2015): softening the
  logits by T shrinks the gradient w.r.t. the student logits by ~1/T**2, so the
  factor keeps the soft term's gradient comparable across temperatures and
  against the hard-label terms it is summed with;
* "batchmean" means: sum over the class/vocab dimension, mean over the selected
  rows (positions), which is the mathematically correct KL per example;
* teacher tensors are targets, so they are detached: a loss only trains the
  student even if the caller forgot `torch.no_grad()` around the teacher.

`minilab.objectives.TERMS` gives each of them the one name that run configs use
('kl', 'cos', 'patient', ...) and composes a named weighted sum of terms.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

IGNORE_INDEX = -100  # the label value PyTorch / Hugging Face use for "no target here"


def _select(x, mask):
    """Flatten x to [N, D] rows; with a mask ([...] over the leading dims), keep the selected rows."""
    if mask is None:
        return x.reshape(-1, x.shape[-1])
    mask = mask.to(device=x.device, dtype=torch.bool)
    if mask.shape != x.shape[:-1]:
        raise ValueError(f"mask shape {tuple(mask.shape)} must equal the leading dims of {tuple(x.shape)}")
    return x[mask]


def _zero(x):
    """A 0.0 loss that still depends on x, so backward() works and gives zero gradients."""
    return x.sum() * 0.0


def _kl_batchmean(student_logits, teacher_logits, temperature):
    """T**2 * KL(softmax(t/T) || softmax(s/T)), summed over classes, mean over rows."""
    if student_logits.shape[0] == 0:  # nothing selected: 0, not NaN
        return _zero(student_logits)
    log_p_s = F.log_softmax(student_logits / temperature, dim=-1)
    p_t = F.softmax(teacher_logits.detach() / temperature, dim=-1)
    return F.kl_div(log_p_s, p_t, reduction='batchmean') * temperature ** 2


def soft_cross_entropy(student_logits, teacher_logits, temperature=1.0):
    """Pre-trained Distillation loss of Turc et al. 2019, eq. (1):

        L = T**2 * mean_x [ -sum_y softmax(t/T)_y * log softmax(s/T)_y ]

    Reduction: sum over classes (last dim), mean over all other dims (the batch).
    The paper uses T = 1 (no temperature is stated), where the T**2 factor is 1.
    It differs from `kl_div_loss` only by the teacher entropy, a constant for the
    student, so the gradients are identical; the value is not 0 at a perfect match.
    """
    s = _select(student_logits, None)
    t = _select(teacher_logits.detach(), None)
    p_t = F.softmax(t / temperature, dim=-1)
    ce = -(p_t * F.log_softmax(s / temperature, dim=-1)).sum(-1)
    return ce.mean() * temperature ** 2


def kl_div_loss(student_logits, teacher_logits, temperature=2.0, mask=None):
    """DistilBERT distillation loss L_ce (Sanh et al. 2019; distiller.py `loss_ce`):

        L = T**2 * KL(softmax(t/T) || softmax(s/T))

    Reduction: sum over the last (class/vocab) dim, mean over the selected
    positions ("batchmean" of `nn.KLDivLoss` after `masked_select` of the
    non-pad tokens, as in distiller.py). Inputs: [B, C] (mask None), or
    [B, S, V] with mask [B, S] (bool or 0/1, True = real token). The DistilBERT
    default is T = 2. Returns 0.0 (not NaN) if the mask selects nothing.
    """
    return _kl_batchmean(_select(student_logits, mask), _select(teacher_logits, mask), temperature)


def _ce(logits, labels):
    """Cross-entropy over positions with label != -100, mean; 0.0 (not NaN) if none."""
    logits = logits.reshape(-1, logits.shape[-1])
    labels = labels.reshape(-1).to(logits.device)
    if not (labels != IGNORE_INDEX).any():  # F.cross_entropy would return 0/0 = NaN
        return _zero(logits)
    return F.cross_entropy(logits, labels, ignore_index=IGNORE_INDEX)


def mlm_loss(mlm_logits, labels):
    """Masked-language-modelling loss (DistilBERT L_mlm; BERT pre-training in Turc et al.).

        L = mean over labelled positions of -log softmax(z)_label

    mlm_logits [B, S, V], labels [B, S] with -100 at unmasked positions
    (the labels `masking.mask_tokens` returns), or the labelled rows alone:
    logits [N, V] with labels [N] (`objectives.masked_mlm_logits`), the same
    value since only labelled rows enter the mean. Returns 0.0 with a gradient path,
    not NaN, when no position is labelled (possible with tiny batches).
    """
    return _ce(mlm_logits, labels)


def cosine_loss(student_hidden, teacher_hidden, mask=None):
    """DistilBERT hidden-state alignment L_cos (distiller.py `loss_cos`):

        L = mean over selected positions of 1 - cos(h_s, h_t)

    which is `nn.CosineEmbeddingLoss(reduction='mean')` with target +1, as in the
    official code. Inputs [B, S, H] with mask [B, S] (True = real token), or [B, H].
    Returns 0.0 if the mask selects nothing.
    """
    h_s = _select(student_hidden, mask)
    h_t = _select(teacher_hidden.detach(), mask)
    if h_s.shape[0] == 0:
        return _zero(h_s)
    return (1.0 - F.cosine_similarity(h_s, h_t, dim=-1)).mean()


def logit_mse_loss(student_logits, teacher_logits):
    """Soft distillation of Mukherjee & Hassan Awadallah 2020 (XtremeDistil):
    regress the teacher's raw logits,

        L = mean over batch and classes of (z_s - z_t)**2

    Reduction follows Keras 'mse' (mean over the last axis, then over the batch),
    which equals the element-wise mean; the paper writes ||z_s - z_t||^2, i.e. C
    times this value. No temperature: logits are matched directly.
    """
    return F.mse_loss(student_logits, teacher_logits.detach(), reduction='mean')


def hard_label_loss(student_logits, teacher_logits):
    """Hard distillation of Mukherjee & Hassan Awadallah 2020: cross-entropy against
    the teacher's argmax pseudo-labels on the (unlabelled) transfer set.

        L = mean over batch of -log softmax(z_s)_{argmax z_t}
    """
    pseudo = teacher_logits.detach().argmax(dim=-1)
    return _ce(student_logits, pseudo)


def cross_entropy_loss(logits, labels):
    """Plain supervised cross-entropy for fine-tuning on gold labels (mean over
    positions with label != -100; 0.0 if none). Any leading shape: [B, C] with
    labels [B], or [B, S, C] with labels [B, S] (e.g. SQuAD start/end are two calls).
    """
    return _ce(logits, labels)


REPRESENTATION_KINDS = ('mse', 'kl', 'cosine')


def representation_loss(student_repr, teacher_repr, kind='mse'):
    """Representation regression of Mukherjee & Hassan Awadallah 2020 (XtremeDistil
    stage 1): match the student's projected sentence representation to the
    teacher's [CLS] representation ([B, H] each; project first with
    `RepresentationProjection` if widths differ).

    kind='mse':    mean over batch and features of (r_s - r_t)**2 (Keras 'mse').
    kind='kl':     KL(softmax(r_t) || softmax(r_s)), summed over features, mean over
                   the batch ("batchmean"). XtremeDistil's Keras 'kld' is applied to
                   raw activations, which are not distributions (negative values make
                   it ill-defined); this is the softmax-normalised form.
    kind='cosine': mean over batch of 1 - cos(r_s, r_t).
    """
    if kind not in REPRESENTATION_KINDS:
        raise ValueError(f"unknown representation loss kind {kind!r}; valid choices: {', '.join(REPRESENTATION_KINDS)}")
    if kind == 'mse':
        return F.mse_loss(student_repr, teacher_repr.detach(), reduction='mean')
    if kind == 'kl':
        return _kl_batchmean(_select(student_repr, None), _select(teacher_repr, None), 1.0)
    return cosine_loss(student_repr, teacher_repr)


class RepresentationProjection(nn.Module):
    """Linear map from the student width to the teacher width, for representation
    losses when the widths differ (XtremeDistil's Dense layer, TinyBERT's fit_dense).
    When the widths are equal it is the identity with no parameters, so callers can
    always apply it and nothing extra is trained.
    """

    def __init__(self, student_dim, teacher_dim, bias=True):
        super().__init__()
        self.student_dim, self.teacher_dim = student_dim, teacher_dim
        self.proj = nn.Identity() if student_dim == teacher_dim else nn.Linear(student_dim, teacher_dim, bias=bias)

    def forward(self, x):
        return self.proj(x)


def span_kl_loss(student_start, student_end, teacher_start, teacher_end, temperature=2.0):
    """SQuAD distillation of DistilBERT "(D)" (run_squad_w_distillation.py):

        L = (KL_start + KL_end) / 2 * T**2

    each KL = KL(softmax(t/T) || softmax(s/T)) over the sequence positions, batchmean.
    Inputs [B, S] start/end logits. Default T = 2 as in the script.
    """
    return (kl_div_loss(student_start, teacher_start, temperature)
            + kl_div_loss(student_end, teacher_end, temperature)) / 2


def patient_loss(student_cls, teacher_cls):
    """Patient knowledge distillation of Sun et al. 2019 (PKD), L_PT:

        L = mean over examples, matched layers j and features of
            (h_s,j / ||h_s,j||_2 - h_t,I(j) / ||h_t,I(j)||_2) ** 2

    the [CLS] hidden state of each student layer j against that of its teacher
    layer I(j) (PKD-Skip: every (N/M)-th teacher layer, `objectives.pkd_skip_layers`),
    both L2-normalised. Inputs [B, J, H]. The mean over elements is what the
    official code computes (`F.mse_loss` of the normalised [B, J, H] tensors); the
    paper's sum over layers and features is J * H times this, so its beta of
    100-500 is the weight for this mean form.
    """
    s = F.normalize(student_cls, p=2, dim=-1)
    t = F.normalize(teacher_cls.detach(), p=2, dim=-1)
    return F.mse_loss(s, t, reduction='mean')
