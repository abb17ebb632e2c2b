"""Checks before compute (issue 13 item 7, issue 14 item 2): every parameter's
type and range (minilab.experiments.params), and every task, model, tokenizer,
corpus and transfer-pool name of a plan (minilab.stages.Plan.check), give one
line and exit status 2 before any stage trains.

Nothing is trained: Plan.run is replaced by a function that fails the test.
Local data and model folders are small files the tests write themselves.
"""
import json

import pytest

from minilab import cli, data, experiments, models, paths, stages
from minilab.experiments import ExperimentError


@pytest.fixture(autouse=True)
def no_training(monkeypatch, tmp_path):
    """No saved runs (everything is to do) and no stage may run."""
    monkeypatch.setattr(paths, 'RUNS', tmp_path / 'runs')

    def run(self, rid, progress=False):
        pytest.fail(f'stage {rid} started training')
    monkeypatch.setattr(stages.Plan, 'run', run)


@pytest.fixture
def empty_hub_cache(monkeypatch, tmp_path):
    """Offline, with nothing in the hub's or datasets' cache (a developer's
    machine may have bert-base-uncased or glue cached) and no local copies
    of hub datasets (MINILAB_DATA)."""
    import datasets
    import huggingface_hub
    monkeypatch.setattr(paths, 'DATA', tmp_path / 'no-local-copies')
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    monkeypatch.setenv('HF_DATASETS_OFFLINE', '1')
    monkeypatch.setattr(huggingface_hub.constants, 'HF_HUB_CACHE', str(tmp_path / 'hub'))
    monkeypatch.setattr(datasets.config, 'HF_DATASETS_CACHE', tmp_path / 'datasets')


def run_main(capsys, *argv):
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def assert_exit_2_one_line(capsys, argv, *words):
    rc, out, err = run_main(capsys, *argv)
    lines = err.splitlines()
    assert rc == 2, (rc, out, err)
    assert len(lines) == 1 and lines[0].startswith('minilab: error:'), err
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def dry_run_ok(capsys, *argv):
    rc, out, err = run_main(capsys, *argv, '--dry-run')
    assert rc == 0, err
    return out


# -------------------------------------------------------------- types and ranges


