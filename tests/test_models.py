"""Tests for minilab.models: sizes, parameter counts, student initialisations, BiLSTM, loading.

All models are tiny (vocab 100, width <= 64) so the file runs in seconds on a CPU.
Nothing here touches the hub; the offline test sets HF_HUB_OFFLINE=1 with monkeypatch.
"""
import time

import pytest
import torch
from transformers import BertForMaskedLM, BertForPreTraining, BertForSequenceClassification, DistilBertForMaskedLM

from minilab import models as M

VOCAB = 100

# papers.md section 1.4, millions, rows L = 2..12, columns H = 128, 256, 512, 768
PAPER_TABLE = {
    2: (4.4, 9.7, 22.8, 39.2),
    4: (4.8, 11.3, 29.1, 53.4),
    6: (5.2, 12.8, 35.4, 67.6),
    8: (5.6, 14.4, 41.7, 81.8),
    10: (6.0, 16.0, 48.0, 95.9),
    12: (6.4, 17.6, 54.3, 110.1),
}


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def tiny_cfg(L=4, H=64, **kw):
    return M.bert_config(L, H, vocab_size=VOCAB, max_position_embeddings=32, **kw)


def rand_ids(B=3, T=10, low=5):
    return torch.randint(low, VOCAB, (B, T))


# --------------------------------------------------------------------- sizes

@pytest.mark.parametrize('L,H', [(L, H) for L in M.PAPER_GRID_L for H in M.PAPER_GRID_H])
def test_paper_parameter_table(L, H):
    expected = PAPER_TABLE[L][M.PAPER_GRID_H.index(H)]
    assert round(M.bert_parameter_count(L, H) / 1e6, 1) == expected


def test_named_paper_counts():
    want = {'tiny': 4.4, 'mini': 11.3, 'small': 29.1, 'medium': 41.7, 'base': 110.1}
    for name, millions in want.items():
        L, H = M.parse_size(name, scale='paper')
        assert round(M.bert_parameter_count(L, H) / 1e6, 1) == millions


@pytest.mark.parametrize('L,H', [(1, 32), (2, 64), (3, 128)])
def test_analytic_count_matches_instantiated(L, H):
    cfg = M.bert_config(L, H, vocab_size=VOCAB, max_position_embeddings=64)
    pretraining = BertForPreTraining(cfg)   # MLM + pooler + NSP head (2H + 2)
    assert M.count_parameters(pretraining) - (2 * H + 2) == M.bert_parameter_count(
        L, H, vocab_size=VOCAB, max_position=64)
    mlm = BertForMaskedLM(cfg)              # no pooler
    assert M.count_parameters(mlm) == M.bert_parameter_count(
        L, H, vocab_size=VOCAB, max_position=64, with_pooler=False)


