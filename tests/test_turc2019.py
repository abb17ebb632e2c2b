"""Turc et al. 2019 beyond the main result: the sweeps (WR-F5, WR-F6), the
initialisation study (WR-F2), depth vs width (WR-F3), the comparison to
concurrent work (WR-T2), the grid latency (WR-T1) and the summary helpers."""
import re

import pandas as pd
import pytest
import torch

from minilab import analysis, experiments, models, paths, runs, stages
from minilab.methods import pretrained_distillation
from minilab.methods.base import checkpoint_dir
from minilab.papers import turc2019
from minilab.experiments import ExperimentError


# -----------------------------------------------------------------------------
# plans


def test_sweeps_reuse_the_main_result_runs():
    main = set(experiments.build_plan('wr_main', 'mini', sizes=['mini']).configs)
    sweep = experiments.build_plan('wr_transfer', 'mini')
    domain = experiments.build_plan('wr_domain', 'mini')
    # the 8000-example, in-domain point of each sweep is WR-F4's own run
    assert main <= set(sweep.configs) and main <= set(domain.configs)
    sizes = sorted({c['transfer']['size'] for c in sweep.configs.values() if 'transfer' in c})
    assert sizes == [500, 1000, 2000, 4000, 8000, 16000]
    # basic and PF ignore the transfer set: one run per seed, not one per sweep point
    pf = [c for c in sweep.configs.values() if c.get('procedure') == 'PF']
    assert len(pf) == 3
    domains = {c['transfer']['domain'] for c in domain.configs.values() if 'transfer' in c}
    assert domains == {'movies', 'books', 'restaurants', 'hotels', 'electronics'}


def test_paper_domain_sweep_swaps_pools():
    plan = experiments.build_plan('wr_domain', 'paper', seeds=[0])
    pools = {c['transfer']['pool'] for c in plan.configs.values() if 'transfer' in c}
    assert pools == {'imdb', 'amazon_polarity', 'ag_news'}


def test_init_plan_has_three_starts_per_depth():
    plan = experiments.build_plan('wr_init', 'mini', seeds=[0])
    students = [plan.configs[r] for r in plan.ids('student')]
    assert len(students) == 2 * 3  # depths x starts
    assert {c.get('init_mode', 'full') for c in students} == {'full', 'truncate', 'embeddings'}
    assert {(c['L'], c['H']) for c in students} == {(1, 192), (2, 192)}
    teacher_pretrain = plan.configs[plan.ids('teacher')[0]]['init']
    for c in students:  # truncation and embeddings come from the teacher's pre-trained model
        assert (c['init'] == teacher_pretrain) == ('init_mode' in c)


@pytest.mark.parametrize('name, overrides, message', [
    ('wr_init', dict(depths=[7]), 'depth 7 must be in 1..6'),
    ('wr_init', dict(init_modes=['distil']), "unknown init mode 'distil'; valid: pretrain, truncate, embeddings"),
    ('wr_init', dict(procedures=['basic']), "procedure 'basic' starts from random weights"),
    ('wr_domain', dict(transfer_domains=['moon']), "unknown transfer domain 'moon'; valid: movies"),
    ('wr_transfer', dict(transfer_sizes=[0]),
     'transfer_sizes=[0] holds 0, out of range; valid: a list of integers >= 1'),
    ('wr_grid', dict(sizes=['huge']), 'huge'),
    ('wr_depth_width', dict(procedures=['PD']),
     "procedure 'PD' is not part of the depth-width study (no teacher); valid: PF, basic"),
    ('wr_depth_width', dict(sizes=['L7_H64', 'L1_H128']),
     "size 'L7_H64' is not on the mini grid; valid: L{1, 2, 3, 4, 5, 6}_H{32, 64, 128, 192}"),
    ('wr_depth_width', dict(sizes=['L1_H32', 'L2_H32']),
     'sizes L1_H32, L2_H32 hold no deeper-narrower / shallower-wider pair within 25%'),
    ('wr_concurrent', dict(systems=['TinyBERT']), "unknown system 'TinyBERT'; valid: PF, PD, PKD, DistilBERT"),
    ('wr_concurrent', dict(student_size='L3_H128'),
     "student_size 'L3_H128' must have the teacher's width 192 and at most its 6 layers"),
    ('wr_concurrent', dict(distilbert_init='sanh2019:huge'),
     "unknown distilbert_init 'sanh2019:huge'; valid: sanh2019:mini, sanh2019:tiny, sanh2019:paper"),
    ('wr_concurrent', dict(sizes=['mini']), "unknown parameter 'sizes' for wr_concurrent; valid: "),
])
def test_bad_sweep_parameters_fail_before_compute(name, overrides, message):
    with pytest.raises(ExperimentError, match=re.escape(message)):
        experiments.build_plan(name, 'mini', **overrides)


