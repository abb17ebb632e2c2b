"""Same config and seed, same numbers (issue 13, item 10).

torch seeds each new process at random, so before `minilab.train.reproducible`
the first model a process built (a plan's first pre-training) had new initial
weights in every run, and every later model's depended on what the process had
trained before it. With the seed set before the model is built, a bf16 run is
bit-for-bit the same; at a fixed thread count only, because the CPU kernels
(fp32 and bf16 alike) sum in an order that depends on it (measured: 1 and 2
threads part after a few steps), so the test pins one thread.
"""
import random

import numpy as np
import pytest
import torch

from minilab import data, models, objectives, paths, runs, stages
from minilab.train import fit, reproducible, seed_everything


@pytest.fixture(scope='module')
def setup():
    tok = data.load_tokenizer('world')
    corpus = data.lm_corpus('world', 96, seed=0)
    train = data.tokenize(corpus, tok, 32)
    config = models.bert_config(1, 32, len(tok), max_position_embeddings=32)  # dropout 0.1
    return tok, train, config


def _bf16_stage(setup, seed, noise):
    """A short bf16 MLM pre-training, built and trained as a stage is; `noise`
    random draws first stand for whatever the process did before."""
    tok, train, config = setup
    torch.rand(noise), random.random(), np.random.rand(noise)
    with reproducible(seed, threads=1):
        model = models.new_mlm_model(config)
        result = fit(model, objectives.compose({'mlm': 1.0}, tokenizer=tok, mlm_probability=0.4, seed=seed), {'mlm': 1.0}, train, tok, epochs=1,
                     batch_size=16, eval_every=1, seed=seed, mixed_precision='bf16',
                     progress=False, threads=1)
    weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return [row['train_mlm'] for row in result['history']], weights, result


@pytest.mark.slow
def test_a_bf16_stage_twice_gives_the_same_numbers(setup):
    threads = torch.get_num_threads()
    losses, weights, result = _bf16_stage(setup, seed=3, noise=1)
    assert result['mixed_precision'] == 'bf16' and result['threads'] == 1 and len(losses) == 6
    assert torch.get_num_threads() == threads  # reproducible() gives the thread count back

    again, again_weights, _ = _bf16_stage(setup, seed=3, noise=1000)
    assert again == losses  # exactly, not approximately
    assert all(torch.equal(weights[k], again_weights[k]) for k in weights)

    # and the seed matters: another seed is another run
    other, other_weights, _ = _bf16_stage(setup, seed=4, noise=1)
    assert other != losses
    assert not torch.equal(weights['bert.embeddings.word_embeddings.weight'],
                           other_weights['bert.embeddings.word_embeddings.weight'])


def test_seed_everything_and_the_record_of_threads():
    threads = torch.get_num_threads()
    try:
        assert seed_everything(0, threads=1) == 1 and torch.get_num_threads() == 1
        assert runs.environment()['torch_threads'] == 1  # a record says what the run used
        first = (torch.rand(3), np.random.rand(3), random.random())
        seed_everything(0)  # None: the thread count stays
        assert torch.get_num_threads() == 1
        again = (torch.rand(3), np.random.rand(3), random.random())
        assert torch.equal(first[0], again[0]) and np.array_equal(first[1], again[1])
        assert first[2] == again[2]
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        torch.set_num_threads(threads)
    assert runs.environment()['torch_threads'] == threads


def test_reproducible_restores_the_outer_random_state():
    torch.manual_seed(11)
    expected = torch.rand(4)
    torch.manual_seed(11)
    with reproducible(5):
        torch.rand(100)  # a stage rebuilt inside another one
    assert torch.equal(torch.rand(4), expected)


def _masking_objective(tok, seed):
    """The kit's MLM objective; its masking generator is where `fit` can see it
    (`objective.generator`: saved with a checkpoint, restored on resume)."""
    objective = objectives.compose({'mlm': 1.0}, tokenizer=tok, mlm_probability=0.4, seed=seed)
    assert isinstance(objective.generator, torch.Generator)
    return objective


class _Stop(Exception):
    pass


def _stop_in_epoch_2(row):
    if row['epoch'] == 2:
        raise _Stop


@pytest.mark.slow
def test_a_stopped_and_resumed_run_ends_as_an_unbroken_one(setup, tmp_path):
    """The checkpoint holds what Accelerate's saved state leaves out: the
    generators of the shuffle order and of the objective (MLM masks)."""
    tok, train, config = setup

    def run(folder, stop):
        with reproducible(0, threads=1):
            model = models.new_mlm_model(config)
            kw = dict(epochs=3, batch_size=32, seed=0, mixed_precision='bf16', progress=False,
                      checkpoint_dir=folder)
            if stop:  # stopped in epoch 2: the checkpoint holds epoch 1
                with pytest.raises(_Stop):
                    fit(model, _masking_objective(tok, 0), {'mlm': 1.0}, train, tok,
                        callback=_stop_in_epoch_2, **kw)
                model = models.new_mlm_model(config)  # a new process starts afresh
            result = fit(model, _masking_objective(tok, 0), {'mlm': 1.0}, train, tok, **kw)
        return result['history'], model.state_dict()

    unbroken, weights = run(tmp_path / 'unbroken', stop=False)
    resumed, resumed_weights = run(tmp_path / 'resumed', stop=True)
    assert len(unbroken) == 3 and resumed == unbroken
    assert all(torch.equal(weights[k], resumed_weights[k]) for k in weights)


@pytest.mark.slow
def test_a_bf16_pretrain_stage_twice_gives_the_same_record(tmp_path, monkeypatch):
    data.load_tokenizer('world')  # trained into the session cache once
    cache = tmp_path / 'cache'
    cache.mkdir()
    (cache / 'tokenizers').symlink_to(paths.CACHE / 'tokenizers', target_is_directory=True)
    monkeypatch.setattr(paths, 'CACHE', cache)
    config = dict(kind='pretrain', size='L1_H32', L=1, H=32, tokenizer='world', corpus='world',
                  corpus_size=128, max_length=32, epochs=1, lr=1e-3, batch_size=32, seed=0,
                  mlm_probability=0.4, length_grouping=False, mixed_precision='bf16', threads=1)
    records = []
    for store, noise in (('a', 1), ('b', 1000)):
        monkeypatch.setattr(paths, 'RUNS', tmp_path / store)
        torch.rand(noise)  # what the process drew before differs
        plan = stages.Plan('p')
        rid = plan.add(config)
        plan.execute(log=print)
        records.append(runs.load_record('p', rid))
    assert records[0]['history'] == records[1]['history']
    assert records[0]['metrics'] == records[1]['metrics']
    assert records[0]['environment']['torch_threads'] == 1  # the config's `threads`
