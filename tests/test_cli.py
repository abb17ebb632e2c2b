"""The command line (minilab.cli) and the experiment registry (minilab.experiments).

Nothing is trained. Two commands run as real `python -m minilab` processes
(an error and a dry run, started together when this module starts, so their
imports overlap the in-process tests); every case also runs in-process through `cli.main(argv)`, the same parser and error
path without paying the torch/transformers import again.
"""
import os
import subprocess
import sys
import time

import pytest

from minilab import cli, experiments, paths, runs
from minilab.experiments import ExperimentError
from minilab.methods.pretrained_distillation import PROCEDURES

SUBPROCESS_CASES = {
    'nope': ['run', 'nope'],
    'dry': ['run', 'wr_main', '--preset', 'tiny', '--dry-run'],
    # a hub task offline: resolved before the first stage (it used to start pre-training)
    'hub_task': ['run', 'wr_main', '--preset', 'tiny', '--set', 'task=glue/cola'],  # no local copy
}


@pytest.fixture(scope='module')
def procs(tmp_path_factory):
    """Start every subprocess case at once; tests collect (rc, stdout, stderr, seconds)."""
    env = dict(os.environ, HF_HUB_OFFLINE='1', HF_DATASETS_OFFLINE='1',
               TOKENIZERS_PARALLELISM='false', MPLBACKEND='Agg',
               MINILAB_RUNS=str(tmp_path_factory.mktemp('runs')),  # nothing done there
               HF_HOME=str(tmp_path_factory.mktemp('hf')))  # nothing cached there
    start = time.perf_counter()
    started = {name: subprocess.Popen([sys.executable, '-m', 'minilab', *args], cwd=paths.ROOT,
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True)
               for name, args in SUBPROCESS_CASES.items()}
    results = {}

    def get(name):
        if name not in results:
            out, err = started[name].communicate(timeout=120)
            results[name] = (started[name].returncode, out, err, time.perf_counter() - start)
        return results[name]
    yield get
    for p in started.values():
        if p.poll() is None:
            p.kill()


@pytest.fixture(autouse=True, scope='module')
def _start_early(procs):
    """The processes start before the first test, in-process tests overlap them."""


def run_main(capsys, *argv):
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_error_line(err, *words):
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith('minilab: error:'), err
    for w in words:
        assert w in lines[0], (w, err)


# -------------------------------------------------------------- in-process


def test_list(capsys):
    rc, out, err = run_main(capsys, 'list')
    assert rc == 0 and 'wr_main' in out and 'tiny' in out and 'wr_f4_main_result' in out