@pytest.mark.parametrize('argv, words', [
    # wrong types: one line naming the value, the type and range, the preset's value
    (['run', 'wr_main', '--set', 'lr=abc'], ["lr='abc' is not a number", 'a number > 0', '0.001']),
    (['run', 'wr_main', '--set', 'train_size=abc'], ["train_size='abc' is not an integer",
                                                     'an integer >= 1 or None']),
    (['run', 'wr_main', '--set', 'teacher_lr=fast'], ["teacher_lr='fast' is not a number"]),
    (['run', 'wr_main', '--set', 'teacher_epochs=1.5'], ['teacher_epochs=1.5 is not an integer',
                                                         'an integer >= 1']),
    (['run', 'wr_main', '--set', 'transfer_size=8e3'], ['transfer_size=8000.0 is not an integer']),
    (['run', 'wr_main', '--set', 'length_grouping=1'], ['length_grouping=1 is not True or False']),
    (['run', 'wr_main', '--set', 'task=3'], ['task=3 is not a string']),
    (['run', 'wr_main', '--set', 'lr=None'], ['lr=None is not allowed', 'a number > 0']),
    (['run', 'wr_main', '--set', 'seeds=[0, 1.5]'], ['holds 1.5, not an integer',
                                                     'a list of integers >= 0']),
    # out of range
    (['run', 'wr_main', '--set', 'lr=0'], ['lr=0 is out of range', '> 0']),
    (['run', 'wr_main', '--set', 'lr=-1e-3'], ['lr=-0.001 is out of range']),
    (['run', 'wr_main', '--set', 'teacher_lr=-5'], ['teacher_lr=-5 is out of range']),
    (['run', 'wr_main', '--set', 'train_size=0'], ['train_size=0 is out of range', '>= 1']),
    (['run', 'wr_main', '--set', 'transfer_size=-10'], ['transfer_size=-10 is out of range']),
    (['run', 'wr_main', '--set', 'epochs=0'], ['epochs=0 is out of range']),
    (['run', 'wr_main', '--set', 'teacher_epochs=-1'], ['teacher_epochs=-1 is out of range']),
    (['run', 'wr_main', '--set', 'batch_size=0'], ['batch_size=0 is out of range']),
    (['run', 'wr_main', '--set', 'temperature=0'], ['temperature=0 is out of range']),
    (['run', 'wr_main', '--set', 'pretrain_mlm_probability=1.5'], ['out of range', 'in (0, 1]']),
    (['run', 'wr_main', '--seeds', '-1'], ['seeds=[-1] holds -1, out of range']),
    (['run', 'wr_main', '--set', 'seeds=[]'], ['seeds=[] is empty']),
    (['run', 'mh_main', '--set', 'dropout=1.0'], ['dropout=1.0 is out of range', 'in [0, 1)']),
    (['run', 'mh_main', '--set', 'unfreeze=yes'], ["unfreeze='yes' is not True or False"]),
    (['run', 'db_main', '--set', 'distill_warmup=-0.1'], ['distill_warmup=-0.1 is out of range']),
    (['run', 'db_main', '--set', 'betas=0.9'], ['betas [0.9] must be two numbers']),
    (['run', 'db_main', '--set', 'finetune_epochs=0'], ['finetune_epochs=0 is out of range']),
    # choices and names the plans read
    (['run', 'wr_main', '--set', 'scale=huge'], ["scale='huge' is not a valid choice", 'mini, paper']),
    (['run', 'wr_main', '--set', 'mixed_precision=fp8'], ["mixed_precision='fp8'", 'no, bf16, fp16']),
    (['run', 'wr_main', '--set', 'teacher_size=L0_H64'], ["'L0_H64'", 'layers >= 1']),
    (['run', 'wr_main', '--set', 'student_init={X}'], ["student_init '{X}' is not a name template",
                                                        '{L} {H} {A}']),
    (['run', 'wr_main', '--set', 'distill_loss=nope'], ["unknown loss term 'nope'", 'soft_ce']),
    (['run', 'wr_main', '--sizes', 'L2_H128', 'giant'], ["'giant'", 'tiny', 'medium']),
])
def test_bad_values_exit_2_with_one_line(capsys, argv, words):
    assert_exit_2_one_line(capsys, argv, *words)


@pytest.mark.parametrize('name, key, value, expected', [
    ('wr_main', 'sizes', 'L2_H128', ['L2_H128']),        # was: unknown model size 'L'
    ('wr_main', 'seeds', 3, [3]),
    ('wr_main', 'seeds', (0, 1), [0, 1]),                # --set seeds=0,1
    ('wr_main', 'procedures', 'PF', ['PF']),
    ('wr_main', 'procedures', 'basic,D', ['basic', 'D']),  # --set procedures=basic,D
    ('wr_readme', 'tasks', 'world/nli', ['world/nli']),
    ('wr_transfer', 'transfer_sizes', 500, [500]),
    ('wr_domain', 'transfer_domains', 'books', ['books']),
    ('db_main', 'variants', 'full', ['full']),
    ('mh_lowres', 'labels_per_class', 5, [5]),
    ('wr_init', 'depths', 1, [1]),
])
def test_a_list_parameter_given_one_value_is_a_one_element_list(name, key, value, expected):
    assert experiments.params(name, 'tiny', **{key: value})[key] == expected


def test_one_size_from_the_command_line_is_one_student_size(capsys):
    out = dry_run_ok(capsys, 'run', 'wr_main', '--preset', 'tiny', '--set', 'sizes=L2_H128')
    plan = experiments.build_plan('wr_main', 'tiny', sizes=['L2_H128'])
    assert {c['size'] for c in plan.configs.values() if c['kind'] == 'student'} == {'L2_H128'}
    assert [line.split()[0] for line in out.splitlines()[:-1]] == list(plan.configs)


def test_valid_values_pass():
    p = experiments.params('wr_main', 'tiny', lr=1, temperature=2, finetune_epochs=0,
                           train_size=experiments.SET_NONE, length_grouping=True)
    assert p['lr'] == 1 and p['finetune_epochs'] == 0 and p['train_size'] is None
    assert experiments.params('wr_main', 'paper', train_size=500)['train_size'] == 500
    assert experiments.params('db_main', 'tiny', layer_map=[0])['layer_map'] == [0]
    with pytest.raises(ExperimentError, match='holds 0.5, not an integer'):
        experiments.params('db_main', 'tiny', layer_map=[0.5])


