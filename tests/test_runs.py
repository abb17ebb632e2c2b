"""The run store (minilab.runs) and what notebooks record (minilab.report).
Everything is written under tmp_path; nothing is trained."""
import csv
import json

import pandas as pd
import pytest

from minilab import paths, report, runs
from minilab.runs import RunRecordError

CONFIG = {'kind': 'student', 'procedure': 'PD', 'size': 'L1_H32', 'seed': 0, 'lr': 0.001,
          'sizes': ['tiny', 'mini'], 'transfer': {'pool': 'world/sentiment', 'size': 300}}


def save(tmp_path, config=CONFIG, paper='p', **kw):
    kw.setdefault('metrics', {'test_accuracy': 80.0})
    return runs.save_run(paper, config, root=tmp_path, **kw)


# -------------------------------------------------------------- run ids


def test_run_id_stable_under_key_order():
    reordered = dict(reversed(list(CONFIG.items())))
    reordered['transfer'] = {'size': 300, 'pool': 'world/sentiment'}
    assert runs.run_id(reordered) == runs.run_id(CONFIG)
    assert runs.run_id(CONFIG) == runs.run_id(json.loads(json.dumps(CONFIG)))


def test_run_id_changes_with_any_value():
    rid = runs.run_id(CONFIG)
    assert rid.startswith('student-') and len(rid) == len('student-') + 10
    for key, value in [('seed', 1), ('lr', 0.002), ('sizes', ['tiny']), ('procedure', 'D'),
                       ('transfer', {'pool': 'world/sentiment', 'size': 301})]:
        assert runs.run_id(dict(CONFIG, **{key: value})) != rid, key
    assert runs.run_id(dict(CONFIG, extra=None)) != rid
    assert runs.run_id({'seed': 0}).startswith('run-')


# -------------------------------------------------------------- save / load


def test_save_load_round_trip(tmp_path):
    folder = save(tmp_path, history=[{'step': 1, 'train_ce': 0.5}],
                  timings={'train_seconds': 1.5, 'train_tokens': 100}, extra={'note': 'x'})
    rid = runs.run_id(CONFIG)
    assert folder == tmp_path / 'p' / rid == runs.run_dir('p', rid, tmp_path)
    rec = runs.load_run(folder)
    assert rec == runs.load_record('p', rid, root=tmp_path)
    assert rec['run_id'] == rid and rec['paper'] == 'p' and rec['config'] == CONFIG
    assert rec['seed'] == 0 and rec['metrics'] == {'test_accuracy': 80.0}
    assert rec['history'] == [{'step': 1, 'train_ce': 0.5}]
    assert rec['timings'] == {'train_seconds': 1.5, 'train_tokens': 100}
    assert rec['note'] == 'x' and rec['finished_at']
    assert rec['environment']['versions']['torch']


def test_record_seconds_prefers_the_whole_run_then_train_plus_teacher_pass():
    assert runs.record_seconds({'timings': {'wall_seconds': 9.0, 'train_seconds': 5.0}}) == 9.0
    assert runs.record_seconds({'timings': {'seconds': 4.0}}) == 4.0
    assert runs.record_seconds({'timings': {'train_seconds': 5.0, 'teacher_seconds': 2.5}}) == 7.5
    assert runs.record_seconds({'timings': {'threads': 1}}) is None
    assert runs.record_seconds({}) is None


def test_run_lock_keeps_a_second_holder_out_until_released(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, 'CACHE', tmp_path)
    with runs.run_lock('p', 'student-1') as first:
        assert first
        with runs.run_lock('p', 'student-1', wait=False) as second:
            assert second is False  # flock: another open file of the same lock conflicts
        with runs.run_lock('p', 'student-2', wait=False) as other:
            assert other  # one lock per run id
    with runs.run_lock('p', 'student-1', wait=False) as again:
        assert again


def test_numpy_values_are_saved_as_numbers(tmp_path):
    import numpy as np
    rec = runs.load_run(save(tmp_path, metrics={'acc': np.float32(0.5), 'n': np.float64(2.0)}))
    assert rec['metrics'] == {'acc': 0.5, 'n': 2.0}


