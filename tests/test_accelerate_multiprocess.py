"""Multi-process training through Accelerate: `accelerate launch --num_processes 2`
on the CPU (torch.distributed with gloo) of a tiny fine-tuning through
`minilab.train.fit` gives the same model as one process with the same global
batch (2 x 8 = 16 rows per update).

Why they can match exactly: both draw the same random permutation of the rows
(same seed); Accelerate hands process r the batches r, r+2, ... of 8, so the
two processes of one step hold the 16 rows one process sees at that step; DDP
averages the two mean losses' gradients, which is the gradient of the mean over
16. Dropout is off (its masks would differ per process) and the learning-rate
schedule must advance once per update in both cases (fit's scheduler is built
for that). What remains is float summation order.

This file is also the script that `accelerate launch` runs (see __main__).
"""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

GLOBAL_BATCH = 16


def train(out):
    """Fine-tune a 1-layer BERT on 64 rows for 2 epochs; rank 0 writes weights and history."""
    from accelerate import PartialState

    from minilab import data, models, objectives
    from minilab.train import fit
    state = PartialState(cpu=True)  # as fit's Accelerator: without cpu=True a CPU-only run stays single-process
    tok = data.load_tokenizer('world')
    task = data.load_task('world/sentiment', train_size=64, dev_size=32, test_size=8)
    train_set, dev = data.tokenize(task.train, tok, 32), data.tokenize(task.dev, tok, 32)
    torch.manual_seed(0)  # the same initial weights in every process
    config = models.bert_config(1, 32, len(tok), max_position_embeddings=32,
                                hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = models.init_random(config, 2)
    result = fit(model, objectives.compose({'ce': 1.0}), {'ce': 1.0}, train_set, tok, dev_data=dev, epochs=2,
                 lr=3e-3, batch_size=GLOBAL_BATCH // state.num_processes, warmup=0.25, seed=0,
                 progress=False)
    if state.is_main_process:
        torch.save(model.state_dict(), Path(out) / 'weights.pt')
        history = [{k: v for k, v in row.items() if not k.startswith('train_')}
                   for row in result['history']]  # train losses are per-process means
        (Path(out) / 'result.json').write_text(json.dumps(
            {'processes': result['processes'], 'steps': result['steps'], 'history': history}))


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_cpu_processes_match_one_with_the_same_global_batch(tmp_path):
    from minilab import data
    data.load_tokenizer('world')  # train the tokenizer once, before two processes race for it
    one, two = tmp_path / 'one', tmp_path / 'two'
    for d in (one, two):
        d.mkdir()
    env = dict(os.environ, OMP_NUM_THREADS='1')
    cmd = [sys.executable, '-m', 'accelerate.commands.launch', '--num_machines', '1',
           '--mixed_precision', 'no', '--dynamo_backend', 'no', '--num_cpu_threads_per_process', '1']
    subprocess.run(cmd + ['--cpu', '--num_processes', '1', __file__, str(one)], check=True, env=env,
                   timeout=300)
    # --cpu alone starts one process (more need mpirun); --multi_gpu starts them
    # with torch.distributed.run, and on a machine without CUDA each process's
    # Accelerator(cpu=True) joins a gloo process group (DistributedType.MULTI_CPU)
    env2 = dict(env, CUDA_VISIBLE_DEVICES='')
    subprocess.run(cmd + ['--multi_gpu', '--num_processes', '2', '--main_process_port',
                          str(_free_port()), __file__, str(two)], check=True, env=env2, timeout=300)
    r1, r2 = (json.loads((d / 'result.json').read_text()) for d in (one, two))
    assert (r1['processes'], r2['processes']) == (1, 2)
    assert r1['steps'] == r2['steps'] == 8  # 64 rows / 16 per update x 2 epochs
    for a, b in zip(r1['history'], r2['history']):
        assert a['lr'] == pytest.approx(b['lr'])
        assert a['dev_accuracy'] == pytest.approx(b['dev_accuracy'])
    w1, w2 = (torch.load(d / 'weights.pt') for d in (one, two))
    for name in w1:
        assert torch.allclose(w1[name], w2[name], atol=1e-4), name


if __name__ == '__main__':
    train(sys.argv[1])