# -----------------------------------------------------------------------------
# depth vs width (WR-F3) and the comparison to concurrent work (WR-T2)


def test_matched_pairs_of_the_mini_grid():
    grid = [models.size_name(L, H) for L, H in models.size_grid('mini')]
    pairs = turc2019.matched_pairs(grid, tolerance=0.25)
    assert pairs[:4] == [('L4_H32', 'L1_H64'), ('L4_H64', 'L1_H128'),
                         ('L2_H128', 'L1_H192'), ('L4_H128', 'L2_H192')]
    for deep, shallow in pairs:  # deeper and narrower, within 25% in layer parameters
        (Ld, Hd), (Ls, Hs) = models.parse_size(deep), models.parse_size(shallow)
        assert Ld > Ls and Hd < Hs
        a, b = turc2019.layer_parameters(Ld, Hd), turc2019.layer_parameters(Ls, Hs)
        assert max(a, b) / min(a, b) <= 1.25
    assert turc2019.layer_parameters(4, 64) == 4 * turc2019.layer_parameters(1, 64) == 199_936
    # L6_H64 vs L2_H128 is 32% apart: not a pair at 25%, a pair at 35%
    assert ('L6_H64', 'L2_H128') not in pairs
    assert ('L6_H64', 'L2_H128') in turc2019.matched_pairs(['L6_H64', 'L2_H128'], tolerance=0.35)


def test_depth_width_plan_shares_the_runs_of_wr_f4_f2_and_r1():
    plan = experiments.build_plan('wr_depth_width', 'mini')
    students = [plan.configs[r] for r in plan.ids('student')]
    assert len(students) == 8 * 2 * 3  # sizes x (PF, basic) x seeds
    assert {c['procedure'] for c in students} == {'PF', 'basic'} and not any('teacher' in c for c in students)
    assert len(turc2019.matched_pairs([c['size'] for c in students])) == 4
    # WR-F4's 'small' (L2_H128): its PF and basic runs, and with them their pre-training
    main = experiments.build_plan('wr_main', 'mini', sizes=['small'], procedures=['basic', 'PF'])
    assert set(main.ids('student')) <= set(plan.configs)
    # WR-F2's own-pre-training PF runs at L1/L2_H192 and WR-R1's L4_H128 sentiment runs
    init = experiments.build_plan('wr_init', 'mini', depths=[1, 2], init_modes=['pretrain'])
    readme = experiments.build_plan('wr_readme', 'mini', sizes=['medium'], tasks=['world/sentiment'])
    assert set(init.ids('student')) | set(readme.ids('student')) <= set(plan.configs)
    # basic alone needs no pre-training
    assert not experiments.build_plan('wr_depth_width', 'mini', procedures=['basic']).ids('pretrain')


def test_concurrent_plan_rows_and_their_shared_stages():
    p = experiments.params('wr_concurrent', 'mini')
    plan = experiments.build_plan('wr_concurrent', 'mini')
    systems = turc2019.concurrent_systems(p)
    assert set(systems) == set(plan.ids('student')) and len(systems) == 4 * 3
    students = {s: [plan.configs[r] for r, name in systems.items() if name == s]
                for s in turc2019.CONCURRENT_SYSTEMS}
    assert {(c['L'], c['H']) for c in plan.configs.values() if c['kind'] == 'student'} == {(3, 192)}
    teacher, = plan.ids('teacher')  # WR-F4's teacher
    assert teacher in experiments.build_plan('wr_main', 'mini').configs
    teacher_init = plan.configs[teacher]['init']
    # PF: WR-F2's depth-3 runs; PKD: WR-F2's truncation with PD, plus the patient loss
    init = experiments.build_plan('wr_init', 'mini', depths=[3], init_modes=['pretrain', 'truncate'],
                                  procedures=['PF', 'PD'], epochs=p['epochs'])
    assert {runs.run_id(c) for c in students['PF']} <= set(init.configs)
    assert all(c['init'] == teacher_init and c['init_mode'] == 'truncate' and c['procedure'] == 'PD'
               and c['teacher'] == teacher for c in students['PKD'])
    assert all(c['loss'] == {'soft_ce': 1.0, 'patient': 100.0} and c['patient_layers'] == [2, 4]
               for c in students['PKD'])  # PKD-Skip: teacher layers 2 and 4 of 6
    without_patient = [{k: v for k, v in dict(c, loss='soft_ce').items() if k != 'patient_layers'}
                       for c in students['PKD']]
    assert {runs.run_id(c) for c in without_patient} <= set(init.configs)
    assert all(c['procedure'] == 'PD' and 'init_mode' not in c for c in students['PD'])
    # DistilBERT-like: PF from db_main's 'full' general student, distilled from
    # this plan's pre-trained teacher-sized model (db_main's recipe, sanh2019)
    general, = plan.ids('general_distill')
    db_general = [c for c in experiments.build_plan('db_main', 'mini').configs.values()
                  if c['kind'] == 'general_distill' and c.get('variant') == 'full']
    assert {k: v for k, v in plan.configs[general].items() if k not in ('teacher', 'student_layers')} in \
        [{k: v for k, v in c.items() if k not in ('teacher', 'student_layers')} for c in db_general]
    assert plan.configs[general]['teacher'] == teacher_init and plan.configs[general]['student_layers'] == 3
    assert all(c['init'] == general and c['procedure'] == 'PF' for c in students['DistilBERT'])
    # a hub name stands in for the general student, and rows can be left out
    paper = experiments.build_plan('wr_concurrent', 'paper', seeds=[0], systems=['PF', 'DistilBERT'])
    assert {c['init'] for c in paper.configs.values() if c['kind'] == 'student'} == {
        'google/bert_uncased_L-6_H-768_A-12', 'distilbert-base-uncased'}


