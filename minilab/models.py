"""Student and teacher models for the three distillation papers.

Everything here returns plain ``transformers`` models (BertForMaskedLM,
BertForSequenceClassification, DistilBertForMaskedLM) so that
``save_pretrained``/``from_pretrained`` (safetensors) just work, plus one small
PyTorch module, :class:`BiLSTMClassifier`, for the task-specific student of
Mukherjee & Hassan Awadallah (2020), which saves and loads the same way.

Usage::

    from minilab.models import (parse_size, bert_config, new_mlm_model,
                                init_truncated, to_distilbert, BiLSTMClassifier)

    L, H = parse_size('mini')                      # (2, 64) on the CPU grid
    L, H = parse_size('mini', scale='paper')       # (4, 256), Turc et al.
    cfg = bert_config(L, H, vocab_size=8000)       # A = H/64 heads, FFN = 4H
    teacher = new_mlm_model(cfg)                   # or load_model('dir', 'mlm')
    student = init_truncated(teacher, 1, num_labels=2)   # Turc's truncation baseline
    distil = to_distilbert(teacher)                # DistilBERT arch, layers [0, 2, ...]
    lstm = BiLSTMClassifier(8000, num_labels=2, dense_size=H)
    lstm.save_pretrained('out/lstm'); BiLSTMClassifier.from_pretrained('out/lstm')

Sizes.  Turc et al. (2019) train 24 students on the grid L x H with
L in {2,4,6,8,10,12} and H in {128,256,512,768}.  ``MINI_GRID_*`` is the same
6 x 4 shape with depth halved and width quartered, so the whole grid trains on
a CPU.  Named sizes (tiny/mini/small/medium/base) exist on both scales.

Parameter counts.  :func:`bert_parameter_count` counts analytically what the
paper counts (embeddings + layers + pooler + MLM head transform + decoder bias,
decoder weight tied) and reproduces its table to 0.1M.
"""
from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import torch
from torch import nn
from transformers import (
    AutoModelForMaskedLM,
    AutoModelForSequenceClassification,
    BertConfig,
    BertForMaskedLM,
    BertForSequenceClassification,
    BertModel,
    DistilBertConfig,
    DistilBertForMaskedLM,
)
from transformers.utils import ModelOutput

from minilab import packaged

__all__ = [
    'PAPER_GRID_L', 'PAPER_GRID_H', 'MINI_GRID_L', 'MINI_GRID_H', 'PAPER_NAMED', 'MINI_NAMED',
    'parse_size', 'size_grid', 'size_name', 'bert_config', 'count_parameters',
    'bert_parameter_count', 'new_mlm_model', 'new_classifier', 'init_random',
    'init_from_pretrained', 'init_truncated', 'init_embeddings_only', 'distilbert_layer_map',
    'init_from_teacher_layers', 'to_distilbert', 'BiLSTMClassifier', 'BiLSTMOutput',
    'bilstm_parameter_count', 'load_model', 'resolve_model', 'ModelNotFoundError', 'quiet_transformers',
]

# ---------------------------------------------------------------------------
# Sizes
# ---------------------------------------------------------------------------

PAPER_GRID_L = (2, 4, 6, 8, 10, 12)
PAPER_GRID_H = (128, 256, 512, 768)
# CPU grid: depth halved, width quartered, same 6 x 4 shape (so every figure of
# the paper has a counterpart cell).
MINI_GRID_L = (1, 2, 3, 4, 5, 6)
MINI_GRID_H = (32, 64, 128, 192)

PAPER_NAMED = {'tiny': (2, 128), 'mini': (4, 256), 'small': (4, 512), 'medium': (8, 512), 'base': (12, 768)}
MINI_NAMED = {'tiny': (1, 32), 'mini': (2, 64), 'small': (2, 128), 'medium': (4, 128), 'base': (6, 192)}