def test_grids_and_named_sizes():
    assert M.MINI_GRID_L == tuple(L // 2 for L in M.PAPER_GRID_L)
    assert M.MINI_GRID_H == tuple(H // 4 for H in M.PAPER_GRID_H)
    assert len(M.size_grid('paper')) == len(M.size_grid('mini')) == 24
    for name, (L, H) in M.PAPER_NAMED.items():
        assert M.MINI_NAMED[name] == (L // 2, H // 4)
        assert (L, H) in M.size_grid('paper')
    assert M.parse_size('tiny') == (1, 32)
    assert M.parse_size('base', scale='paper') == (12, 768)
    assert M.parse_size('L4_H256') == M.parse_size('L4-H256') == M.parse_size('l4_h256') == (4, 256)
    assert M.parse_size((4, 256)) == (4, 256)
    assert M.size_name(4, 256) == 'L4_H256'


@pytest.mark.parametrize('bad', ['huge', 'L4H256', 'L0_H128', (4,), (4, 256, 1), 3.5, None])
def test_parse_size_errors(bad):
    with pytest.raises(ValueError) as info:
        M.parse_size(bad)
    msg = str(info.value)
    assert '\n' not in msg and repr(bad) in msg and 'tiny' in msg


def test_parse_size_bad_scale():
    with pytest.raises(ValueError, match='scale'):
        M.parse_size('tiny', scale='huge')


def test_bert_config_heads_and_ffn():
    for H, A in [(32, 1), (64, 1), (128, 2), (192, 3), (256, 4), (768, 12)]:
        cfg = M.bert_config(2, H, vocab_size=VOCAB)
        assert cfg.num_attention_heads == A and cfg.intermediate_size == 4 * H
    cfg = M.bert_config(2, 64, vocab_size=VOCAB, num_labels=3, hidden_dropout_prob=0.0)
    assert cfg.num_labels == 3 and cfg.hidden_dropout_prob == 0.0 and cfg.attention_probs_dropout_prob == 0.1
    with pytest.raises(ValueError):
        M.bert_config(2, 129, vocab_size=VOCAB)


# ------------------------------------------------------------ initialisations

def test_layer_maps():
    assert M.distilbert_layer_map(12, 6) == [0, 2, 4, 7, 9, 11]
    assert M.distilbert_layer_map(6, 3) == [0, 2, 4]
    assert M.distilbert_layer_map(4, 2) == [0, 2]
    assert M.distilbert_layer_map(4, 4) == [0, 1, 2, 3]
    assert M.distilbert_layer_map(3, 1) == [0]
    with pytest.raises(ValueError):
        M.distilbert_layer_map(3, 6)
    with pytest.raises(ValueError):
        M.distilbert_layer_map(3, 0)


def _same(a, b):
    return torch.equal(a.detach(), b.detach())


def _layers_equal(la, lb):
    sa, sb = la.state_dict(), lb.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_truncation_copies_bottom_layers():
    teacher = M.new_mlm_model(tiny_cfg(L=4))
    student = M.init_truncated(teacher, 2, num_labels=3)
    assert isinstance(student, BertForSequenceClassification)
    assert student.config.num_hidden_layers == 2 and student.config.num_labels == 3
    for i in range(2):
        assert _layers_equal(student.bert.encoder.layer[i], teacher.bert.encoder.layer[i])
    assert _layers_equal(student.bert.embeddings, teacher.bert.embeddings)
    assert teacher.config.num_hidden_layers == 4   # teacher config untouched
    with pytest.raises(ValueError):
        M.init_truncated(teacher, 5)
    mlm = M.init_truncated(teacher, 1)
    assert isinstance(mlm, BertForMaskedLM) and _layers_equal(mlm.cls, teacher.cls)


def test_embeddings_only():
    teacher = M.new_mlm_model(tiny_cfg(L=4))
    cfg = tiny_cfg(L=2)
    student = M.init_embeddings_only(teacher, cfg, num_labels=2)
    assert _layers_equal(student.bert.embeddings, teacher.bert.embeddings)
    for i in range(2):
        assert not _same(student.bert.encoder.layer[i].attention.self.query.weight,
                         teacher.bert.encoder.layer[i].attention.self.query.weight)
    with pytest.raises(ValueError):
        M.init_embeddings_only(teacher, tiny_cfg(L=2, H=32), num_labels=2)


def test_init_random_and_from_teacher_layers():
    teacher = M.new_mlm_model(tiny_cfg(L=4))
    rnd = M.init_random(tiny_cfg(L=2), num_labels=2)
    assert not _same(rnd.bert.embeddings.word_embeddings.weight, teacher.bert.embeddings.word_embeddings.weight)

    student = M.init_from_teacher_layers(teacher)          # default 4 -> 2: [0, 2]
    assert isinstance(student, BertForMaskedLM) and student.config.num_hidden_layers == 2
    assert _layers_equal(student.bert.encoder.layer[0], teacher.bert.encoder.layer[0])
    assert _layers_equal(student.bert.encoder.layer[1], teacher.bert.encoder.layer[2])
    assert _layers_equal(student.cls, teacher.cls)
    assert _layers_equal(student.bert.embeddings, teacher.bert.embeddings)
    # tying survives: decoder weight is the (copied) word embedding
    assert student.cls.predictions.decoder.weight.data_ptr() == \
        student.bert.embeddings.word_embeddings.weight.data_ptr()

    clf = M.init_from_teacher_layers(teacher, [3, 1], num_labels=4)
    assert isinstance(clf, BertForSequenceClassification) and clf.config.num_labels == 4
    assert _layers_equal(clf.bert.encoder.layer[0], teacher.bert.encoder.layer[3])
    assert _layers_equal(clf.bert.encoder.layer[1], teacher.bert.encoder.layer[1])
    with pytest.raises(ValueError):
        M.init_from_teacher_layers(teacher, [0, 4])


def test_to_distilbert_structure_and_map():
    teacher = M.new_mlm_model(tiny_cfg(L=4)).eval()
    db = M.to_distilbert(teacher)
    assert isinstance(db, DistilBertForMaskedLM) and db.config.n_layers == 2
    assert not hasattr(db.distilbert.embeddings, 'token_type_embeddings')
    assert _same(db.distilbert.transformer.layer[1].ffn.lin1.weight, teacher.bert.encoder.layer[2].intermediate.dense.weight)
    assert _same(db.vocab_projector.bias, teacher.cls.predictions.bias)
    assert _same(db.distilbert.embeddings.position_embeddings.weight, teacher.bert.embeddings.position_embeddings.weight)


@pytest.mark.parametrize('act', ['gelu', 'relu'])
def test_to_distilbert_identity_map_reproduces_teacher(act):
    teacher = M.new_mlm_model(tiny_cfg(L=3, hidden_act=act)).eval()
    db = M.to_distilbert(teacher, layer_map=[0, 1, 2], fold_token_type=True).eval()
    ids = rand_ids(B=3, T=12)
    mask = torch.ones_like(ids)
    mask[1, 8:] = 0
    with torch.no_grad():
        t = teacher(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        s = db(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    assert torch.allclose(s.hidden_states[-1], t.hidden_states[-1], atol=1e-5)
    assert torch.allclose(s.logits, t.logits, atol=1e-4)
    # without folding, the token-type-0 vector is missing, so the outputs differ
    db2 = M.to_distilbert(teacher, layer_map=[0, 1, 2]).eval()
    with torch.no_grad():
        s2 = db2(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    assert not torch.allclose(s2.hidden_states[-1], t.hidden_states[-1], atol=1e-3)


# ---------------------------------------------------------------------- BiLSTM

def small_lstm(**kw):
    args = dict(vocab_size=VOCAB, num_labels=3, embedding_dim=16, hidden_size=12, dense_size=20)
    args.update(kw)
    return M.BiLSTMClassifier(**args).eval()


def test_bilstm_shapes():
    model = small_lstm()
    out = model(rand_ids(B=4, T=7), token_type_ids=torch.zeros(4, 7, dtype=torch.long))
    assert out.logits.shape == (4, 3) and out.representation.shape == (4, 20)
    labels = torch.tensor([0, 1, 2, 0])
    model.train()
    loss = model(rand_ids(B=4, T=7), labels=labels).loss
    loss.backward()
    assert loss.ndim == 0 and model.lstm.weight_ih_l0.grad is not None


def test_bilstm_pads_do_not_matter():
    model = small_lstm()
    ids = rand_ids(B=3, T=9)
    mask = torch.ones_like(ids)
    mask[0, 5:] = 0
    mask[2, 2:] = 0
    ids = ids.masked_fill(mask == 0, 0)
    with torch.no_grad():
        ref = model(ids, mask).logits
        # (1) other token ids at pad positions
        ids2 = ids.clone()
        ids2[mask == 0] = 7
        assert torch.allclose(model(ids2, mask).logits, ref, atol=1e-6)
        # (2) more padding appended
        ids3 = torch.cat([ids, torch.zeros(3, 4, dtype=torch.long)], 1)
        mask3 = torch.cat([mask, torch.zeros(3, 4, dtype=torch.long)], 1)
        assert torch.allclose(model(ids3, mask3).logits, ref, atol=1e-6)
        # (3) the mask inferred from pad_token_id gives the same result
        assert torch.allclose(model(ids).logits, ref, atol=1e-6)
        # (4) a changed pad embedding changes nothing
        model.embedding.weight[0] += 5.0
        assert torch.allclose(model(ids, mask).logits, ref, atol=1e-6)
        # (5) left padding = right padding
        left_ids = torch.stack([torch.roll(ids[0], 4)])
        left_mask = torch.stack([torch.roll(mask[0], 4)])
        assert torch.allclose(model(left_ids, left_mask).logits, ref[:1], atol=1e-6)
        # (6) each example alone (no padding at all) = in the batch
        assert torch.allclose(model(ids[2:3, :2]).logits, ref[2:3], atol=1e-6)


def test_bilstm_max_pool_ignores_pads_with_negative_features():
    # With every LSTM output negative, an unmasked max would pick the pads' zeros.
    model = small_lstm()
    with torch.no_grad():
        for name, p in model.lstm.named_parameters():
            p.zero_()
            if name.startswith('bias_ih'):
                h = model.lstm.hidden_size   # gates i, f, g, o: make g very negative, o open
                p[2 * h:3 * h] = -10.0
                p[3 * h:] = 10.0
        ids = torch.tensor([[5, 6, 0, 0]])
        captured = {}

        def hook(module, inputs, output):
            captured['x'] = inputs[0]   # returns None: the output is left alone

        model.dense.register_forward_hook(hook)
        model(ids)
    assert (captured['x'] < 0).all()


def test_bilstm_parameter_count():
    n = M.bilstm_parameter_count(25000, 300, 600, 1024, 2)
    assert abs(n / 1e6 - 13.0) < 0.1
    lstm = 2 * 4 * (600 * 900 + 2 * 600)
    keras_lstm = 2 * 4 * (600 * 900 + 600)
    assert round(keras_lstm / 1e6, 2) == 4.32 and lstm - keras_lstm == 4800
    assert round((1200 * 1024 + 1024) / 1e6, 2) == 1.23
    assert 25.5 < 340e6 / n < 26.5
    small = dict(vocab_size=VOCAB, embedding_dim=16, hidden_size=12, dense_size=20, num_labels=3)
    assert M.count_parameters(M.BiLSTMClassifier(**small)) == M.bilstm_parameter_count(**small)


def test_bilstm_parameter_count_full_size_instantiated():
    model = M.BiLSTMClassifier(25000, 2, embedding_dim=300, hidden_size=600, dense_size=1024)
    assert M.count_parameters(model) == M.bilstm_parameter_count(25000, 300, 600, 1024, 2)


@pytest.mark.parametrize('projection', ['pca', 'random'])
def test_bilstm_init_embeddings_from_teacher(projection):
    teacher = M.new_mlm_model(tiny_cfg(L=1, H=32))
    model = small_lstm().init_embeddings_from(teacher.bert.embeddings.word_embeddings, projection)
    W = model.embedding.weight
    assert W.shape == (VOCAB, 16) and torch.all(W[0] == 0) and W[1:].abs().sum() > 0
    with pytest.raises(ValueError):
        small_lstm(vocab_size=VOCAB + 1).init_embeddings_from(teacher.bert.embeddings.word_embeddings)
    with pytest.raises(ValueError):
        small_lstm(embedding_dim=64).init_embeddings_from(teacher.bert.embeddings.word_embeddings, 'pca')


# ------------------------------------------------------------ save and load

def test_bert_round_trip(tmp_path):
    teacher = M.new_mlm_model(tiny_cfg(L=2, H=32)).eval()
    teacher.save_pretrained(tmp_path / 'mlm')
    assert (tmp_path / 'mlm' / 'model.safetensors').exists()
    ids = rand_ids()
    loaded = M.load_model(tmp_path / 'mlm', kind='mlm').eval()
    with torch.no_grad():
        assert torch.equal(loaded(ids).logits, teacher(ids).logits)
    # a classifier from the MLM checkpoint (Turc's pre-trained student)
    clf = M.init_from_pretrained(str(tmp_path / 'mlm'), num_labels=3).eval()
    assert isinstance(clf, BertForSequenceClassification) and clf.config.num_labels == 3
    assert _layers_equal(clf.bert.encoder.layer[1], teacher.bert.encoder.layer[1])
    clf.save_pretrained(tmp_path / 'clf')
    again = M.load_model(tmp_path / 'clf', kind='classifier').eval()
    with torch.no_grad():
        assert torch.equal(again(ids).logits, clf(ids).logits)
    # DistilBERT saves and reloads through the same helper
    db = M.to_distilbert(teacher).eval()
    db.save_pretrained(tmp_path / 'db')
    db2 = M.load_model(tmp_path / 'db', kind='mlm').eval()
    with torch.no_grad():
        assert torch.equal(db2(ids).logits, db(ids).logits)


def test_bilstm_round_trip(tmp_path):
    model = small_lstm()
    model.save_pretrained(tmp_path / 'lstm')
    assert (tmp_path / 'lstm' / 'model.safetensors').exists() and (tmp_path / 'lstm' / 'config.json').exists()
    loaded = M.load_model(tmp_path / 'lstm', kind='bilstm').eval()
    ids = rand_ids()
    with torch.no_grad():
        assert torch.equal(loaded(ids).logits, model(ids).logits)
    assert loaded.config == model.config


def test_load_model_offline_hub_name(monkeypatch):
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    name = 'minilab-test/definitely-not-a-model'
    start = time.time()
    with pytest.raises(M.ModelNotFoundError) as info:
        M.load_model(name, kind='mlm')
    assert time.time() - start < 10
    msg = str(info.value)
    assert msg == (f"model '{name}' is not a local directory and the hub is unreachable (offline); "
                   "give a local path saved with save_pretrained, or connect and retry")
    assert isinstance(info.value, ValueError)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    with pytest.raises(M.ModelNotFoundError):
        M.load_model(name, kind='bilstm')
    with pytest.raises(ValueError, match='kind'):
        M.load_model(name, kind='seq2seq')