def test_is_done(tmp_path):
    rid = runs.run_id(CONFIG)
    assert not runs.is_done('p', rid, root=tmp_path)
    save(tmp_path)
    assert runs.is_done('p', rid, root=tmp_path)
    assert not runs.is_done('other', rid, root=tmp_path)


def test_default_root_is_paths_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, 'RUNS', tmp_path / 'store')
    runs.save_run('p', CONFIG, {'acc': 1.0})
    assert (tmp_path / 'store' / 'p' / runs.run_id(CONFIG) / runs.RECORD).exists()
    assert runs.is_done('p', runs.run_id(CONFIG))


def test_atomic_write_text(tmp_path):
    path = tmp_path / 'deep' / 'er' / 'file.json'
    runs.atomic_write_text(path, 'one')
    assert path.read_text() == 'one'
    runs.atomic_write_text(path, 'two')
    assert path.read_text() == 'two'
    assert sorted(p.name for p in path.parent.iterdir()) == ['file.json']  # no tmp left


def test_truncated_record(tmp_path):
    folder = save(tmp_path)
    record = folder / runs.RECORD
    record.write_text(record.read_text()[:40])
    with pytest.raises(RunRecordError) as err:
        runs.load_run(folder)
    assert str(record) in str(err.value) and 'corrupted' in str(err.value)
    with pytest.raises(RunRecordError):  # and so does every reader that meets it
        runs.load_runs('p', root=tmp_path)


def test_record_missing_metrics(tmp_path):
    folder = save(tmp_path)
    record = folder / runs.RECORD
    data = json.loads(record.read_text())
    del data['metrics']
    record.write_text(json.dumps(data))
    with pytest.raises(RunRecordError) as err:
        runs.load_run(folder)
    assert str(record) in str(err.value) and "'metrics'" in str(err.value)


def test_no_record(tmp_path):
    with pytest.raises(RunRecordError) as err:
        runs.load_run(tmp_path / 'nothing')
    assert str(tmp_path / 'nothing') in str(err.value)


# -------------------------------------------------------------- load_runs


def test_load_runs_dataframe_and_filters(tmp_path):
    for seed in (0, 1):
        for proc in ('basic', 'PD'):
            cfg = dict(CONFIG, seed=seed, procedure=proc)
            save(tmp_path, cfg, metrics={'test_accuracy': 70.0 + seed},
                 timings={'train_seconds': 2.0})
    save(tmp_path, dict(CONFIG, kind='teacher'), paper='q')
    df = runs.load_runs('p', root=tmp_path)
    assert isinstance(df, pd.DataFrame) and len(df) == 4
    for col in ('run_id', 'paper', 'kind', 'procedure', 'size', 'seed', 'lr', 'test_accuracy',
                'time_train_seconds'):
        assert col in df.columns, col
    assert df['sizes'].iloc[0] == ('tiny', 'mini')  # lists become hashable tuples
    assert len(runs.load_runs('p', root=tmp_path, procedure='PD')) == 2
    sub = runs.load_runs('p', root=tmp_path, procedure='PD', seed=1)
    assert len(sub) == 1 and sub['test_accuracy'].iloc[0] == 71.0
    assert runs.load_runs('p', root=tmp_path, procedure='nope').empty
    assert len(runs.load_runs(root=tmp_path)) == 5  # every paper
    assert runs.load_runs(root=tmp_path / 'empty').empty


def test_environment():
    env = runs.environment()
    assert env['code_version'] and isinstance(env['code_version'], str)
    assert env['versions']['torch'] and env['versions']['transformers']
    assert env['cpu'] and env['cpu_count'] >= 1 and env['python']
    assert runs.environment() is env  # computed once


# -------------------------------------------------------------- report


