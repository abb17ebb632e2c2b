"""Mukherjee & Hassan Awadallah 2020: BiLSTM objectives, gradual unfreezing,
teacher targets, the experiment plans, and a tiny plan end to end (slow).

Unit tests use a 30-token vocabulary and widths <= 16, so they take
milliseconds; the end-to-end tests train the tiny preset on smaller data.
"""
import math

import pytest
import torch

from minilab import data, experiments, losses, models, objectives, paths, runs
from minilab.methods import xtremedistil as xd
from minilab.papers import mukherjee2020 as mh
from minilab.experiments import ExperimentError

VOCAB = 30


def student(dense=8, labels=3):
    torch.manual_seed(0)
    return models.BiLSTMClassifier(VOCAB, labels, embedding_dim=6, hidden_size=5, dense_size=dense)


def batch(B=4, T=7, labels=3, dense=8, gold=True):
    g = torch.Generator().manual_seed(1)
    out = {'input_ids': torch.randint(5, VOCAB, (B, T), generator=g),
           'attention_mask': torch.ones(B, T, dtype=torch.long),
           'teacher_logits': torch.randn(B, labels, generator=g),
           'teacher_repr': torch.randn(B, dense, generator=g)}
    if gold:
        out['label'] = torch.tensor([0, 2, -100, 1])[:B]
    return out


# ----------------------------------------------------------------- objective


def test_objective_terms_match_the_losses():
    model, b = student().eval(), batch()
    terms = objectives.compose({'rep_mse': 1, 'logit_mse': 1, 'hard': 1, 'ce': 1})(model, b)
    assert set(terms) == {'rep_mse', 'logit_mse', 'hard', 'ce'}
    out = model(input_ids=b['input_ids'], attention_mask=b['attention_mask'])
    assert torch.allclose(terms['logit_mse'], ((out.logits - b['teacher_logits']) ** 2).mean())
    pseudo = b['teacher_logits'].argmax(-1)
    assert torch.allclose(terms['hard'], torch.nn.functional.cross_entropy(out.logits, pseudo))
    assert torch.allclose(terms['rep_mse'], ((out.representation - b['teacher_repr']) ** 2).mean())
    # the -100 row (a transfer row of a mixed batch) has no gold label
    keep = b['label'] != -100
    assert torch.allclose(terms['ce'], torch.nn.functional.cross_entropy(out.logits[keep],
                                                                         b['label'][keep]))


@pytest.mark.parametrize('kind', losses.REPRESENTATION_KINDS)
def test_objective_rep_kinds(kind):
    model, b = student().eval(), batch()
    term = objectives.rep_term(kind)
    rep = objectives.compose({term: 1.0})(model, b)[term]
    out = model(input_ids=b['input_ids'], attention_mask=b['attention_mask'])
    assert torch.allclose(rep, losses.representation_loss(out.representation, b['teacher_repr'], kind))


def test_stage_weights_name_the_representation_term():
    assert xd.stage_weights('rep', 'kl') == {'rep_kl': 1.0}
    assert xd.stage_weights('joint', 'cosine') == {'rep_cos': 1.0, 'logit_mse': 1.0, 'ce': 1.0}
    assert xd.stage_weights('hard') == {'ce': 1.0}  # gold + teacher-labelled rows
    with pytest.raises(ValueError, match="unknown rep_loss 'l1'; valid: mse, kl, cosine"):
        xd.stage_weights('rep', 'l1')


def test_projection_when_widths_differ():
    wrapped = xd.WithProjection(student(dense=8), teacher_dim=12)
    b = batch(dense=12)
    terms = objectives.compose({'rep_cos': 1.0})(wrapped, b)
    assert terms['rep_cos'].shape == ()
    terms['rep_cos'].backward()
    assert wrapped.proj.proj.weight.grad is not None
    # equal widths: identity, nothing extra to train
    assert not list(xd.WithProjection(student(dense=8), 8).proj.parameters())


# ----------------------------------------------------------------- unfreezing