def test_set_none_sets_none_where_a_preset_allows_it(capsys):
    dry_run_ok(capsys, 'run', 'wr_main', '--preset', 'tiny', '--set', 'train_size=None')
    assert_exit_2_one_line(capsys, ['run', 'wr_main', '--set', 'epochs=None'], 'epochs=None is not allowed')


def test_every_preset_passes_its_own_checks():
    for name, e in experiments.EXPERIMENTS.items():
        for preset in e['presets']:
            assert experiments.params(name, preset) == e['presets'][preset]  # unchanged values


def test_every_numeric_parameter_has_a_range():
    missing = set()
    for e in experiments.EXPERIMENTS.values():
        for p in e['presets'].values():
            for key, value in p.items():
                items = value if isinstance(value, list) else [value]
                if any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items):
                    if key not in experiments.RANGES:
                        missing.add(key)
    assert not missing, f'add these to experiments.RANGES: {sorted(missing)}'


def test_types_come_from_the_presets():
    types = experiments.param_types('wr_main')
    assert types['lr'] == (float, None, False)
    assert types['train_size'] == (int, None, True)      # None in the paper preset
    assert types['sizes'] == (list, str, False)
    assert types['length_grouping'] == (bool, None, False)
    assert experiments.param_types('db_main')['layer_map'] == (list, int, False)


# -------------------------------------------------------------- names


def test_unreachable_hub_task_fails_before_pretraining(capsys, empty_hub_cache):
    line = assert_exit_2_one_line(capsys, ['run', 'wr_main', '--preset', 'tiny', '--set', 'task=glue/sst2'])
    assert line == ("minilab: error: task 'glue/sst2' is neither a local path nor reachable on the hub "
                    "(offline: HF_HUB_OFFLINE=1); valid offline: world/sentiment, world/nli, world/topic "
                    "or a local CSV/TSV/JSON(L)/Parquet/txt file or folder, or a name with a copy in "
                    "the data directory (MINILAB_DATA)")


@pytest.mark.parametrize('argv, words', [
    (['--set', 'task=world/nope'], ["unknown world task 'world/nope'", 'world/sentiment']),
    (['--set', 'domain=mars'], ["unknown domain 'mars'", 'movies']),
    (['--set', 'task=no_such_dataset'], ["task 'no_such_dataset' is neither a local path nor reachable",
                                         'HF_HUB_OFFLINE=1']),
    (['--set', 'task=./missing.csv'], ["task './missing.csv' is not a local path"]),
    (['--set', 'task=a/b/c'], ["task 'a/b/c'", 'not a valid hub name']),
    (['--set', 'tokenizer=no-such-owner/no-such-tokenizer'],
     ["tokenizer 'no-such-owner/no-such-tokenizer' is neither a local path nor reachable", "'world'"]),
    (['--set', 'corpus=missing.txt'], ["LM corpus 'missing.txt' is not a local file", "'world'"]),
    (['--set', 'corpus=no-such-owner/no-such-corpus'], ["LM corpus 'no-such-owner/no-such-corpus'"]),
    (['--set', 'transfer_pool=world/nope'], ["unknown world pool 'world/nope'"]),
    (['--set', 'transfer_pool=no-such-pool'], ["transfer pool 'no-such-pool' is neither"]),
    (['--set', 'transfer_domain=mars'], ["unknown transfer domain 'mars'", 'lm']),
    (['--set', 'teacher_init=no-such-owner/no-such-bert'],
     ["teacher init 'no-such-owner/no-such-bert' is neither a local path nor reachable",
      'HF_HUB_OFFLINE=1', 'save_pretrained']),
    (['--set', 'student_init=no-such-owner/bert_L-{L}_H-{H}_A-{A}'],
     ["student init 'no-such-owner/bert_L-1_H-32_A-1'"]),
])
def test_bad_names_fail_before_any_stage(capsys, empty_hub_cache, argv, words):
    assert_exit_2_one_line(capsys, ['run', 'wr_main', '--preset', 'tiny', *argv], *words)
    # the dry run resolves the same names
    assert_exit_2_one_line(capsys, ['run', 'wr_main', '--preset', 'tiny', *argv, '--dry-run'], *words)