def test_record_finding_inserts_then_replaces(tmp_path):
    path = tmp_path / 'findings.csv'
    kw = dict(paper='turc2019', claim='PD > PF', notebook='wr_f4_main_result')
    report.record_finding('WR-F4', measured='91 > 90', holds=True, preset='mini', path=path, **kw)
    report.record_finding('WR-F1', measured='a, "quoted"', holds=False, preset='mini', path=path, **kw)
    report.record_finding('WR-F4', measured='92 > 90', holds=False, preset='tiny', path=path, **kw)
    report.record_finding('WR-F4', measured='89 < 90', holds=False, preset='mini', path=path, **kw)
    with open(path, newline='') as f:
        rows = list(csv.DictReader(f))
    assert [(r['id'], r['preset']) for r in rows] == [('WR-F1', 'mini'), ('WR-F4', 'mini'),
                                                      ('WR-F4', 'tiny')]
    assert rows[1]['measured'] == '89 < 90' and rows[1]['holds'] == 'does not hold'
    assert rows[0]['measured'] == 'a, "quoted"'
    assert list(rows[0]) == report.FINDING_COLUMNS
    df = report.load_findings(path)
    assert len(df) == 3
    assert 'WR-F4' in report.findings_markdown(path)
    assert report.findings_markdown(tmp_path / 'none.csv').startswith('_no findings')
    assert [p.name for p in tmp_path.iterdir()] == ['findings.csv']


def test_record_outputs_manifest(tmp_path):
    path = tmp_path / 'manifest.json'
    fig = paths.FIGURES / 'turc2019' / 'wr_f4.png'
    report.record_outputs('wr_f4', notebook='wr_f4_main_result', parameters={'PRESET': 'mini'},
                          run_ids=['b', 'a'], outputs=[fig, tmp_path / 'x.csv'], path=path)
    report.record_outputs('wr_t1', notebook='nb', parameters={}, run_ids=[], outputs=[], path=path)
    manifest = json.loads(path.read_text())
    assert list(manifest) == ['wr_f4', 'wr_t1']
    entry = manifest['wr_f4']
    assert entry['notebook'] == 'wr_f4_main_result' and entry['parameters'] == {'PRESET': 'mini'}
    assert entry['runs'] == ['a', 'b']
    assert entry['outputs'] == ['results/figures/turc2019/wr_f4.png', str(tmp_path / 'x.csv')]
    report.record_outputs('wr_f4', notebook='nb2', parameters={}, run_ids=['c'], outputs=[], path=path)
    manifest = json.loads(path.read_text())
    assert manifest['wr_f4'] == {'notebook': 'nb2', 'parameters': {}, 'runs': ['c'], 'outputs': []}
    assert 'wr_t1' in manifest


def test_update_readme_rewrites_only_the_scorecard_block(tmp_path):
    from minilab import report
    findings = tmp_path / 'findings.csv'
    report.record_finding('WR-F4', 'turc2019', 'PD > PF', 'tiny: PD 60 > PF 55', True,
                          'nb', 'mini', path=findings)
    readme = tmp_path / 'README.md'
    readme.write_text(f'# title\n{report.README_START}\nSTALE\n{report.README_END}\nafter\n')
    assert report.update_readme(readme, findings)
    text = readme.read_text()
    assert 'STALE' not in text and 'WR-F4' in text and text.startswith('# title') \
        and text.endswith('after\n')
    plain = tmp_path / 'plain.md'
    plain.write_text('no markers\n')
    assert not report.update_readme(plain, findings)
    assert plain.read_text() == 'no markers\n'


WRITER = '''
import sys
from minilab import report
findings, manifest, who = sys.argv[1:]
for i in range(20):
    item = f'{who}-{i:02d}'
    report.record_finding(item, 'p', 'claim', 'measured', True, 'nb', 'mini', path=findings)
    report.record_outputs(item, 'nb', {}, [], [], path=manifest)
'''


def test_concurrent_notebooks_lose_no_finding(tmp_path):
    # `minilab reproduce` runs notebooks at once, each in its own kernel
    # process, and each rewrites the same findings.csv and manifest.json
    import subprocess
    import sys
    findings, manifest = tmp_path / 'findings.csv', tmp_path / 'manifest.json'
    writers = [subprocess.Popen([sys.executable, '-c', WRITER, str(findings), str(manifest), who],
                                cwd=paths.ROOT) for who in 'ABCD']
    assert [w.wait(60) for w in writers] == [0, 0, 0, 0]
    expected = sorted(f'{who}-{i:02d}' for who in 'ABCD' for i in range(20))
    with open(findings, newline='') as f:
        assert [r['id'] for r in csv.DictReader(f)] == expected
    assert list(json.loads(manifest.read_text())) == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ['findings.csv', 'manifest.json']