def test_unfreezing_schedule_is_top_down_after_the_first_stage():
    assert xd.unfreezing_steps(0, True) == [xd.GROUPS]
    assert xd.unfreezing_steps(1, False) == [xd.GROUPS]
    steps = xd.unfreezing_steps(2, True)
    assert steps == [('classifier', 'dense'), ('classifier', 'dense', 'lstm'), xd.GROUPS]
    assert all(set(a) < set(b) for a, b in zip(steps, steps[1:]))  # each step adds a lower group


def test_frozen_groups_do_not_move_in_fit():
    tok = data.load_tokenizer('world')
    model = models.BiLSTMClassifier(len(tok), 2, 8, 8, 8)
    ds = data.tokenize(data.load_task('world/sentiment', train_size=32, dev_size=8,
                                      test_size=8).train, tok, 24)
    xd.set_trainable(model, ('classifier', 'dense'))
    assert [p.requires_grad for p in model.lstm.parameters()] == [False] * 8
    before = {k: v.clone() for k, v in model.state_dict().items()}
    from minilab.train import fit
    fit(model, objectives.compose({'ce': 1.0}), {'ce': 1.0}, ds, tok, epochs=1, batch_size=8, progress=False,
        weight_decay=0.0)
    after = model.state_dict()
    for name in before:
        moved = not torch.equal(before[name], after[name])
        assert moved == name.startswith(('classifier', 'dense')), name
    xd.set_trainable(model, xd.GROUPS)
    assert all(p.requires_grad for p in model.parameters())


def test_early_stop_counts_evaluations_and_keeps_the_best():
    model = student()
    scores = iter([0.5, 0.7, 0.6, 0.65, 0.9])
    stop = xd.EarlyStop(model, patience=2, score=lambda: next(scores), keep=True)
    with torch.no_grad():
        out = []
        for i in range(4):
            model.classifier.bias.fill_(i)
            out.append(stop({}))
    assert out == [False, False, False, True]  # best at the 2nd, two worse after it
    assert stop.best == 0.7 and float(stop.state['classifier.bias'][0]) == 1.0
    assert not xd.EarlyStop(model, patience=0)({'dev_accuracy': 1.0})  # 0: never stops


# ----------------------------------------------------------------- teacher


def test_teacher_targets_shapes_cache_and_choices(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, 'CACHE', tmp_path)
    tok = data.load_tokenizer('world')
    torch.manual_seed(0)
    teacher = models.new_classifier(models.bert_config(2, 16, len(tok)), 3).eval()
    teacher.save_pretrained(tmp_path / 'teacher')
    ds = data.tokenize(data.load_task('world/topic', train_size=10, dev_size=4,
                                      test_size=4).train, tok, 24)
    arrays, info = xd.teacher_targets(tmp_path / 'teacher', ds, 'k', tok, 'world', 24, 'pooled')
    assert arrays['logits'].shape == (10, 3) and arrays['repr'].shape == (10, 16)
    assert info['teacher_cache'] == 'miss'
    again, info = xd.teacher_targets(tmp_path / 'teacher', ds, 'k', tok, 'world', 24, 'pooled')
    assert info['teacher_cache'] == 'hit' and (again['repr'] == arrays['repr']).all()
    assert abs(arrays['repr']).max() <= 1.0  # the pooler's tanh
    emb, _ = xd.teacher_targets(tmp_path / 'teacher', ds, 'k', tok, 'world', 24, 'layer0')
    assert not (emb['repr'] == arrays['repr']).all()
    for bad in ('layer', 'last', 'layer-1'):
        with pytest.raises(ValueError, match='valid'):
            xd.teacher_targets(tmp_path / 'teacher', ds, 'k', tok, 'world', 24, bad)


# ----------------------------------------------------------------- plans


def test_every_preset_builds_and_validates():
    for name in ('mh_main', 'mh_lowres', 'mh_transfer', 'mh_ablation', 'mh_speed'):
        for preset in ('tiny', 'mini', 'paper'):
            plan = experiments.build_plan(name, preset)
            assert plan.paper == 'mukherjee2020' and plan.ids('teacher')


