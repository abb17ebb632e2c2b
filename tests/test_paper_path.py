"""The paper-scale path, offline: the `paper` preset with every hub name replaced
by a local stand-in in the usual formats (a GLUE-style folder of TSVs, models
and a tokenizer saved with save_pretrained, an unlabeled CSV transfer file)."""
import csv

import pytest

from minilab import data, experiments, models, paths, runs, world


@pytest.mark.slow
def test_paper_preset_on_local_models_and_glue_files(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, 'RUNS', tmp_path / 'runs')
    tok = data.load_tokenizer('world')
    tok_dir = tmp_path / 'tokenizer'
    tok.save_pretrained(tok_dir)
    # GLUE SST-2 layout: sentence<TAB>label, a header, train.tsv and dev.tsv
    glue = tmp_path / 'SST-2'
    glue.mkdir()
    for split, n in [('train', 64), ('dev', 32)]:
        rows = world.task_split('sentiment', 'train' if split == 'train' else 'dev', n)
        with open(glue / f'{split}.tsv', 'w') as f:
            f.write('sentence\tlabel\n')
            f.writelines(f'{t}\t{y}\n' for t, y in zip(rows['text'], rows['label']))
    # an unlabeled transfer file, as a user would have one
    transfer = tmp_path / 'unlabeled.csv'
    with open(transfer, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['text'])
        w.writerows([t] for t in world.transfer_pool('sentiment', 40)['text'])
    # local stand-ins for bert-large-uncased and google/bert_uncased_L-{L}_H-{H}_A-{A}
    models.new_mlm_model(models.bert_config(2, 64, len(tok))).save_pretrained(tmp_path / 'teacher')
    models.new_mlm_model(models.bert_config(1, 64, len(tok))).save_pretrained(
        tmp_path / 'bert_L1_H64_A1')
    plan = experiments.build_plan(
        'wr_main', 'paper', task=str(glue), tokenizer=str(tok_dir),
        teacher_init=str(tmp_path / 'teacher'), student_init=str(tmp_path / 'bert_L{L}_H{H}_A{A}'),
        teacher_size='L2_H64', sizes=['L1_H64'], seeds=[0], transfer_pool=str(transfer),
        transfer_size=40, max_length=32, teacher_epochs=1, epochs=1, distill_epochs=1,
        mixed_precision='no')
    ran = plan.execute()
    assert len(ran) == 5  # teacher + basic, D, PF, PD
    for rid in ran:
        record = runs.load_record('turc2019', rid)
        assert record['metrics']['test_accuracy'] is not None
    df = experiments.results('wr_main', 'paper', task=str(glue), tokenizer=str(tok_dir),
                             teacher_init=str(tmp_path / 'teacher'),
                             student_init=str(tmp_path / 'bert_L{L}_H{H}_A{A}'),
                             teacher_size='L2_H64', sizes=['L1_H64'], seeds=[0],
                             transfer_pool=str(transfer), transfer_size=40, max_length=32,
                             teacher_epochs=1, epochs=1, distill_epochs=1, mixed_precision='no')
    assert sorted(df['procedure']) == ['D', 'PD', 'PF', 'basic']


def test_hub_names_fail_offline_with_one_line(monkeypatch, tmp_path):
    """Offline (as in `make test`) and without local copies, the paper preset's
    hub names fail fast and clearly."""
    monkeypatch.setattr(paths, 'DATA', tmp_path)
    with pytest.raises(data.DataError) as err:
        data.load_task('glue/sst2')
    assert '\n' not in str(err.value) and 'glue/sst2' in str(err.value)
    with pytest.raises(ValueError) as err:
        models.load_model('google/bert_uncased_L-2_H-128_A-2', kind='classifier', num_labels=2)
    assert '\n' not in str(err.value)
