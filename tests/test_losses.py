"""Golden values for every loss, worked out by hand with math.log/math.exp on 2-class
examples, plus the properties a distillation loss must have (T**2, masking, ...)."""
import math

import pytest
import torch

from minilab import losses as L
from minilab.losses import (RepresentationProjection, cosine_loss, cross_entropy_loss, hard_label_loss,
                            kl_div_loss, logit_mse_loss, mlm_loss, representation_loss, soft_cross_entropy,
                            span_kl_loss)

LN2 = math.log(2)


def t(x):
    return torch.tensor(x, dtype=torch.float64)


def close(loss, expected, tol=1e-9):
    assert loss.dim() == 0
    assert loss.item() == pytest.approx(expected, abs=tol)


def kl_vs_uniform(p):
    """KL([p, 1-p] || [1/2, 1/2]) for 2 classes, by hand."""
    return p * math.log(2 * p) + (1 - p) * math.log(2 * (1 - p))


# --- soft cross-entropy (Turc PD) -------------------------------------------------------------

def test_soft_cross_entropy_by_hand():
    # row 1: teacher uniform, student [1, 0]: -(.5 log(e/(1+e)) + .5 log(1/(1+e))) = log(1+e) - 1/2
    # row 2: student uniform: -(p log .5 + (1-p) log .5) = log 2 whatever the teacher says
    s, te = t([[1.0, 0.0], [0.0, 0.0]]), t([[0.0, 0.0], [2.0, 0.0]])
    close(soft_cross_entropy(s, te), ((math.log(1 + math.e) - 0.5) + LN2) / 2)


def test_soft_cross_entropy_temperature():
    # T = 2: student [1, 0]/2 = [.5, 0], teacher uniform -> log(1 + e^.5) - .25, times T^2 = 4
    close(soft_cross_entropy(t([[1.0, 0.0]]), t([[0.0, 0.0]]), temperature=2.0),
          4 * (math.log(1 + math.exp(0.5)) - 0.25))


def test_soft_ce_equals_kl_plus_teacher_entropy():
    # soft CE = KL + H(teacher): at a perfect match it is the entropy, not 0
    z = t([[math.log(3), 0.0]])  # softmax = [3/4, 1/4]
    close(soft_cross_entropy(z, z), -(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))


# --- KL (DistilBERT L_ce) ---------------------------------------------------------------------

def test_kl_by_hand_2d():
    # teacher [log 3, 0] -> [3/4, 1/4]; student uniform. T = 1: KL = .75 log 1.5 + .25 log .5
    s, te = t([[0.0, 0.0]]), t([[math.log(3), 0.0]])
    close(kl_div_loss(s, te, temperature=1.0), 0.75 * math.log(1.5) + 0.25 * math.log(0.5))
    # T = 2: teacher [log3 / 2, 0] -> p = sqrt3 / (sqrt3 + 1); times T^2 = 4
    p = math.sqrt(3) / (math.sqrt(3) + 1)
    close(kl_div_loss(s, te), 4 * kl_vs_uniform(p))


def test_kl_zero_when_equal():
    z = torch.randn(3, 5, 7, dtype=torch.float64)
    close(kl_div_loss(z, z.clone(), mask=torch.ones(3, 5)), 0.0, tol=1e-12)
    close(kl_div_loss(z[:, 0], z[:, 0].clone(), temperature=4.0), 0.0, tol=1e-12)


def test_kl_mask_batchmean_over_real_tokens():
    # [B=1, S=3, V=2], position 2 is padding. Position 0: KL as above (T=2); position 1: equal -> 0.
    s = t([[[0.0, 0.0], [1.0, 0.0], [5.0, -5.0]]])
    te = t([[[math.log(3), 0.0], [1.0, 0.0], [-9.0, 9.0]]])
    mask = torch.tensor([[1, 1, 0]])
    p = math.sqrt(3) / (math.sqrt(3) + 1)
    close(kl_div_loss(s, te, mask=mask), 4 * kl_vs_uniform(p) / 2)  # mean over the 2 real positions
    # changing the padded values leaves the loss unchanged
    s2, te2 = s.clone(), te.clone()
    s2[0, 2], te2[0, 2] = t([100.0, 3.0]), t([0.0, 42.0])
    close(kl_div_loss(s2, te2, mask=mask.bool()), kl_div_loss(s, te, mask=mask).item())