@pytest.mark.parametrize('argv, words', [
    (['run', 'db_main', '--preset', 'tiny', '--set', 'teacher_init=no-such-bert'],
     ["general_distill teacher 'no-such-bert'"]),
    (['run', 'db_downstream', '--preset', 'tiny', '--set', 'downstream_tasks=squad'],
     ["task 'squad' is neither", 'world/span_qa']),
    (['run', 'mh_main', '--preset', 'tiny', '--set', 'tasks=imdb'], ["task 'imdb' is neither"]),
    (['run', 'mh_main', '--preset', 'tiny', '--set', 'transfer_pool=missing.jsonl'],
     ["transfer pool 'missing.jsonl' is not a local path"]),
    (['run', 'wr_concurrent', '--preset', 'tiny', '--set', 'distilbert_init=no-such-distilbert'],
     ["student init 'no-such-distilbert'"]),
    (['run', 'wr_compound', '--preset', 'tiny', '--set', 'transfer_pool=no-such-pool'],
     ["transfer pool 'no-such-pool'"]),
    (['run', 'db_speed', '--preset', 'tiny', '--set', 'latency_task=glue/mrpc'], ["task 'glue/mrpc'"]),
])
def test_bad_names_in_other_papers(capsys, empty_hub_cache, argv, words):
    assert_exit_2_one_line(capsys, argv, *words)


def test_paper_wide_plans_are_resolved(capsys, empty_hub_cache):
    """`minilab run turc2019 --preset paper` offline: one line about the first
    hub name, before anything trains; tiny (the world's names) passes."""
    assert_exit_2_one_line(capsys, ['run', 'turc2019', '--preset', 'paper'],
                           'is neither a local path nor reachable on the hub', 'HF_HUB_OFFLINE=1')
    assert_exit_2_one_line(capsys, ['run', 'sanh2019', '--preset', 'paper', '--dry-run'],
                           'is neither a local path nor reachable on the hub')
    dry_run_ok(capsys, 'run', 'all', '--preset', 'tiny')


def test_local_paths_are_paths_with_or_without_a_slash(capsys, empty_hub_cache, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'reviews').mkdir()
    (tmp_path / 'reviews' / 'train.csv').write_text('text,label\ngood film,1\nbad film,0\n')
    (tmp_path / 'reviews.csv').write_text('text,label\ngood film,1\nbad film,0\n')
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'corpus.txt').write_text('a sentence\nanother one\n')
    teacher = tmp_path / 'teacher'
    teacher.mkdir()
    (teacher / 'config.json').write_text(json.dumps({'model_type': 'bert'}))
    (tmp_path / 'weights').mkdir()  # a folder without config.json
    base = ['run', 'wr_main', '--preset', 'tiny']
    for ok in (['task=reviews'], ['task=reviews.csv'], [f'task={tmp_path}/reviews'],
               ['transfer_pool=reviews'], ['corpus=corpus.txt'], ['corpus=reviews.csv'],
               ['teacher_init=teacher'], [f'teacher_init={teacher}']):
        dry_run_ok(capsys, *base, '--set', *ok)
    # (an existing path is stored absolute, so the message names it so)
    assert_exit_2_one_line(capsys, base + ['--set', 'task=empty'], f"task folder '{tmp_path}/empty' has no train.csv")
    assert_exit_2_one_line(capsys, base + ['--set', 'task=reviews2'],
                           "task 'reviews2' is neither a local path nor reachable on the hub")
    assert_exit_2_one_line(capsys, base + ['--set', 'teacher_init=weights'],
                           f"teacher init '{tmp_path}/weights' is not a folder with a config.json")
    assert_exit_2_one_line(capsys, base + ['--set', 'tokenizer=empty'],
                           f"tokenizer '{tmp_path}/empty' is not a folder with tokenizer files")
    assert_exit_2_one_line(capsys, base + ['--set', 'corpus=corpus.csv'],
                           "LM corpus 'corpus.csv' is not a local path")