@pytest.mark.parametrize('argv, words', [
    (['run', 'nope'], ["'nope'", 'wr_main']),
    (['run', 'wr_main', '--preset', 'huge'], ["'huge'", 'tiny', 'mini', 'paper']),
    (['run', 'wr_main', '--sizes', 'giant'], ["'giant'", 'tiny', 'medium']),
    (['run', 'wr_main', '--set', 'bogus=1'], ["'bogus'", 'transfer_size', 'seeds']),
    (['run', 'wr_main', '--set', "procedures=['X']"], ["'X'", 'basic', 'PD']),
    (['run', 'wr_main', '--set', 'procedures'], ['KEY=VALUE', "'procedures'"]),
    (['reproduce', 'no_such_notebook'], ["'no_such_notebook'", 'wr_f4_main_result']),
    (['run', 'wr_main', '--jobs', '0'], ['--jobs', '0']),
    (['reproduce', '--jobs', '0'], ['--jobs', '0']),
    (['run', 'turc2019', '--seeds', '0'], ["'turc2019'", 'wr_main', 'wr_concurrent']),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, words):
    rc, out, err = run_main(capsys, *argv)
    assert rc == 2
    assert_one_error_line(err, *words)


def test_dry_run_lists_ids_and_trains_nothing(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, 'RUNS', tmp_path / 'runs')
    rc, out, err = run_main(capsys, 'run', 'wr_main', '--preset', 'tiny', '--dry-run')
    assert rc == 0
    plan = experiments.build_plan('wr_main', 'tiny')
    lines = out.splitlines()
    assert ' '.join(lines[:-1]).split() == [w for rid in plan.configs for w in (rid, 'to', 'do')]
    assert lines[-1] == f'0 of {len(plan.configs)} runs done (0.0 min of recorded run time); ' \
                        f'{len(plan.configs)} to do'
    assert not (tmp_path / 'runs').exists()
    rc, out, _ = run_main(capsys, 'run', 'wr_main', '--preset', 'tiny', '--seeds', '0', '1',
                          '--sizes', 'tiny', '--set', 'transfer_size=500', '--dry-run')
    assert rc == 0
    assert ' '.join(out.splitlines()[:-1]).split()[::3] == list(experiments.build_plan(
        'wr_main', 'tiny', seeds=[0, 1], sizes=['tiny'], transfer_size=500).configs)


def test_dry_run_estimates_from_finished_runs_like_it_scaled_by_their_examples(capsys, tmp_path, monkeypatch):
    """A to-do pre-training of 2,000 texts, from a finished one of 1,000 that took
    50 s an epoch: ~100 s an epoch. A run of another tokenizer is not used."""
    store = tmp_path / 'runs'
    monkeypatch.setattr(paths, 'RUNS', store)
    plan = experiments.build_plan('wr_main', 'tiny', sizes=['tiny'])
    rid, config = next((r, c) for r, c in plan.configs.items() if c['kind'] == 'pretrain')
    runs.save_run('turc2019', dict(config, corpus_size=config['corpus_size'] // 2), {},
                  timings={'wall_seconds': 50.0 * config['epochs']}, root=store)  # 50 s an epoch
    runs.save_run('turc2019', dict(config, tokenizer='other'), {}, timings={'wall_seconds': 9999.0},
                  root=store)
    rc, out, _ = run_main(capsys, 'run', 'wr_main', '--preset', 'tiny', '--sizes', 'tiny', '--dry-run',
                          '--runs-dir', str(store))
    assert rc == 0
    guess = 100 * config['epochs']
    assert f'{rid} to do (~{guess} s, from 1 like it)' in out.splitlines()
    assert out.splitlines()[-1].endswith(f'~{guess / 60:.1f} min by the recorded cost of runs like them '
                                         f'({len(plan.configs) - 1} with no run like them to go by)')


def test_dry_run_of_a_paper_is_the_union_of_its_experiments(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, 'RUNS', tmp_path / 'runs')
    rc, out, err = run_main(capsys, 'run', 'turc2019', '--preset', 'tiny', '--dry-run')
    assert rc == 0, err
    union = {}
    for name, e in experiments.EXPERIMENTS.items():
        if e['paper'] == 'turc2019':
            union.update(experiments.build_plan(name, 'tiny').configs)
    *lines, summary = out.splitlines()
    assert sorted(line.split()[0] for line in lines) == sorted(union)  # shared stages listed once
    assert summary.endswith(f'{len(union)} to do')
    rc, out, err = run_main(capsys, 'run', 'all', '--preset', 'tiny', '--dry-run')
    assert rc == 0 and out.count('runs done') == 3  # one plan per paper


def test_argv_without_jobs():
    assert cli.argv_without_jobs(['run', 'x', '--jobs', '2', '--preset', 'mini']) == \
        ['run', 'x', '--preset', 'mini']
    assert cli.argv_without_jobs(['run', 'x', '--jobs=3']) == ['run', 'x']


def test_set_values_are_python_literals():
    assert cli._value('500') == 500 and cli._value("['a', 'b']") == ['a', 'b']
    assert cli._value('world/sentiment') == 'world/sentiment' and cli._value('1e-3') == 0.001


# -------------------------------------------------------------- experiments


def test_params_mini_keys():
    p = experiments.params('wr_main', 'mini')
    expected = {'task', 'domain', 'train_size', 'dev_size', 'test_size', 'tokenizer', 'max_length',
                'sizes', 'scale', 'procedures', 'seeds', 'corpus', 'corpus_size', 'pretrain_epochs',
                'pretrain_lr', 'pretrain_batch_size', 'student_init', 'teacher_size',
                'teacher_init', 'teacher_lr', 'teacher_epochs', 'lr', 'epochs', 'batch_size',
                'transfer_pool', 'transfer_domain', 'transfer_size', 'distill_loss',
                'temperature', 'distill_epochs', 'finetune_epochs', 'finetune_lr'}
    assert expected <= set(p)
    assert p['task'] == 'world/sentiment' and list(p['procedures']) == list(PROCEDURES)
    p['seeds'] = [99]  # a copy: the preset itself is unchanged
    assert experiments.params('wr_main', 'mini')['seeds'] == [0, 1, 2]


def test_params_overrides():
    p = experiments.params('wr_main', 'tiny', seeds=[4], sizes=None, transfer_size=10)
    assert p['seeds'] == [4] and p['transfer_size'] == 10
    assert p['sizes'] == experiments.WR_MAIN_PRESETS['tiny']['sizes']  # None: keep the preset
    for bad in (dict(name='nope'), dict(preset='huge'), dict(bogus=1), dict(sizes=['giant']),
                dict(procedures=['X'])):
        name = bad.pop('name', 'wr_main')
        preset = bad.pop('preset', 'tiny')
        with pytest.raises(ExperimentError) as err:
            experiments.params(name, preset, **bad)
        assert 'valid' in str(err.value) and '\n' not in str(err.value)


def test_build_plan_tiny_structure():
    p = experiments.params('wr_main', 'tiny')
    plan = experiments.build_plan('wr_main', 'tiny')
    assert plan.paper == 'turc2019'
    kinds = [c['kind'] for c in plan.configs.values()]
    assert set(kinds) == {'pretrain', 'teacher', 'student'}
    assert kinds.count('teacher') == 1
    students = plan.ids('student')
    assert len(students) == len(p['sizes']) * len(p['seeds']) * 4
    combos = {(c['size'], c['seed'], c['procedure']) for c in
              (plan.configs[r] for r in students)}
    assert len(combos) == len(students)
    assert {c[2] for c in combos} == set(PROCEDURES)
    order = list(plan.configs)
    teacher = plan.ids('teacher')[0]
    assert plan.configs[teacher]['init'] in plan.ids('pretrain')
    for rid in students:
        c = plan.configs[rid]
        if c['procedure'] in ('PF', 'PD'):
            assert c['init'] in plan.ids('pretrain')
            assert order.index(c['init']) < order.index(rid)  # upstream first
            assert plan.configs[c['init']]['size'] == c['size']
        else:
            assert c['init'] == 'random'
        if c['procedure'] in ('D', 'PD'):
            assert c['teacher'] == teacher and c['transfer']['size'] == p['transfer_size']
            assert c['epochs'] == p['distill_epochs']
        else:
            assert 'teacher' not in c and 'transfer' not in c and c['epochs'] == p['epochs']


def test_run_ids_stable_across_builds():
    a = experiments.build_plan('wr_main', 'tiny')
    b = experiments.build_plan('wr_main', 'tiny')
    assert list(a.configs) == list(b.configs)
    c = experiments.build_plan('wr_main', 'tiny', transfer_size=301)
    assert set(c.ids('student')) != set(a.ids('student'))
    assert c.ids('teacher') == a.ids('teacher')  # upstream stages unchanged
    assert experiments.build_plan('wr_main', 'mini').ids('teacher') != a.ids('teacher')


# -------------------------------------------------------------- real processes


def test_subprocess_unknown_experiment(procs):
    rc, out, err, seconds = procs('nope')
    print(f'run nope: {seconds:.1f} s')
    assert rc == 2 and out == ''
    assert_one_error_line(err, "'nope'", 'wr_main')


def test_subprocess_dry_run(procs):
    rc, out, err, seconds = procs('dry')
    print(f'dry run: {seconds:.1f} s')
    assert rc == 0, err
    plan = experiments.build_plan('wr_main', 'tiny')
    *lines, summary = out.splitlines()
    assert [line.split()[0] for line in lines] == list(plan.configs)
    assert all(line.endswith('to do') for line in lines)
    assert summary.endswith(f'{len(plan.configs)} to do')


def test_subprocess_unreachable_task_fails_before_any_stage(procs):
    rc, out, err, seconds = procs('hub_task')
    print(f'run --set task=glue/cola: {seconds:.1f} s')
    assert rc == 2 and out == ''
    assert_one_error_line(err, "task 'glue/cola' is neither a local path nor reachable on the hub",
                          'HF_HUB_OFFLINE=1', 'world/sentiment')


def test_a_papers_presets_are_its_experiments_presets():
    from minilab import catalog
    catalog.check_target('turc2019', 'real')  # wr_main, wr_main_nli, wr_budget, wr_grid have it
    catalog.check_target('all', 'real')
    with pytest.raises(ValueError, match="unknown preset 'real' for sanh2019; valid: tiny, mini, paper$"):
        catalog.check_target('sanh2019', 'real')
