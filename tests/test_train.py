"""The training loop: dev-set model selection, named loss terms, checkpoint and resume."""
import pytest
import torch

from minilab import data, models, objectives
from minilab.train import fit


@pytest.fixture(scope='module')
def setup():
    tok = data.load_tokenizer('world')
    task = data.load_task('world/sentiment', train_size=64, dev_size=32, test_size=32)
    train = data.tokenize(task.train, tok, 32)
    dev = data.tokenize(task.dev, tok, 32)
    config = models.bert_config(1, 32, len(tok), max_position_embeddings=32)
    return tok, train, dev, config


def test_unknown_loss_term_is_an_error(setup):
    tok, train, dev, config = setup
    model = models.init_random(config, 2)
    with pytest.raises(ValueError, match="unknown terms \\['soft_ce'\\]"):
        fit(model, objectives.compose({'ce': 1.0}), {'soft_ce': 1.0}, train, tok, epochs=1, progress=False)


def test_history_and_dev_selection(setup):
    tok, train, dev, config = setup
    model = models.init_random(config, 2)
    result = fit(model, objectives.compose({'ce': 1.0}), {'ce': 1.0}, train, tok, dev_data=dev, epochs=2,
                 batch_size=16, progress=False)
    assert len(result['history']) == 2 and result['steps'] == 8
    best = max(row['dev_accuracy'] for row in result['history'])
    assert result['best_dev']['accuracy'] == best
    assert result['train_tokens'] > 0 and result['train_flops'] > 0


def test_checkpoint_and_resume(setup, tmp_path):
    """A second call with the same checkpoint_dir continues after the saved epoch."""
    tok, train, dev, config = setup
    torch.manual_seed(0)
    model = models.init_random(config, 2)
    first = fit(model, objectives.compose({'ce': 1.0}), {'ce': 1.0}, train, tok, dev_data=dev, epochs=1,
                batch_size=16, checkpoint_dir=tmp_path, progress=False)
    assert (tmp_path / 'loop.json').exists() and (tmp_path / 'state').is_dir()
    assert not (tmp_path / 'state.tmp').exists()
    resumed = fit(models.init_random(config, 2), objectives.compose({'ce': 1.0}), {'ce': 1.0}, train, tok,
                  dev_data=dev, epochs=2, batch_size=16, checkpoint_dir=tmp_path, progress=False)
    # one epoch was loaded from the checkpoint, one more was trained
    assert len(resumed['history']) == 2 and resumed['history'][0] == first['history'][0]
    assert resumed['steps'] == 8


def test_stages_of_different_precision_in_one_process(setup):
    """A bf16 stage, then an fp32 one, then bf16 again, in one process (a
    `minilab run` lane does this when a bf16 plan builds on an fp32 stage);
    Accelerate alone refuses the second precision."""
    tok, train, dev, config = setup
    for precision in ('bf16', 'no', 'bf16'):
        result = fit(models.init_random(config, 2), objectives.compose({'ce': 1.0}), {'ce': 1.0}, train, tok,
                     epochs=1, batch_size=32, progress=False, mixed_precision=precision)
        assert result['mixed_precision'] == precision and result['steps'] == 2