def test_plan_check_skips_its_own_stages_and_random():
    plan = experiments.build_plan('wr_main', 'tiny')
    assert plan.check() is plan  # pretrain / teacher ids, 'random', world names
    plan = experiments.build_plan('db_speed', 'tiny')  # general_distill init 'teacher', latency models
    plan.check()
    latency = next(c for c in plan.configs.values() if c['kind'] == 'latency')
    latency['models'] = dict(latency['models'], extra='no-such-model-folder')
    with pytest.raises(models.ModelNotFoundError, match="latency model 'extra' 'no-such-model-folder'"):
        plan.check()


def test_online_resolution_asks_the_hub_without_downloading(monkeypatch, tmp_path):
    """Online (HF_HUB_OFFLINE=0) a hub name costs one existence request; the
    hub is replaced here, so nothing is sent."""
    import huggingface_hub
    monkeypatch.setattr(paths, 'DATA', tmp_path / 'no-local-copies')
    monkeypatch.setenv('HF_HUB_OFFLINE', '0')
    monkeypatch.setenv('HF_DATASETS_OFFLINE', '0')
    asked = []

    def repo_exists(self, repo_id, repo_type=None, **kwargs):
        asked.append((repo_id, repo_type))
        return repo_id in ('nyu-mll/glue', 'bert-base-uncased')
    monkeypatch.setattr(huggingface_hub.HfApi, 'repo_exists', repo_exists)
    assert data.resolve_task('glue/sst2') == 'glue/sst2'
    assert data.resolve_tokenizer('bert-base-uncased') == 'bert-base-uncased'
    assert models.resolve_model('bert-base-uncased') == 'bert-base-uncased'
    assert asked == [('nyu-mll/glue', 'dataset'), ('bert-base-uncased', 'model'),
                     ('bert-base-uncased', 'model')]
    with pytest.raises(data.DataError, match=r"task 'nope/x' is neither .*\(no such dataset on the hub\)"):
        data.resolve_task('nope/x')
    with pytest.raises(models.ModelNotFoundError, match='no such model on the hub'):
        models.resolve_model('nope/bert')

    def unreachable(self, repo_id, repo_type=None, **kwargs):
        raise ConnectionError('no network')
    monkeypatch.setattr(huggingface_hub.HfApi, 'repo_exists', unreachable)
    with pytest.raises(data.DataError, match='the hub is unreachable: ConnectionError'):
        data.resolve_tokenizer('bert-base-uncased')


def test_paper_preset_on_local_stand_ins_resolves(tmp_path, empty_hub_cache):
    """tests/test_paper_path.py's stand-ins (a GLUE-style folder of TSVs, a saved
    tokenizer, model folders, an unlabeled CSV) resolve; a size without its
    folder does not, before anything trains."""
    data.load_tokenizer('world').save_pretrained(tmp_path / 'tokenizer')
    glue = tmp_path / 'SST-2'
    glue.mkdir()
    for split in ('train', 'dev'):
        (glue / f'{split}.tsv').write_text('sentence\tlabel\ngood film\t1\n')
    (tmp_path / 'unlabeled.csv').write_text('text\na film\n')
    for folder in ('teacher', 'bert_L1_H64_A1'):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / 'config.json').write_text('{}')
    local = dict(task=str(glue), tokenizer=str(tmp_path / 'tokenizer'), teacher_init=str(tmp_path / 'teacher'),
                 student_init=str(tmp_path / 'bert_L{L}_H{H}_A{A}'), teacher_size='L2_H64',
                 sizes=['L1_H64'], seeds=[0], transfer_pool=str(tmp_path / 'unlabeled.csv'))
    experiments.build_plan('wr_main', 'paper', **local).check()
    plan = experiments.build_plan('wr_main', 'paper', **dict(local, sizes=['L1_H64', 'L2_H64']))
    with pytest.raises(models.ModelNotFoundError, match=r"student init '.*bert_L2_H64_A1' is neither a local"):
        plan.check()
    with pytest.raises(ValueError, match="tokenizer 'bert-base-uncased' is neither a local path"):
        experiments.build_plan('wr_main', 'paper', **dict(local, tokenizer='bert-base-uncased')).check()