_SCALES = {'paper': (PAPER_GRID_L, PAPER_GRID_H, PAPER_NAMED), 'mini': (MINI_GRID_L, MINI_GRID_H, MINI_NAMED)}
_SIZE_RE = re.compile(r'^\s*L(\d+)\s*[_-]\s*H(\d+)\s*$', re.IGNORECASE)


def _scale(scale: str):
    if scale not in _SCALES:
        raise ValueError(f"unknown scale {scale!r}; valid: {', '.join(map(repr, _SCALES))}")
    return _SCALES[scale]


def parse_size(spec, scale: str = 'mini') -> tuple[int, int]:
    """Turn 'tiny', 'L4_H256', 'L4-H256' or (4, 256) into (num_layers, hidden_size).

    ``scale`` only affects the named sizes ('mini' = CPU grid, 'paper' = Turc et al.);
    an explicit L/H spec is taken as given.
    """
    named = _scale(scale)[2]
    valid = f"{', '.join(named)}, 'L<layers>_H<hidden>' (e.g. 'L4_H256') or a (layers, hidden) pair"
    if isinstance(spec, str):
        key = spec.strip().lower()
        if key in named:
            return named[key]
        m = _SIZE_RE.match(spec)
        if m is None:
            raise ValueError(f"unknown model size {spec!r}; valid: {valid}")
        L, H = int(m.group(1)), int(m.group(2))
    elif isinstance(spec, (tuple, list)) and len(spec) == 2 and all(isinstance(x, int) for x in spec):
        L, H = spec
    else:
        raise ValueError(f"unknown model size {spec!r}; valid: {valid}")
    if L < 1 or H < 1:
        raise ValueError(f"model size {spec!r} needs layers >= 1 and hidden >= 1; valid: {valid}")
    return int(L), int(H)


def size_grid(scale: str = 'mini') -> list[tuple[int, int]]:
    """The 24 (L, H) cells of the grid, row-major (L outer), as in the paper's table."""
    Ls, Hs, _ = _scale(scale)
    return [(L, H) for L in Ls for H in Hs]


def size_name(num_layers: int, hidden_size: int) -> str:
    """(4, 256) -> 'L4_H256', the naming of Google's released miniatures."""
    return f'L{num_layers}_H{hidden_size}'


# ---------------------------------------------------------------------------
# BERT configs and parameter counts
# ---------------------------------------------------------------------------

