"""End to end: the tiny wr_main plan, trained for real (one size, one seed,
smaller data than the tiny preset), then resumed. Slow (tens of seconds on a
busy 2-core CPU) but always run: it is the only test of the stages together.

Runs go to tmp_path (paths.RUNS is monkeypatched; runs.py reads it at call
time); checkpoints and teacher outputs go to a fresh tmp cache too, so the
teacher-cache miss/hit check does not depend on earlier tests. The world
tokenizer folder of the session cache is linked in, so it is trained once.
"""
import pytest

from minilab import data, experiments, paths, runs

SMALL = dict(corpus_size=256, train_size=64, dev_size=32, test_size=64, transfer_size=64)


@pytest.fixture
def store(tmp_path, monkeypatch):
    data.load_tokenizer('world')  # trains it into the session cache once
    cache = tmp_path / 'cache'
    cache.mkdir()
    (cache / 'tokenizers').symlink_to(paths.CACHE / 'tokenizers', target_is_directory=True)
    monkeypatch.setattr(paths, 'RUNS', tmp_path / 'runs')
    monkeypatch.setattr(paths, 'CACHE', cache)
    return tmp_path / 'runs'


@pytest.mark.slow
def test_tiny_plan_end_to_end_and_resume(store):
    plan = experiments.build_plan('wr_main', 'tiny', sizes=['tiny'], seeds=[0], **SMALL)
    ids = list(plan.configs)
    students = plan.ids('student')
    assert len(ids) == 7 and len(students) == 4  # teacher pretrain, teacher, pretrain, 4 students

    ran = plan.execute(log=print)
    assert ran == ids
    for rid in ids:
        assert runs.is_done(plan.paper, rid)
        assert (store / plan.paper / rid / runs.RECORD).exists()
    for rid in plan.ids('pretrain') + plan.ids('teacher'):
        assert (paths.CACHE / 'checkpoints' / rid / 'config.json').exists()

    records = {rid: runs.load_record(plan.paper, rid) for rid in ids}
    cache_use = {}
    for rid in students:
        rec = records[rid]
        assert rec['config'] == plan.configs[rid] and rec['seed'] == 0
        m, t = rec['metrics'], rec['timings']
        assert 0 <= m['test_accuracy'] <= 100 and m['params'] > 0
        assert t['train_seconds'] > 0 and t['train_tokens'] > 0 and t['train_flops'] > 0
        assert rec['environment']['versions']['torch']
        assert rec['history']
        cache_use[rec['config']['procedure']] = t.get('teacher_cache')
    teacher = records[plan.ids('teacher')[0]]
    assert 0 <= teacher['metrics']['test_accuracy'] <= 100

    # D runs before PD (procedure order): it computes the teacher outputs, PD reuses them
    assert cache_use == {'basic': None, 'D': 'miss', 'PF': None, 'PD': 'hit'}

    # nothing left to do
    assert plan.execute(log=print) == []

    # a lost record is re-run alone; the others are untouched
    lost = next(r for r in students if plan.configs[r]['procedure'] == 'PD')
    (store / plan.paper / lost / runs.RECORD).unlink()
    again = experiments.build_plan('wr_main', 'tiny', sizes=['tiny'], seeds=[0], **SMALL)
    assert again.todo() == [lost]
    assert again.execute(log=print) == [lost]
    rec = runs.load_record(plan.paper, lost)
    assert rec['timings']['teacher_cache'] == 'hit'
    assert rec['finished_at'] != records[lost]['finished_at']
    for rid in ids:
        if rid != lost:
            assert runs.load_record(plan.paper, rid)['finished_at'] == records[rid]['finished_at']

    df = experiments.results('wr_main', 'tiny', sizes=['tiny'], seeds=[0], **SMALL)
    assert len(df) == 4 and set(df['procedure']) == {'basic', 'D', 'PF', 'PD'}


@pytest.mark.slow
def test_two_lanes_train_every_stage_once(tmp_path):
    """`minilab run --jobs 2`: two real processes share one store; the run locks
    keep them apart, so every stage is trained by exactly one lane."""
    import os
    import re
    import subprocess
    import sys
    env = dict(os.environ, MINILAB_RUNS=str(tmp_path / 'runs'), MINILAB_CACHE=str(tmp_path / 'cache'),
               HF_HUB_OFFLINE='1', HF_DATASETS_OFFLINE='1', TOKENIZERS_PARALLELISM='false')
    argv = ['run', 'wr_main', '--preset', 'tiny', '--sizes', 'tiny', '--set', 'train_size=64',
            '--set', 'corpus_size=256', '--set', 'transfer_size=64']
    done = subprocess.run([sys.executable, '-m', 'minilab', *argv, '--jobs', '2'], cwd=paths.ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    trained = re.findall(r'^\[lane (\d)\] \[\d+/\d+\] (\S+) (?!done by another)', done.stdout, re.M)
    plan = experiments.build_plan('wr_main', 'tiny', sizes=['tiny'], train_size=64, corpus_size=256,
                                  transfer_size=64)
    assert sorted(rid for _, rid in trained) == sorted(plan.configs)  # each once, none left out
    assert all((tmp_path / 'runs' / 'turc2019' / rid / runs.RECORD).exists() for rid in plan.configs)
