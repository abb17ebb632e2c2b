"""WR-F4's pre-training budget (`wr_budget`): PF from the kit's pre-trainings
of several budgets beside basic, a pre-training per seed where the preset asks
for its seed spread; and the per-size learning rates of the real preset."""
import pytest

from minilab import cli, experiments, paths, runs
from minilab.methods.pretraining import pretrain_config, pretrain_seed
from minilab.papers.turc2019 import student_lr


def test_a_size_takes_its_own_learning_rate_only_where_the_preset_names_one():
    p = dict(lr=1e-4, random_lr=5e-4, scale='paper',
             pretrained_lr_by_size={'L2_H128': 5e-4}, random_lr_by_size={'L2_H128': 1e-3})
    assert student_lr(p, 'PF', 'L2_H128') == student_lr(p, 'PD', 'L2_H128') == 5e-4
    assert student_lr(p, 'basic', 'L2_H128') == student_lr(p, 'D', 'L2_H128') == 1e-3
    assert student_lr(p, 'PF', 'L3_H384') == 1e-4 and student_lr(p, 'D', 'L3_H384') == 5e-4


def test_a_seeded_pretraining_draws_its_corpus_and_seed_zero_keeps_the_saved_ids():
    p = experiments.params('wr_budget', 'real')
    zero, one = pretrain_config(p, 'L2_H128', 2), pretrain_config(p, 'L2_H128', 2, seed=1)
    assert 'data_seed' not in zero and zero['seed'] == 0
    assert one['seed'] == one['data_seed'] == 1


def test_a_seeded_size_pretrains_once_per_seed_and_the_others_share_seed_zeros():
    p = dict(scale='paper', seeded_pretrain_sizes=['L2_H128'])
    assert [pretrain_seed(p, 'L2_H128', s) for s in (0, 1, 2)] == [0, 1, 2]
    assert [pretrain_seed(p, 'L4_H128', s) for s in (0, 1, 2)] == [0, 0, 0]
    assert pretrain_seed(dict(p, seeded_pretrain_sizes=[]), 'L2_H128', 2) == 0
    # the budget sweep honours it at every budget, beside its own seeded budgets
    sweep = experiments.build_plan('wr_budget', 'real', sizes=['L4_H128'], pretrain_budgets=[1000, 3000],
                                   seeded_pretrain_budgets=[1000], seeded_pretrain_sizes=['L4_H128'])
    seeds = sorted((c['corpus_size'], c['seed']) for c in sweep.configs.values() if c['kind'] == 'pretrain')
    assert seeds == [(1000, 0), (1000, 1), (1000, 2), (3000, 0), (3000, 1), (3000, 2)]


def test_a_size_takes_its_own_pretraining_budget_and_the_sweep_its_budgets():
    p = experiments.params('wr_main', 'real', corpus_size_by_size={'L4_H128': 2500})
    assert pretrain_config(p, 'L4_H128', 2)['corpus_size'] == 2500
    assert pretrain_config(p, 'L2_H128', 2)['corpus_size'] == p['corpus_size']
    assert pretrain_config(p, 'L4_H128', 2, teacher=True)['corpus_size'] == p['corpus_size']
    # the budget sweep pre-trains each size at each of its budgets, whatever the preset's own
    sweep = experiments.build_plan('wr_budget', 'real', sizes=['L4_H128'], pretrain_budgets=[1000, 3000],
                                   seeded_pretrain_budgets=[], corpus_size_by_size={'L4_H128': 2500})
    assert sorted(c['corpus_size'] for c in sweep.configs.values() if c['kind'] == 'pretrain') == [1000, 3000]


def test_the_real_budget_sweep_shares_the_main_results_runs():
    budget = experiments.build_plan('wr_budget', 'real')
    main = experiments.build_plan('wr_main', 'real')
    p = experiments.params('wr_budget', 'real')
    pretrainings = {rid: c for rid, c in budget.configs.items() if c['kind'] == 'pretrain'}
    seeded = set(p['seeded_pretrain_budgets'])
    expected = [(b, s) for b in p['pretrain_budgets'] for s in (p['seeds'] if b in seeded else [0])]
    assert sorted((c['corpus_size'], c['seed']) for c in pretrainings.values()) == sorted(expected)
    students = [c for c in budget.configs.values() if c['kind'] == 'student']
    for c in students:
        if c['procedure'] == 'PF':
            init = pretrainings[c['init']]
            assert init['seed'] == (c['seed'] if init['corpus_size'] in seeded else 0)
        else:
            assert c['procedure'] == 'basic' and c['init'] == 'random'
    # the main result's budget and its basic students are the main result's own runs
    shared = {rid for rid in budget.configs if rid in main.configs}
    assert {budget.configs[r]['kind'] for r in shared} == {'pretrain', 'student'}
    assert sum(budget.configs[r]['procedure'] == 'basic' for r in shared if r.startswith('student')) == 3
    # the main budget's pre-trainings (one per seed) are the main result's own
    main_budget = {rid: c['seed'] for rid, c in pretrainings.items() if c['corpus_size'] == p['corpus_size']}
    assert sorted(main_budget.values()) == (p['seeds'] if p['corpus_size'] in seeded else [0])
    assert set(main_budget) <= set(main.configs)


@pytest.mark.parametrize('setting, named', [
    ('seeded_pretrain_budgets=[777]', '777'),
    ("procedures=['D']", "'D'"),
    ("sizes=['L3_H384']", 'L3_H384'),
    ("pretrained_lr_by_size={'L2_H128': -1}", '-1'),
    ("corpus_size_by_size={'L4_H128': 2.5}", '2.5'),
    ("seeded_pretrain_sizes=['giant']", 'giant'),
])
def test_bad_budget_settings_fail_in_one_line_before_compute(capsys, setting, named):
    assert cli.main(['run', 'wr_budget', '--preset', 'real', '--set', setting, '--dry-run']) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and named in err[0]


def test_the_tiny_budget_sweep_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, 'CACHE', tmp_path / 'cache')
    store = tmp_path / 'runs'
    assert cli.main(['run', 'wr_budget', '--preset', 'tiny', '--runs-dir', str(store), '--no-progress',
                     '--seeds', '0', '1', '--set', 'epochs=1']) == 0
    records = list(runs.iter_records('turc2019', store))
    pre = sorted((r['config']['corpus_size'], r['config']['seed']) for r in records
                 if r['config']['kind'] == 'pretrain')
    assert pre == [(1000, 0), (1000, 1), (2000, 0)]  # 1000: one pre-training per seed
    students = [r for r in records if r['config']['kind'] == 'student']
    assert sorted((r['config']['procedure'], r['config']['seed']) for r in students) == \
        [('PF', 0), ('PF', 0), ('PF', 1), ('PF', 1), ('basic', 0), ('basic', 1)]
    for r in students:
        assert 0 <= r['metrics']['test_accuracy'] <= 100