def test_kl_empty_mask_is_zero_not_nan():
    s = torch.randn(1, 2, 4, requires_grad=True)
    loss = kl_div_loss(s, torch.randn(1, 2, 4), mask=torch.zeros(1, 2))
    assert loss.item() == 0.0
    loss.backward()
    assert torch.all(s.grad == 0)


def test_t_squared_keeps_gradient_scale():
    # For large T the gradient of T^2 KL w.r.t. the student logits tends to (s - t)/C centred,
    # independent of T; without T^2 it would shrink by 1/T^2 (Hinton 2015).
    torch.manual_seed(0)
    s0, te = torch.randn(4, 5, dtype=torch.float64), torch.randn(4, 5, dtype=torch.float64)
    norms = {}
    for T in (4.0, 8.0):
        s = s0.clone().requires_grad_(True)
        kl_div_loss(s, te, temperature=T).backward()
        norms[T] = s.grad.norm().item()
    assert norms[4.0] / norms[8.0] == pytest.approx(1.0, abs=0.1)
    # the unscaled KL's gradients differ by ~ (8/4)^2 = 4
    assert (norms[4.0] / 16) / (norms[8.0] / 64) == pytest.approx(4.0, rel=0.1)


def test_teacher_gets_no_gradient():
    s, te = torch.randn(2, 3, requires_grad=True), torch.randn(2, 3, requires_grad=True)
    (kl_div_loss(s, te) + soft_cross_entropy(s, te) + logit_mse_loss(s, te) + cosine_loss(s, te)).backward()
    assert te.grad is None and s.grad is not None


# --- MLM / CE / hard labels -------------------------------------------------------------------

def test_mlm_by_hand():
    # pos 0 unlabelled; pos 1: logits [1, 0], label 0 -> log(1+e) - 1; pos 2: [0, 0], label 1 -> log 2
    logits = t([[[7.0, -3.0], [1.0, 0.0], [0.0, 0.0]]])
    labels = torch.tensor([[-100, 0, 1]])
    close(mlm_loss(logits, labels), (math.log(1 + math.e) - 1 + LN2) / 2)


def test_mlm_no_labels_is_zero_with_grad():
    logits = torch.randn(2, 3, 5, requires_grad=True)
    loss = mlm_loss(logits, torch.full((2, 3), -100))
    assert loss.item() == 0.0 and not torch.isnan(loss)
    loss.backward()
    assert torch.all(logits.grad == 0)


def test_cross_entropy_by_hand():
    # row 0: [2, 0] label 1 -> -log(1/(1+e^2)) = log(1 + e^2); row 1 ignored
    close(cross_entropy_loss(t([[2.0, 0.0], [0.0, 9.0]]), torch.tensor([1, -100])), math.log(1 + math.exp(2)))


def test_hard_label_by_hand_and_equals_ce_on_argmax():
    s = t([[1.0, 0.0], [0.0, 0.0]])
    te = t([[0.0, 5.0], [2.0, 1.0]])  # argmax -> [1, 0]
    # row 0: -log(1/(1+e)) = log(1+e); row 1: log 2
    close(hard_label_loss(s, te), (math.log(1 + math.e) + LN2) / 2)
    z_s, z_t = torch.randn(6, 4), torch.randn(6, 4)
    close(hard_label_loss(z_s, z_t), cross_entropy_loss(z_s, z_t.argmax(-1)).item(), tol=1e-6)


# --- cosine / MSE -----------------------------------------------------------------------------

def test_cosine_by_hand():
    close(cosine_loss(t([[1.0, 2.0]]), t([[2.0, 4.0]])), 0.0, tol=1e-12)       # parallel
    close(cosine_loss(t([[1.0, 0.0]]), t([[0.0, 3.0]])), 1.0, tol=1e-12)       # orthogonal
    close(cosine_loss(t([[1.0, 0.0]]), t([[1.0, 1.0]])), 1 - 1 / math.sqrt(2))  # 45 degrees
    close(cosine_loss(t([[1.0, 0.0]]), t([[-2.0, 0.0]])), 2.0, tol=1e-12)      # opposite