def test_main_plan_structure():
    p = experiments.params('mh_main', 'mini')
    plan = experiments.build_plan('mh_main', 'mini')
    students = plan.ids('bilstm')
    assert len(students) == len(p['tasks']) * len(p['seeds']) * len(p['procedures'])
    assert len(plan.ids('teacher')) == len(p['tasks']) and len(plan.ids('pretrain')) == 1
    for rid in students:
        c = plan.configs[rid]
        assert c['dense_size'] == 192  # the teacher width (base = L6_H192)
        assert c['embeddings'] == 'teacher' and c['teacher'] in plan.ids('teacher')
        assert plan.configs[c['teacher']]['task'] == c['task']
        stages = xd.PROCEDURES[c['procedure']]
        assert ('transfer' in c) == (c['procedure'] != 'labeled')
        assert ('rep_loss' in c) == ('rep' in stages)
        assert ('unfreeze' in c) == (len(stages) > 1)


def test_experiments_share_runs():
    """The stage-wise sentiment student of the main table is the transfer sweep's
    4000 point and the ablation's MSE arm: one id, trained once."""
    main = experiments.build_plan('mh_main', 'mini')
    ids = set(main.configs)
    for name in ('mh_transfer', 'mh_ablation', 'mh_speed'):
        plan = experiments.build_plan(name, 'mini')
        assert set(plan.ids('teacher')) <= ids
        assert set(plan.ids('bilstm')) & ids or name == 'mh_speed'
    abl = experiments.build_plan('mh_ablation', 'mini')
    shared = [r for r, v in abl.labels.items() if v == 'stagewise_mse']
    assert set(shared) <= ids


def test_lowres_teacher_sees_the_same_labels():
    p = experiments.params('mh_lowres', 'mini')
    plan = experiments.build_plan('mh_lowres', 'mini')
    teachers = plan.ids('teacher')
    assert sorted(plan.labels[t] for t in teachers) == sorted(p['labels_per_class'])
    for rid in plan.ids('bilstm'):
        c = plan.configs[rid]
        t = plan.configs[c['teacher']]
        assert c['train_size'] == t['train_size'] == 2 * plan.labels[rid]
        steps = t['epochs'] * math.ceil(t['train_size'] / t['batch_size'])
        assert steps >= p['min_steps']


@pytest.mark.parametrize('bad, words', [
    (dict(procedures=['distil']), ["'distil'", 'stagewise']),
    (dict(rep_loss='l2'), ["'l2'", 'cosine']),
    (dict(embeddings='glove'), ["'glove'", 'teacher']),
    (dict(teacher_repr='top'), ["'top'", 'pooled']),
    (dict(tasks=['world/poetry']), ["'world/poetry'", 'world/sentiment']),
    (dict(seeds=[]), ['seeds']),
])
def test_bad_parameters_fail_in_one_line(bad, words):
    with pytest.raises(ExperimentError) as err:
        experiments.params('mh_main', 'tiny', **bad)
    assert '\n' not in str(err.value) and all(w in str(err.value) for w in words)


def test_bad_ablation_and_sweep_values():
    with pytest.raises(ExperimentError, match='valid: stagewise_mse'):
        experiments.params('mh_ablation', 'tiny', variants=['dropout'])
    with pytest.raises(ExperimentError, match='labels_per_class'):
        experiments.params('mh_lowres', 'tiny', labels_per_class=[0])
    with pytest.raises(ExperimentError, match='known number of classes'):
        experiments.params('mh_lowres', 'tiny', task='some/dataset')


# ----------------------------------------------------------------- end to end

SMALL = dict(corpus_size=256, train_size=32, dev_size=32, test_size=32, transfer_size=48)


@pytest.fixture
def store(tmp_path, monkeypatch):
    data.load_tokenizer('world')  # trained once into the session cache
    cache = tmp_path / 'cache'
    cache.mkdir()
    (cache / 'tokenizers').symlink_to(paths.CACHE / 'tokenizers', target_is_directory=True)
    monkeypatch.setattr(paths, 'RUNS', tmp_path / 'runs')
    monkeypatch.setattr(paths, 'CACHE', cache)
    return tmp_path / 'runs'