def bert_config(num_layers: int, hidden_size: int, vocab_size: int, max_position_embeddings: int = 512,
                num_labels: int = 2, **overrides) -> BertConfig:
    """A BertConfig with Turc et al.'s shape rules: A = H/64 heads (at least 1), FFN = 4H.

    Dropouts, GELU, LayerNorm eps 1e-12 and init range 0.02 stay at BERT's
    defaults; anything can be overridden by keyword.
    """
    heads = overrides.pop('num_attention_heads', max(1, hidden_size // 64))
    if hidden_size % heads:
        raise ValueError(f'hidden_size {hidden_size} is not divisible by num_attention_heads {heads}')
    kwargs = dict(vocab_size=vocab_size, hidden_size=hidden_size, num_hidden_layers=num_layers,
                  num_attention_heads=heads, intermediate_size=4 * hidden_size,
                  max_position_embeddings=max_position_embeddings, num_labels=num_labels)
    kwargs.update(overrides)
    return BertConfig(**kwargs)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters; tied weights count once (``parameters()`` dedups)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def bert_parameter_count(L: int, H: int, vocab_size: int = 30522, max_position: int = 512, type_vocab: int = 2,
                         with_pooler: bool = True, with_mlm_head: bool = True,
                         intermediate_size: Optional[int] = None) -> int:
    """Analytic parameter count of BERT (L layers, width H), as counted by Turc et al.

    = embeddings (word + position + token type + LayerNorm) + L layers
      + pooler + MLM head transform (dense + LayerNorm) + decoder bias.
    The decoder weight is tied to the word embeddings and is not counted again;
    the NSP head (2H + 2) is not counted.  Reproduces papers.md 1.4 to 0.1M.
    """
    F = 4 * H if intermediate_size is None else intermediate_size
    emb = (vocab_size + max_position + type_vocab) * H + 2 * H
    layer = (4 * (H * H + H)          # Q, K, V, attention output
             + 2 * H                  # attention LayerNorm
             + H * F + F + F * H + H  # feed-forward
             + 2 * H)                 # output LayerNorm
    n = emb + L * layer
    if with_pooler:
        n += H * H + H
    if with_mlm_head:
        n += H * H + H + 2 * H + vocab_size
    return n


# ---------------------------------------------------------------------------
# Builders and the Turc et al. initialisations
# ---------------------------------------------------------------------------

@contextlib.contextmanager
def quiet_transformers():
    """Silence transformers' LOAD REPORT (a logger warning) and its tqdm bars for a block."""
    from transformers.utils import logging as hf_logging
    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def new_mlm_model(config: BertConfig) -> BertForMaskedLM:
    """A randomly initialised BERT masked-LM (no pooler, no NSP: Turc's pre-training objective)."""
    return BertForMaskedLM(config)


def _with_labels(config, num_labels: int):
    config = copy.deepcopy(config)
    config.num_labels = num_labels
    return config


def new_classifier(config: BertConfig, num_labels: int) -> BertForSequenceClassification:
    """A randomly initialised BERT classifier ([CLS] -> pooler -> dropout -> linear)."""
    return BertForSequenceClassification(_with_labels(config, num_labels))


def init_random(config: BertConfig, num_labels: int) -> BertForSequenceClassification:
    """Turc et al. (2019): the 'basic training' baseline, a student with no pre-training."""
    return new_classifier(config, num_labels)


def init_from_pretrained(name_or_path, num_labels: int) -> nn.Module:
    """Turc et al. (2019): a pre-trained compact model (e.g. after MLM pre-training) as a classifier.

    The MLM head is dropped and the pooler/classifier are new (the LOAD REPORT
    that transformers 5 prints about them is silenced).
    """
    return load_model(name_or_path, kind='classifier', num_labels=num_labels)


def _backbone(model) -> BertModel:
    if isinstance(model, BertModel):
        return model
    if isinstance(getattr(model, 'bert', None), BertModel):
        return model.bert
    raise TypeError(f'expected a BERT model (BertModel/BertFor*), got {type(model).__name__}')


def distilbert_layer_map(n_teacher: int, n_student: int) -> list[int]:
    """Which teacher layers initialise the student (Sanh et al. 2019, DistilBERT).

    12 -> 6 is the official ``extract_distilbert.py`` choice [0, 2, 4, 7, 9, 11]
    (keeps the top layer); otherwise 'one layer out of two', i.e. every
    ``n_teacher / n_student``-th layer from the bottom (6 -> 3: [0, 2, 4]).
    """
    if n_student < 1 or n_teacher < 1:
        raise ValueError(f'layer counts must be >= 1, got teacher {n_teacher}, student {n_student}')
    if n_student > n_teacher:
        raise ValueError(f'student has more layers ({n_student}) than the teacher ({n_teacher})')
    if (n_teacher, n_student) == (12, 6):
        return [0, 2, 4, 7, 9, 11]
    step = n_teacher / n_student
    return [int(i * step) for i in range(n_student)]


def init_from_teacher_layers(teacher, layer_map: Optional[Sequence[int]] = None,
                             num_labels: Optional[int] = None) -> nn.Module:
    """Sanh et al. (2019), DistilBERT initialisation, keeping the BERT architecture.

    The student has ``len(layer_map)`` layers (default: half the teacher's,
    :func:`distilbert_layer_map`); student layer i is a copy of teacher layer
    ``layer_map[i]``.  Embeddings (and the pooler, if both have one) are copied.
    ``num_labels=None`` gives a model of the teacher's kind (an MLM teacher gives
    an MLM student with the MLM head copied); an int gives a classifier with a
    new classification head.
    """
    n_teacher = teacher.config.num_hidden_layers
    if layer_map is None:
        layer_map = distilbert_layer_map(n_teacher, max(1, n_teacher // 2))
    layer_map = list(layer_map)
    if not layer_map or any(not 0 <= i < n_teacher for i in layer_map):
        raise ValueError(f'layer_map {layer_map} must be non-empty and index teacher layers 0..{n_teacher - 1}')
    config = copy.deepcopy(teacher.config)
    config.num_hidden_layers = len(layer_map)
    if num_labels is not None:
        student = new_classifier(config, num_labels)
    else:
        student = type(teacher)(config)

    # Copy backbone tensors by name, renaming student layer i <- teacher layer layer_map[i].
    src = _backbone(teacher).state_dict()
    dst = _backbone(student)
    new_state = {}
    for key in dst.state_dict():
        m = re.match(r'encoder\.layer\.(\d+)\.(.*)', key)
        src_key = f'encoder.layer.{layer_map[int(m.group(1))]}.{m.group(2)}' if m else key
        if src_key in src:
            new_state[key] = src[src_key]
    dst.load_state_dict(new_state, strict=False)
    # The MLM head is part of DistilBERT's initialisation (extract_distilbert.py copies it).
    if hasattr(student, 'cls') and hasattr(teacher, 'cls'):
        student.cls.load_state_dict(teacher.cls.state_dict())
    return student


def init_truncated(teacher, num_layers: int, num_labels: Optional[int] = None) -> nn.Module:
    """Turc et al. (2019): the 'truncation' baseline -- the bottom ``num_layers`` layers of a
    pre-trained teacher (same width).  ``num_labels`` as in :func:`init_from_teacher_layers`."""
    n_teacher = teacher.config.num_hidden_layers
    if not 1 <= num_layers <= n_teacher:
        raise ValueError(f'num_layers must be in 1..{n_teacher} (the teacher depth), got {num_layers}')
    return init_from_teacher_layers(teacher, list(range(num_layers)), num_labels)


def init_embeddings_only(pretrained, config: BertConfig, num_labels: int) -> BertForSequenceClassification:
    """Turc et al. (2019): the 'embeddings-only' baseline -- word, position and token-type
    embeddings and the embedding LayerNorm from a pre-trained model of the same width;
    Transformer layers, pooler and classifier random.

    Position embeddings are copied for the first ``config.max_position_embeddings`` rows.
    """
    src = _backbone(pretrained).embeddings
    student = new_classifier(config, num_labels)
    dst = student.bert.embeddings
    if src.word_embeddings.weight.shape != dst.word_embeddings.weight.shape:
        raise ValueError(f'word embeddings differ in shape: pretrained {tuple(src.word_embeddings.weight.shape)} '
                         f'vs config {tuple(dst.word_embeddings.weight.shape)} (need same vocab and width)')
    n_pos = dst.position_embeddings.weight.shape[0]
    if src.position_embeddings.weight.shape[0] < n_pos:
        raise ValueError(f'pretrained model has fewer positions than config.max_position_embeddings={n_pos}')
    with torch.no_grad():
        dst.word_embeddings.weight.copy_(src.word_embeddings.weight)
        dst.position_embeddings.weight.copy_(src.position_embeddings.weight[:n_pos])
        n_tt = min(dst.token_type_embeddings.weight.shape[0], src.token_type_embeddings.weight.shape[0])
        dst.token_type_embeddings.weight[:n_tt].copy_(src.token_type_embeddings.weight[:n_tt])
        dst.LayerNorm.load_state_dict(src.LayerNorm.state_dict())
    return student


# ---------------------------------------------------------------------------
# DistilBERT architecture
# ---------------------------------------------------------------------------

def to_distilbert(bert_mlm_model: BertForMaskedLM, layer_map: Optional[Sequence[int]] = None,
                  fold_token_type: bool = False) -> DistilBertForMaskedLM:
    """Sanh et al. (2019): the DistilBERT student, initialised from a BERT MLM teacher.

    DistilBERT = BERT without token-type embeddings and pooler.  Copied: word and
    position embeddings, embedding LayerNorm, the mapped layers (default half
    depth, :func:`distilbert_layer_map`) and the MLM head (vocab_transform,
    vocab_layer_norm, vocab_projector; the projector weight stays tied to the
    word embeddings, its bias is the teacher's decoder bias).

    ``fold_token_type=True`` adds ``token_type_embeddings[0]`` (what BERT adds
    to every token when no token types are given) into the position
    embeddings, so that with the identity map the student computes exactly the
    teacher's function on single-segment inputs.  The official script does not
    do this (it drops token types), so the default is False.
    """
    if not isinstance(bert_mlm_model, BertForMaskedLM):
        raise TypeError(f'to_distilbert needs a BertForMaskedLM, got {type(bert_mlm_model).__name__}')
    tc = bert_mlm_model.config
    if getattr(tc, 'position_embedding_type', 'absolute') not in (None, 'absolute'):
        raise ValueError('DistilBERT only supports absolute position embeddings')
    n_teacher = tc.num_hidden_layers
    if layer_map is None:
        layer_map = distilbert_layer_map(n_teacher, max(1, n_teacher // 2))
    layer_map = list(layer_map)
    if not layer_map or any(not 0 <= i < n_teacher for i in layer_map):
        raise ValueError(f'layer_map {layer_map} must be non-empty and index teacher layers 0..{n_teacher - 1}')
    # DistilBERT uses get_activation(config.activation) both in the FFN and the MLM
    # head, where BERT uses ACT2FN[hidden_act]; the same string gives the same function.
    if not isinstance(tc.hidden_act, str):
        raise ValueError('to_distilbert needs config.hidden_act to be a string (e.g. "gelu")')
    config = DistilBertConfig(
        vocab_size=tc.vocab_size, max_position_embeddings=tc.max_position_embeddings,
        sinusoidal_pos_embds=False, n_layers=len(layer_map), n_heads=tc.num_attention_heads,
        dim=tc.hidden_size, hidden_dim=tc.intermediate_size, dropout=tc.hidden_dropout_prob,
        attention_dropout=tc.attention_probs_dropout_prob, activation=tc.hidden_act,
        initializer_range=tc.initializer_range, pad_token_id=tc.pad_token_id, tie_word_embeddings=True,
    )
    student = DistilBertForMaskedLM(config)
    # DistilBERT hard-codes LayerNorm eps=1e-12 (BERT's default).  If the teacher
    # differs, patch the modules so the copy is faithful (not persisted on save).
    if tc.layer_norm_eps != 1e-12:
        for mod in student.modules():
            if isinstance(mod, nn.LayerNorm):
                mod.eps = tc.layer_norm_eps

    tb = bert_mlm_model.bert
    sd = student.distilbert
    with torch.no_grad():
        sd.embeddings.word_embeddings.weight.copy_(tb.embeddings.word_embeddings.weight)
        pos = tb.embeddings.position_embeddings.weight.clone()
        if fold_token_type:
            pos += tb.embeddings.token_type_embeddings.weight[0]
        sd.embeddings.position_embeddings.weight.copy_(pos)
        sd.embeddings.LayerNorm.load_state_dict(tb.embeddings.LayerNorm.state_dict())
        for i, j in enumerate(layer_map):
            s, t = sd.transformer.layer[i], tb.encoder.layer[j]
            pairs = [
                (s.attention.q_lin, t.attention.self.query), (s.attention.k_lin, t.attention.self.key),
                (s.attention.v_lin, t.attention.self.value), (s.attention.out_lin, t.attention.output.dense),
                (s.sa_layer_norm, t.attention.output.LayerNorm),
                (s.ffn.lin1, t.intermediate.dense), (s.ffn.lin2, t.output.dense),
                (s.output_layer_norm, t.output.LayerNorm),
            ]
            for dst, src in pairs:
                dst.load_state_dict(src.state_dict())
        head = bert_mlm_model.cls.predictions
        student.vocab_transform.load_state_dict(head.transform.dense.state_dict())
        student.vocab_layer_norm.load_state_dict(head.transform.LayerNorm.state_dict())
        student.vocab_projector.bias.copy_(head.bias)
        if student.vocab_projector.weight is not sd.embeddings.word_embeddings.weight:
            student.vocab_projector.weight.copy_(head.decoder.weight)
    return student


# ---------------------------------------------------------------------------
# BiLSTM student (Mukherjee & Hassan Awadallah 2020, XtremeDistil v1)
# ---------------------------------------------------------------------------

@dataclass
class BiLSTMOutput(ModelOutput):
    """``logits`` (B, num_labels); ``representation`` (B, dense_size), the GELU dense layer
    that regresses the teacher's [CLS] vector; ``loss`` when ``labels`` are given."""
    loss: Optional[torch.Tensor] = None
    logits: Optional[torch.Tensor] = None
    representation: Optional[torch.Tensor] = None


class BiLSTMClassifier(nn.Module):
    """The task-specific BiLSTM student of Mukherjee & Hassan Awadallah (2020), XtremeDistil v1.

    embedding (300) -> dropout -> BiLSTM (600 per direction) -> masked global
    max-pool over time -> dropout -> Dense(dense_size) + GELU ("representation")
    -> dropout -> Linear(num_labels).  ``dense_size`` should be the teacher's
    hidden width so the representation can regress the teacher's [CLS] vector.

    Differences from the Keras original: PyTorch's LSTM has two bias vectors
    per gate (Keras one: +8*hidden parameters), and there is no recurrent
    dropout.  Padding is handled exactly: sequences are packed, so pads never
    enter the LSTM, and pad positions are excluded from the max-pool.
    """

    config_name = 'config.json'
    weights_name = 'model.safetensors'
    model_type = 'minilab-bilstm'

    def __init__(self, vocab_size: int, num_labels: int, embedding_dim: int = 300, hidden_size: int = 600,
                 dense_size: int = 768, dropout: float = 0.4, pad_token_id: int = 0):
        super().__init__()
        self.config = dict(vocab_size=vocab_size, num_labels=num_labels, embedding_dim=embedding_dim,
                           hidden_size=hidden_size, dense_size=dense_size, dropout=dropout,
                           pad_token_id=pad_token_id)
        self.pad_token_id = pad_token_id
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_token_id)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True, bidirectional=True)
        self.dense = nn.Linear(2 * hidden_size, dense_size)
        self.act = nn.GELU()
        self.classifier = nn.Linear(dense_size, num_labels)
        self.dropout = nn.Dropout(dropout)

    @property
    def num_labels(self) -> int:
        return self.config['num_labels']

    def forward(self, input_ids, attention_mask=None, labels=None, **ignored) -> BiLSTMOutput:
        """``token_type_ids`` etc. are accepted and ignored, so HF batches can be passed as **batch."""
        if attention_mask is None:
            attention_mask = input_ids != self.pad_token_id
        mask = attention_mask.bool()
        B, T = input_ids.shape
        # Move real tokens to the front of each row (stable, so order is kept);
        # this makes left padding and holes work with packing too.
        order = torch.argsort((~mask).to(torch.int8), dim=1, stable=True)
        ids = torch.gather(input_ids, 1, order)
        lengths = mask.sum(1)
        x = self.dropout(self.embedding(ids))
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.clamp(min=1).cpu(), batch_first=True,
                                                   enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
        # Masked max over time: pads must not win (padded outputs are 0, which
        # would beat all-negative features).  An all-pad row pools to zeros.
        valid = torch.arange(T, device=out.device)[None, :] < lengths[:, None]
        out = out.masked_fill(~valid[..., None], torch.finfo(out.dtype).min)
        pooled = out.max(dim=1).values
        pooled = torch.where((lengths > 0)[:, None], pooled, torch.zeros_like(pooled))
        rep = self.act(self.dense(self.dropout(pooled)))
        logits = self.classifier(self.dropout(rep))
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return BiLSTMOutput(loss=loss, logits=logits, representation=rep)

    @torch.no_grad()
    def init_embeddings_from(self, teacher_word_embeddings, projection: str = 'pca', seed: int = 0):
        """Start the embedding from the teacher's word embeddings (same WordPiece vocabulary).

        The paper uses GloVe; with the teacher's tokenizer the closest offline
        substitute is the teacher's own embedding table, projected from the
        teacher width to ``embedding_dim``:
          * 'pca': onto the top principal directions (SVD of the centred table;
            needs embedding_dim <= teacher width);
          * 'random': a fixed Gaussian matrix N(0, 1/embedding_dim) from ``seed``
            (Johnson-Lindenstrauss: norms and dot products kept on average).
        The padding row is set to zero.  Returns self.
        """
        W = teacher_word_embeddings
        if isinstance(W, nn.Embedding):
            W = W.weight
        W = W.detach().float().cpu()
        V, E = self.embedding.weight.shape
        if W.shape[0] != V:
            raise ValueError(f'teacher vocab {W.shape[0]} != student vocab {V}; they must share the tokenizer')
        if projection == 'pca':
            if E > W.shape[1]:
                raise ValueError(f"projection='pca' needs embedding_dim ({E}) <= teacher width ({W.shape[1]})")
            centred = W - W.mean(0, keepdim=True)
            _, _, Vh = torch.linalg.svd(centred, full_matrices=False)
            P = Vh[:E].T
        elif projection == 'random':
            g = torch.Generator().manual_seed(seed)
            P = torch.randn(W.shape[1], E, generator=g) / math.sqrt(E)
        else:
            raise ValueError(f"unknown projection {projection!r}; valid: 'pca', 'random'")
        self.embedding.weight.copy_((W @ P).to(self.embedding.weight.dtype))
        if self.pad_token_id is not None:
            self.embedding.weight[self.pad_token_id].zero_()
        return self

    def save_pretrained(self, save_directory) -> None:
        """config.json + model.safetensors, like a transformers model."""
        from safetensors.torch import save_file
        d = Path(save_directory)
        d.mkdir(parents=True, exist_ok=True)
        (d / self.config_name).write_text(json.dumps({'model_type': self.model_type, **self.config}, indent=2))
        save_file({k: v.detach().contiguous().cpu() for k, v in self.state_dict().items()},
                  str(d / self.weights_name))

    @classmethod
    def from_pretrained(cls, save_directory, map_location='cpu') -> 'BiLSTMClassifier':
        from safetensors.torch import load_file
        d = Path(save_directory)
        cfg = json.loads((d / cls.config_name).read_text())
        if cfg.pop('model_type', None) != cls.model_type:
            raise ValueError(f'{d} does not hold a {cls.model_type} model')
        model = cls(**cfg)
        model.load_state_dict(load_file(str(d / cls.weights_name), device=str(map_location)))
        return model


def bilstm_parameter_count(vocab_size: int, embedding_dim: int = 300, hidden_size: int = 600,
                           dense_size: int = 768, num_labels: int = 2) -> int:
    """Parameters of :class:`BiLSTMClassifier` (PyTorch LSTM: two bias vectors per gate).

    vocab 25000, 300, 600, 1024, 2 -> 13.06M: embeddings 7.5M + BiLSTM 4.33M
    (Keras, one bias: 4.32M) + dense 1.23M + output 2k (papers.md 3.3).
    """
    emb = vocab_size * embedding_dim
    lstm = 2 * 4 * (hidden_size * (embedding_dim + hidden_size) + 2 * hidden_size)
    dense = 2 * hidden_size * dense_size + dense_size
    out = dense_size * num_labels + num_labels
    return emb + lstm + dense + out


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------

class ModelNotFoundError(ValueError):
    """A model name that is neither a local directory nor reachable on the hub."""


def offline() -> bool:
    return os.environ.get('HF_HUB_OFFLINE', '').strip().lower() in ('1', 'true', 'yes', 'on')


def local_shape(name_or_path) -> Optional[tuple]:
    """(layers, width) read from a local model folder's config.json (BERT or
    DistilBERT names), or None for anything that is not such a folder."""
    config = Path(packaged.model_source(name_or_path)) / 'config.json'
    if not config.is_file():
        return None
    c = json.loads(config.read_text())
    layers, width = c.get('num_hidden_layers', c.get('n_layers')), c.get('hidden_size', c.get('dim'))
    return (int(layers), int(width)) if layers and width else None


def resolve_model(name_or_path, what: str = 'model') -> str:
    """Raise :class:`ModelNotFoundError` (one line) unless :func:`load_model`
    can load `name_or_path`: a local folder with a config.json, or a hub name
    the hub can give (offline: one in the local hub cache). Nothing is loaded
    or downloaded; `what` names the value in the message ('teacher init')."""
    from minilab import data
    name = packaged.model_source(name_or_path)
    valid = ("a folder saved with save_pretrained or a hub model in the local cache "
             "('pretrain' for teacher_init / student_init: the kit pre-trains it)")
    if os.path.exists(name):
        if not os.path.isfile(os.path.join(name, 'config.json')):
            raise ModelNotFoundError(f"{what} {name!r} is not a folder with a config.json; valid offline: {valid}")
        return name
    why = data.hub_reason(name, 'model', files=('config.json',))
    if why:
        raise ModelNotFoundError(f"{what} {name!r} is neither a local path nor reachable on the hub ({why}); "
                                 f"valid offline: {valid}")
    return name


def load_model(name_or_path, kind: str = 'mlm', num_labels: Optional[int] = None) -> nn.Module:
    """Load a saved model from a local directory or a hub name.

    kind: 'mlm' (AutoModelForMaskedLM: BERT or DistilBERT), 'classifier'
    (AutoModelForSequenceClassification; ``num_labels`` sets a new head size),
    'bilstm' (:class:`BiLSTMClassifier`, local directories only).
    Raises :class:`ModelNotFoundError` (one line, no chained traceback) when the
    name is not a local directory and the hub cannot provide it.
    """
    kinds = ('mlm', 'classifier', 'bilstm')
    if kind not in kinds:
        raise ValueError(f"unknown kind {kind!r}; valid: {', '.join(map(repr, kinds))}")
    name = packaged.model_source(name_or_path)
    local = os.path.isdir(name)
    if kind == 'bilstm':
        if not local:
            raise ModelNotFoundError(f"model {name!r} is not a local directory; BiLSTM students are only "
                                     f"saved locally with save_pretrained")
        return BiLSTMClassifier.from_pretrained(name)
    offline_msg = (f"model {name!r} is not a local directory and the hub is unreachable (offline); "
                   f"give a local path saved with save_pretrained, or connect and retry")
    kwargs = {} if num_labels is None else {'num_labels': num_labels}
    if offline():
        # huggingface_hub reads HF_HUB_OFFLINE once, at import; an env var set
        # later (e.g. in a notebook cell) would otherwise still try the network
        # and retry for ~20-50 s.  local_files_only keeps cached hub models usable.
        kwargs['local_files_only'] = True
    auto = AutoModelForMaskedLM if kind == 'mlm' else AutoModelForSequenceClassification
    try:
        with quiet_transformers():
            return auto.from_pretrained(name, **kwargs)
    except OSError as err:
        if local:
            raise
        text = str(err).lower()
        if offline() or 'connect' in text or 'offline' in text or 'cached files' in text:
            raise ModelNotFoundError(offline_msg) from None
        raise ModelNotFoundError(f"model {name!r} is not a local directory and was not found on the hub "
                                 f"({str(err).splitlines()[0]})") from None
