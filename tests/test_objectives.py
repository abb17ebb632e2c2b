"""Objectives composed by name (minilab.objectives): every name one term, the
terms against hand-computed values, and the patient (PKD) term end to end."""
import math

import pytest
import torch

from minilab import data, inference, models, objectives


class _Out:
    def __init__(self, **fields):
        self.__dict__.update(fields)


def test_every_name_is_one_registered_term():
    assert set(objectives.TERMS) == {'ce', 'mlm', 'soft_ce', 'kl', 'span_kl', 'cos', 'logit_mse',
                                     'hard', 'rep_mse', 'rep_kl', 'rep_cos', 'patient'}
    # a term reads only the teacher outputs it declares
    assert objectives.TERMS['patient'].teacher == ('cls_layers',)
    assert objectives.TERMS['ce'].teacher == ()


@pytest.mark.parametrize('weights, message', [
    ({'soft': 1.0}, "unknown loss term 'soft'; valid: ce, mlm, soft_ce"),
    ({'kl': -1.0}, "loss weight of 'kl' must be a number >= 0, got -1.0"),
    ({'kl': 'high'}, "loss weight of 'kl' must be a number >= 0, got 'high'"),
    ({}, 'loss must name terms and weights'),
])
def test_bad_weights_fail_in_one_line(weights, message):
    with pytest.raises(ValueError, match=message):
        objectives.compose(weights)


def test_a_name_alone_is_weight_one():
    assert objectives.check_weights('soft_ce') == {'soft_ce': 1.0}


def test_soft_ce_and_ce_by_hand():
    s = torch.tensor([[2.0, 0.0]])
    t = torch.tensor([[0.0, 0.0]])  # uniform teacher
    pair = objectives.Pair(_Out(logits=s), {'logits': t}, {'label': torch.tensor([0])})
    log_p = [2 - math.log(math.exp(2) + 1), -math.log(math.exp(2) + 1)]
    assert objectives.TERMS['soft_ce'].fn(pair).item() == pytest.approx(-sum(log_p) / 2, rel=1e-6)
    assert objectives.TERMS['ce'].fn(pair).item() == pytest.approx(-log_p[0], rel=1e-6)
    assert objectives.TERMS['hard'].fn(pair).item() == pytest.approx(-log_p[0], rel=1e-6)  # argmax 0


def test_pkd_skip_layer_map():
    assert objectives.pkd_skip_layers(12, 6) == [2, 4, 6, 8, 10]
    assert objectives.pkd_skip_layers(6, 3) == [2, 4]
    assert objectives.pkd_skip_layers(2, 1) == []   # one layer: nothing between
    with pytest.raises(ValueError, match='divides the teacher depth 6, got 4'):
        objectives.pkd_skip_layers(6, 4)


def test_patient_term_matches_the_loss_on_cached_teacher_layers(tmp_path, monkeypatch):
    """The teacher's per-layer [CLS] states come from the teacher-output store;
    the term compares student layer j with teacher layer map[j-1]."""
    from minilab import paths
    monkeypatch.setattr(paths, 'CACHE', tmp_path)
    tok = data.load_tokenizer('world')
    torch.manual_seed(0)
    teacher = models.new_classifier(models.bert_config(4, 32, len(tok)), 2)
    teacher.save_pretrained(tmp_path / 'teacher')
    ds = data.tokenize(data.load_task('world/sentiment', 6, 4, 4).train, tok, 24)
    arrays, _ = inference.teacher_outputs(tmp_path / 'teacher', ds, 'k', tok, 'world', 24,
                                          ('logits', 'cls_layers'))
    assert arrays['cls_layers'].shape == (6, 5, 32)  # embeddings + 4 layers
    train = inference.with_teacher_columns(ds, arrays)
    from minilab.batching import collate
    batch = collate(tok)([train[i] for i in range(6)])
    student = models.new_classifier(models.bert_config(2, 32, len(tok)), 2).eval()
    layer_map = objectives.pkd_skip_layers(4, 2)  # [2]
    terms = objectives.compose({'soft_ce': 1.0, 'patient': 100.0}, layer_map=layer_map)(student, batch)
    out = student(input_ids=batch['input_ids'], attention_mask=batch['attention_mask'],
                  token_type_ids=batch['token_type_ids'], output_hidden_states=True)
    s = out.hidden_states[1][:, 0]
    t = torch.as_tensor(arrays['cls_layers'][:, 2])
    expected = torch.nn.functional.mse_loss(s / s.norm(dim=-1, keepdim=True),
                                            t / t.norm(dim=-1, keepdim=True))
    assert terms['patient'].item() == pytest.approx(expected.item(), rel=1e-5)
    assert set(terms) == {'soft_ce', 'patient'}


def test_masking_generator_follows_the_batch_device():
    tok = data.load_tokenizer('world')
    masker = objectives.Masker(tok, 0.4, seed=0)
    ids = torch.tensor(tok(['the plot was superb .'])['input_ids'])
    masked, labels = masker(ids)
    assert masker.generator.device == ids.device and masked.device == ids.device
    again, _ = objectives.Masker(tok, 0.4, seed=0)(ids)
    assert torch.equal(masked, again)  # seeded: the same mask