@pytest.mark.slow
def test_tiny_plan_end_to_end(store):
    over = dict(SMALL, tasks=['world/sentiment'], procedures=list(xd.PROCEDURES), patience=1)
    plan = experiments.build_plan('mh_main', 'tiny', **over)
    ran = plan.execute(log=print)
    assert ran == list(plan.configs) and len(plan.ids('bilstm')) == 5
    records = {plan.configs[r]['procedure']: runs.load_record('mukherjee2020', r)
               for r in plan.ids('bilstm')}
    for proc, rec in records.items():
        m, t = rec['metrics'], rec['timings']
        assert 0 <= m['test_accuracy'] <= 100 and m['dev_accuracy'] is not None
        assert m['params'] == models.bilstm_parameter_count(len(data.load_tokenizer('world')),
                                                            16, 16, 64, 2)
        assert t['train_seconds'] > 0 and t['wall_seconds'] >= t['train_seconds']
        stages = [h['stage'] for h in rec['history']]
        assert list(dict.fromkeys(stages)) == list(xd.PROCEDURES[proc])
    # stage-wise: one fit for 'rep', three unfreezing steps for 'logit' and for 'ce'
    fits = {(h['stage'], h['trainable']) for h in records['stagewise']['history']}
    assert len(fits) == 7 and ('logit', 'classifier+dense') in fits
    # the teacher runs once per input set; every later student reads the cache
    assert records['hard']['timings']['teacher_cache'] == 'miss'
    assert records['stagewise']['timings']['teacher_cache'] == 'hit'
    assert plan.execute(log=print) == []  # resumable: nothing left
    df = experiments.results('mh_main', 'tiny', kind='bilstm', **over)
    assert sorted(df['procedure']) == sorted(xd.PROCEDURES)


@pytest.mark.slow
def test_tiny_speed_run(store):
    plan = experiments.build_plan('mh_speed', 'tiny', **SMALL)
    plan.execute(log=print)
    rid = next(r for r, v in plan.labels.items() if v == 'speed')
    m = runs.load_record('mukherjee2020', rid)['metrics']
    assert m['teacher_params'] > m['student_params'] > 0
    assert m['teacher_ms_batch1'] > 0 and m['student_ms_batched'] > 0
    # papers.md 3.3: BERT-Large / the 300-600-1024 BiLSTM with a 25k vocabulary ~ 26x
    assert 25 < m['paper_teacher_params'] / m['paper_student_params'] < 27


@pytest.mark.slow
def test_paper_preset_on_local_models_and_files(store, tmp_path):
    """The paper preset's path with every hub name replaced by a local stand-in:
    a GLUE-style folder, an unlabeled CSV transfer file, a saved tokenizer and a
    small BERT standing in for BERT-Large (the 300/600 BiLSTM is kept)."""
    import csv

    from minilab import world
    tok = data.load_tokenizer('world')
    tok.save_pretrained(tmp_path / 'tokenizer')
    folder = tmp_path / 'reviews'
    folder.mkdir()
    for split, n in [('train', 80), ('dev', 24)]:
        rows = world.task_split('sentiment', split, n)
        with open(folder / f'{split}.tsv', 'w') as f:
            f.write('sentence\tlabel\n')
            f.writelines(f'{t}\t{y}\n' for t, y in zip(rows['text'], rows['label']))
    transfer = tmp_path / 'unlabeled.csv'
    with open(transfer, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['text'])
        w.writerows([t] for t in world.transfer_pool('sentiment', 40)['text'])
    models.new_mlm_model(models.bert_config(2, 64, len(tok))).save_pretrained(tmp_path / 'large')
    over = dict(tasks=[str(folder)], tokenizer=str(tmp_path / 'tokenizer'),
                teacher_init=str(tmp_path / 'large'), teacher_size='L2_H64', seeds=[0],
                transfer_pool=str(transfer), transfer_size=40, max_length=32, teacher_epochs=1,
                ce_epochs=1, finetune_epochs=1, hard_epochs=1, logit_epochs=1, rep_epochs=1,
                mixed_precision='no')
    plan = experiments.build_plan('mh_main', 'paper', **over)
    assert plan.execute() == list(plan.configs)  # teacher + 4 students, no pretrain stage
    df = experiments.results('mh_main', 'paper', kind='bilstm', **over)
    assert sorted(df['procedure']) == sorted(mh.MAIN)
    assert set(df['embedding_projection']) == {'random'}  # 300 > the stand-in's width 64
    assert (df['params'] == models.bilstm_parameter_count(len(tok), 300, 600, 64, 2)).all()