# -----------------------------------------------------------------------------
# the initialisation modes of a student


class _Plan:
    def checkpoint(self, ref):
        return ref


@pytest.fixture(scope='module')
def pretrained_dir(tmp_path_factory):
    torch.manual_seed(0)
    model = models.new_mlm_model(models.bert_config(3, 32, 50, max_position_embeddings=16))
    folder = tmp_path_factory.mktemp('pretrained')
    model.save_pretrained(folder)
    return str(folder), model


def _student(folder, mode, L=2, H=32):
    config = dict(init=folder, init_mode=mode, max_length=16, L=L, H=H)
    return pretrained_distillation.init_student(_Plan(), config, num_labels=2, vocab_size=50)


def test_truncation_copies_the_bottom_layers(pretrained_dir):
    folder, teacher = pretrained_dir
    student = _student(folder, 'truncate')
    assert student.config.num_hidden_layers == 2
    for i in range(2):
        for (name, a), (_, b) in zip(student.bert.encoder.layer[i].named_parameters(),
                                     teacher.bert.encoder.layer[i].named_parameters()):
            assert torch.equal(a, b), name


def test_embeddings_only_copies_embeddings_not_layers(pretrained_dir):
    folder, teacher = pretrained_dir
    student = _student(folder, 'embeddings')
    assert torch.equal(student.bert.embeddings.word_embeddings.weight,
                       teacher.bert.embeddings.word_embeddings.weight)
    layer = student.bert.encoder.layer[0].attention.self.query.weight
    assert not torch.equal(layer, teacher.bert.encoder.layer[0].attention.self.query.weight)


def test_init_modes_need_the_same_width(pretrained_dir):
    folder, _ = pretrained_dir
    with pytest.raises(ValueError, match="init_mode 'truncate' needs a pre-trained model of width 64, got 32"):
        _student(folder, 'truncate', H=64)
    with pytest.raises(ValueError, match="unknown init_mode 'half'"):
        _student(folder, 'half')


# -----------------------------------------------------------------------------
# grid latency and the summary


def test_grid_latency_run_records_every_size(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, 'RUNS', tmp_path)
    plan = experiments.build_plan('wr_grid', 'tiny', vocab_size=100, examples_per_pass=4)
    plan.execute(log=lambda m: None)
    (rid,) = plan.ids()
    rows = runs.load_record('turc2019', rid)['metrics']['grid']
    assert [r['size'] for r in rows] == ['L1_H32', 'L2_H64', 'L6_H192']
    assert [r['teacher'] for r in rows] == [False, False, True]
    for r in rows:
        model = models.init_random(models.bert_config(r['L'], r['H'], 100, max_position_embeddings=48), 2)
        assert r['params'] == models.count_parameters(model)
        assert r['ms_per_example_b1'] > 0 and r['ms_per_example_b64'] > 0