def test_cosine_mask():
    # [B=2, S=2, H=2]; position (1, 1) is padding. Selected: parallel (0), orthogonal (1), 45 deg.
    hs = t([[[1.0, 2.0], [1.0, 0.0]], [[1.0, 0.0], [5.0, 5.0]]])
    ht = t([[[2.0, 4.0], [0.0, 3.0]], [[1.0, 1.0], [-5.0, 1.0]]])
    mask = torch.tensor([[True, True], [True, False]])
    expected = (0.0 + 1.0 + (1 - 1 / math.sqrt(2))) / 3
    close(cosine_loss(hs, ht, mask), expected)
    hs[1, 1], ht[1, 1] = t([0.1, -7.0]), t([3.0, 3.0])
    close(cosine_loss(hs, ht, mask), expected)


def test_logit_mse_by_hand():
    # squared errors 1, 4, 0, 9 -> mean over batch and classes = 14 / 4 (Keras 'mse')
    close(logit_mse_loss(t([[1.0, 2.0], [0.0, 0.0]]), t([[0.0, 0.0], [0.0, 3.0]])), 3.5)


# --- representation ---------------------------------------------------------------------------

def test_representation_by_hand():
    rs, rt = t([[1.0, 2.0], [0.0, 0.0]]), t([[0.0, 0.0], [0.0, 3.0]])
    close(representation_loss(rs, rt), 3.5)
    close(representation_loss(t([[1.0, 0.0]]), t([[1.0, 1.0]]), kind='cosine'), 1 - 1 / math.sqrt(2))
    # kl: softmax(teacher [log 3, 0]) = [3/4, 1/4], student uniform
    close(representation_loss(t([[0.0, 0.0]]), t([[math.log(3), 0.0]]), kind='kl'),
          0.75 * math.log(1.5) + 0.25 * math.log(0.5))


def test_representation_unknown_kind():
    with pytest.raises(ValueError) as err:
        representation_loss(torch.zeros(1, 2), torch.zeros(1, 2), kind='kld')
    msg = str(err.value)
    assert "'kld'" in msg and 'mse, kl, cosine' in msg and '\n' not in msg


def test_projection_widths_differ():
    proj = RepresentationProjection(3, 5)
    x = torch.randn(4, 3)
    y = proj(x)
    assert y.shape == (4, 5)
    representation_loss(y, torch.randn(4, 5), kind='cosine').backward()
    assert proj.proj.weight.grad is not None and proj.proj.weight.grad.abs().sum() > 0


def test_projection_identity_when_equal():
    proj = RepresentationProjection(4, 4)
    x = torch.randn(2, 4)
    assert proj(x) is x
    assert len(list(proj.parameters())) == 0


# --- SQuAD span KL ----------------------------------------------------------------------------

def test_span_kl_by_hand():
    # start: teacher [log 3, 0], student uniform; end: equal -> 0. T = 2 (default)
    p = math.sqrt(3) / (math.sqrt(3) + 1)
    loss = span_kl_loss(t([[0.0, 0.0]]), t([[0.5, 0.5]]), t([[math.log(3), 0.0]]), t([[0.5, 0.5]]))
    close(loss, (4 * kl_vs_uniform(p) + 0.0) / 2)


def test_patient_loss_by_hand():
    """Sun et al. 2019 L_PT: MSE of L2-normalised [CLS] states, mean over all elements."""
    s = torch.tensor([[[3.0, 4.0], [1.0, 0.0]]])      # [B=1, J=2, H=2]
    t = torch.tensor([[[0.0, 2.0], [5.0, 0.0]]])
    # normalised: s -> (0.6, 0.8), (1, 0); t -> (0, 1), (1, 0)
    expected = ((0.6 - 0) ** 2 + (0.8 - 1) ** 2 + 0 + 0) / 4
    assert L.patient_loss(s, t).item() == pytest.approx(expected, rel=1e-6)
    assert L.patient_loss(t * 7, t).item() == pytest.approx(0.0, abs=1e-7)  # scale-free