def test_summarise_by_sweep_value():
    df = pd.DataFrame({'transfer_size': [100, 100, 100, 100, 200, 200],
                       'procedure': ['D', 'D', 'PD', 'PD', 'D', 'PD'],
                       'test_accuracy': [60.0, 70.0, 80.0, 80.0, 75.0, 85.0]})
    mean, std = analysis.summarise(df, by='transfer_size')
    assert mean.loc[100, 'D'] == 65.0 and mean.loc[200, 'PD'] == 85.0
    assert std.loc[100, 'D'] == pytest.approx(7.0710678)  # sample std of 60, 70
    assert std.loc[100, 'PD'] == 0.0
    assert analysis.cell(mean, std, 100, 'D') == '65.0±7.1'
    assert analysis.cell(mean, std, 200, 'D') == '75.0±-'  # one seed: no spread


def test_require_names_the_missing_cells():
    df = pd.DataFrame({'size': ['a', 'a', 'b'], 'procedure': ['PF', 'basic', 'PF'],
                       'test_accuracy': [60.0, 70.0, 80.0]})
    mean, _ = analysis.summarise(df, by='size')
    analysis.require(mean, ['PF', 'basic'], 'wr_depth_width', 'mini')  # every column has a run
    with pytest.raises(runs.MissingRunsError, match='no saved runs of PF c, basic b, basic c yet'):
        analysis.require(mean, ['PF', 'basic'], 'wr_depth_width', 'mini', rows=['a', 'b', 'c'])


def test_a_stage_trained_by_two_papers_is_adopted_from_the_newest(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, 'RUNS', tmp_path / 'runs')
    monkeypatch.setattr(paths, 'CACHE', tmp_path / 'cache')
    config = dict(kind='pretrain', size='L1_H32', seed=0)
    rid = runs.run_id(config)
    runs.save_run('turc2019', config, {'train_mlm_loss': 3.1}, extra={'finished_at': '2026-01-01'})
    runs.save_run('sanh2019', config, {'train_mlm_loss': 3.2}, extra={'finished_at': '2026-02-01'})
    plan = stages.Plan('mukherjee2020')
    plan.add(config)
    with pytest.raises(KeyError):  # no checkpoint in the cache: it must train (no runner for this toy)
        monkeypatch.setitem(stages.RUNNERS, 'pretrain', lambda *a: (_ for _ in ()).throw(KeyError('trained')))
        plan.run(rid)
    (checkpoint_dir(rid)).mkdir(parents=True)
    (checkpoint_dir(rid) / 'config.json').write_text('{}')
    assert plan.execute(log=lambda m: None) == [rid]
    record = runs.load_record('mukherjee2020', rid)
    assert record['shared_from'] == 'sanh2019' and record['metrics'] == {'train_mlm_loss': 3.2}


def test_compound_plan_pretrains_on_the_transfer_set_itself():
    main = experiments.build_plan('wr_main', 'mini')
    plan = experiments.build_plan('wr_compound', 'mini')
    pools = [plan.configs[r] for r in plan.ids('pretrain') if plan.configs[r]['corpus'] == 'transfer']
    assert len(pools) == 3
    students = [plan.configs[r] for r in plan.ids('student')]
    for cfg in students:
        if cfg['procedure'] == 'D':  # random start: WR-F4's own runs
            assert runs.run_id(cfg) in main.configs
        else:  # PF / PD start from a model pre-trained on exactly D_T
            pretrain = plan.configs[cfg['init']]
            assert pretrain['corpus_transfer'] == dict(pool='world/sentiment', size=8000,
                                                       domain='movies', seed=0)
            if cfg['procedure'] == 'PD':
                assert cfg['transfer'] == pretrain['corpus_transfer']
    with pytest.raises(ExperimentError, match="student_init must be 'pretrain'"):
        experiments.build_plan('wr_compound', 'mini', student_init='google/bert_uncased_L-{L}_H-{H}_A-{A}')


def test_readme_plan_fine_tunes_every_named_size_on_every_task():
    plan = experiments.build_plan('wr_readme', 'mini', seeds=[0])
    students = [plan.configs[r] for r in plan.ids('student')]
    assert {(c['task'], c['size']) for c in students} == {
        (t, s) for t in ('world/sentiment', 'world/nli')
        for s in ('L1_H32', 'L2_H64', 'L2_H128', 'L4_H128')}
    assert {c['procedure'] for c in students} == {'PF'} and not any('teacher' in c for c in students)
    # the sentiment runs are WR-F4's own PF runs
    main = experiments.build_plan('wr_main', 'mini', seeds=[0])
    assert {r for r in plan.ids('student') if plan.configs[r]['task'] == 'world/sentiment'
            and plan.configs[r]['size'] != 'L4_H128'} <= set(main.configs)
    with pytest.raises(ExperimentError, match="procedure 'PD' needs a teacher"):
        experiments.build_plan('wr_readme', 'mini', procedures=['PD'])
