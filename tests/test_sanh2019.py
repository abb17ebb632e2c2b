"""DistilBERT (Sanh et al. 2019): each piece of the triple loss against hand-computed
values, the objective's terms, the student's initialisation, the offline span
tasks, parameter counts at paper size, bad input, and a tiny plan end to end."""
import math
import shutil

import pytest
import torch

from minilab import data, experiments, models, objectives, paths, runs, world, world_spans
from minilab.methods import distilbert, downstream



class _Out:
    """A model output with just the fields a term reads."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

def _softmax(z):
    e = [math.exp(v) for v in z]
    return [v / sum(e) for v in e]


# -----------------------------------------------------------------------------
# the three terms, by hand


def test_ce_term_is_t2_kl_over_non_pad_tokens():
    s = torch.tensor([[[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [5.0, -5.0, 9.0]]])
    t = torch.tensor([[[3.0, 2.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]])
    mask = torch.tensor([[1, 1, 0]])  # the third position is padding
    T = 2.0
    expected = 0.0
    for i in range(2):
        p_t = _softmax([v / T for v in t[0, i].tolist()])
        p_s = _softmax([v / T for v in s[0, i].tolist()])
        expected += sum(a * (math.log(a) - math.log(b)) for a, b in zip(p_t, p_s))
    expected = T ** 2 * expected / 2  # batchmean over the 2 real tokens
    kl = objectives.TERMS['kl'].fn
    pair = objectives.Pair(_Out(logits=s), {'logits': t}, {'attention_mask': mask}, temperature=T)
    assert kl(pair).item() == pytest.approx(expected, rel=1e-5)
    # restricted to the masked positions (labels != -100): only position 1 counts
    labels = torch.tensor([[-100, 7, -100]])
    p_t = _softmax([v / T for v in t[0, 1].tolist()])
    p_s = _softmax([v / T for v in s[0, 1].tolist()])
    only = T ** 2 * sum(a * (math.log(a) - math.log(b)) for a, b in zip(p_t, p_s))
    pair = objectives.Pair(_Out(logits=s), {'logits': t}, {'attention_mask': mask}, labels, T,
                           restrict_kl_to_mask=True)
    assert kl(pair).item() == pytest.approx(only, rel=1e-5)


def test_mlm_term_counts_masked_positions_only():
    logits = torch.tensor([[[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [9.0, 9.0, 9.0]]])
    labels = torch.tensor([[0, 1, -100]])
    expected = (-math.log(_softmax([2, 0, 0])[0]) - math.log(_softmax([0, 1, 0])[1])) / 2
    pair = objectives.Pair(_Out(logits=logits), {}, {}, mlm_labels=labels)
    assert objectives.TERMS['mlm'].fn(pair).item() == pytest.approx(expected, rel=1e-5)


def test_cos_term_is_one_minus_cosine_over_non_pad_tokens():
    h_s = torch.tensor([[[1.0, 0.0], [1.0, 1.0], [3.0, 4.0]]])
    h_t = torch.tensor([[[0.0, 1.0], [2.0, 2.0], [-3.0, -4.0]]])
    mask = torch.tensor([[1, 1, 0]])  # orthogonal (1 - 0) and parallel (1 - 1); pad ignored
    cos = objectives.TERMS['cos'].fn

    def pair(m):
        return objectives.Pair(_Out(hidden_states=(h_s,)), {'hidden_states': (h_t,)}, {'attention_mask': m})
    assert cos(pair(mask)).item() == pytest.approx(0.5, abs=1e-6)
    assert cos(pair(torch.ones(1, 3))).item() == pytest.approx((1 + 0 + 2) / 3, abs=1e-6)


# -----------------------------------------------------------------------------
# the objective and the student

TRIPLE = {'kl': 5.0, 'mlm': 2.0, 'cos': 1.0}


@pytest.fixture(scope='module')
def tok():
    return data.load_tokenizer('world')


@pytest.fixture(scope='module')
def teacher(tok):
    torch.manual_seed(0)
    return models.new_mlm_model(models.bert_config(4, 32, len(tok), max_position_embeddings=32)).eval()


def _batch(tok):
    enc = tok(['the plot was superb .', 'a tractor is a kind of vehicle , i mean it .'],
              padding=True, return_tensors='pt')
    return dict(enc)


def test_objective_terms_vanish_for_an_exact_copy(tok, teacher):
    """A DistilBERT copy of every teacher layer (token types folded in) computes the
    teacher's function: L_ce and L_cos are 0, L_mlm is the teacher's own MLM loss."""
    copy = models.to_distilbert(teacher, list(range(4)), fold_token_type=True).eval()
    objective = distilbert.general_distillation(teacher, tok, TRIPLE, seed=3)
    terms = objective(copy, _batch(tok))
    assert set(terms) == {'kl', 'mlm', 'cos'}
    assert terms['kl'].item() < 1e-6 and terms['cos'].item() < 1e-6
    masked_teacher = distilbert.general_distillation(teacher, tok, TRIPLE, seed=3)(teacher, _batch(tok))
    assert terms['mlm'].item() == pytest.approx(masked_teacher['mlm'].item(), rel=1e-5)
    # a half-depth student differs from the teacher, and every term trains it
    student = distilbert.new_student(teacher)
    terms = objective(student, _batch(tok))
    assert terms['kl'].item() > 0 and terms['cos'].item() > 0
    total = 5.0 * terms['kl'] + 2.0 * terms['mlm'] + 1.0 * terms['cos']
    total.backward()
    assert student.distilbert.transformer.layer[0].attention.q_lin.weight.grad is not None
    assert all(p.grad is None for p in teacher.parameters())  # the teacher stays frozen
    # without L_ce and L_cos the teacher is not run at all
    calls = []
    handle = teacher.register_forward_hook(lambda *a: calls.append(1))
    only_mlm = distilbert.general_distillation(teacher, tok, {'mlm': 2.0})(student, _batch(tok))
    handle.remove()
    assert set(only_mlm) == {'mlm'} and not calls


def test_student_is_half_depth_distilbert_from_every_other_layer(teacher):
    student = distilbert.new_student(teacher)
    assert student.config.model_type == 'distilbert' and student.config.n_layers == 2
    names = [n for n, _ in student.named_parameters()]
    assert not any('token_type' in n or 'pooler' in n for n in names)
    for i, j in enumerate([0, 2]):  # 4 -> 2: layers 0 and 2
        assert torch.equal(student.distilbert.transformer.layer[i].attention.q_lin.weight,
                           teacher.bert.encoder.layer[j].attention.self.query.weight)
        assert torch.equal(student.distilbert.transformer.layer[i].ffn.lin2.weight,
                           teacher.bert.encoder.layer[j].output.dense.weight)
    assert torch.equal(student.distilbert.embeddings.word_embeddings.weight,
                       teacher.bert.embeddings.word_embeddings.weight)
    assert torch.equal(student.vocab_transform.weight, teacher.cls.predictions.transform.dense.weight)
    explicit = distilbert.new_student(teacher, 2, layer_map=[1, 3])
    assert torch.equal(explicit.distilbert.transformer.layer[1].attention.q_lin.weight,
                       teacher.bert.encoder.layer[3].attention.self.query.weight)
    assert models.distilbert_layer_map(12, 6) == [0, 2, 4, 7, 9, 11]  # the official map
    random = distilbert.new_student(teacher, init='random')
    assert not torch.equal(random.distilbert.transformer.layer[0].attention.q_lin.weight,
                           teacher.bert.encoder.layer[0].attention.self.query.weight)
    with pytest.raises(ValueError, match="unknown student init 'zeros'; valid: teacher, random"):
        distilbert.new_student(teacher, init='zeros')


def test_parameter_counts_at_paper_size():
    """Table 3's 110M vs 66M, exactly: BERT-base with pooler, DistilBERT without
    token types and pooler (counted on the meta device: no memory)."""
    from transformers import BertConfig, BertModel, DistilBertConfig, DistilBertModel
    with torch.device('meta'):
        bert = models.count_parameters(BertModel(BertConfig()))
        distil = models.count_parameters(DistilBertModel(DistilBertConfig()))
    assert bert == models.bert_parameter_count(12, 768, with_mlm_head=False) == 109_482_240
    assert distil == models.bert_parameter_count(6, 768, type_vocab=0, with_pooler=False,
                                                 with_mlm_head=False) == 66_362_880


# -----------------------------------------------------------------------------
# the offline span tasks and the span objective


def test_long_reviews_label_is_the_majority_and_train_uses_seen_words():
    rows = world_spans.long_reviews('train', 40)
    assert sorted(set(rows['label'])) == [0, 1] and sum(rows['label']) == 20
    unseen = set(world.POSITIVE[world.N_SEEN:] + world.NEGATIVE[world.N_SEEN:])
    assert not any(w in unseen for t in rows['text'] for w in t.split())
    assert any(w in unseen for t in world_spans.long_reviews('test', 40)['text'] for w in t.split())
    assert world_spans.long_reviews('dev', 5, seed=1) == world_spans.long_reviews('dev', 5, seed=1)


def test_span_qa_answers_and_token_labels(tok):
    qa = world_spans.span_qa('dev', 50)
    assert set(qa['kind']) == set(world_spans.QA_KINDS)
    for c, a, s in zip(qa['context'], qa['answer'], qa['answer_start']):
        assert c[s:s + len(a)] == a
    task = world_spans.load_task('world/span_qa', 10, 10, 10)
    feats = world_spans.tokenize_spans(task.dev, tok, 64)
    for row in feats:
        s, e = row['label']
        assert 0 < s <= e and row['context_mask'][s] and row['context_mask'][e]
        assert tok.decode(row['input_ids'][s:e + 1]) == row['answer']
    assert world_spans.best_span([0, 5, 1, 0], [0, 0, 9, 9], [0, 1, 1, 1], max_answer_tokens=2) == (1, 2)
    assert world_spans.f1_score('the red tractor', 'red car') == pytest.approx(0.5)
    assert world_spans.exact_match('The Barn.', 'barn') == 1.0


def test_span_objective_kl_vanishes_against_own_logits(tok):
    from transformers import AutoModelForQuestionAnswering
    torch.manual_seed(0)
    config = downstream.distilbert_config(1, 32, len(tok), 64)
    model = AutoModelForQuestionAnswering.from_config(config).eval()
    feats = world_spans.tokenize_spans(world_spans.load_task('world/span_qa', 4, 4, 4).train, tok, 64)
    soft = downstream.span_logits(model, feats, tok, pad_to=64)
    from minilab.batching import collate
    batch = collate(tok)([dict(feats[i], teacher_logits=soft[i]) for i in range(len(feats))])
    assert batch['label'].shape == (4, 2) and batch['teacher_logits'].shape == (4, 2, 64)
    terms = objectives.compose({'ce': 0.5, 'span_kl': 0.5}, temperature=2.0)(model, batch)
    assert terms['span_kl'].item() < 1e-5 and terms['ce'].item() > 0


# -----------------------------------------------------------------------------
# presets and plans


def test_bad_input_is_one_line_naming_the_choices():
    cases = [(dict(variants=['full', 'no_kl']), "unknown variant 'no_kl'; valid: full, no_ce"),
             (dict(tasks=['world/squad']), "unknown world task 'world/squad'; valid: world/sentiment"),
             (dict(teacher_size='huge'), "unknown model size 'huge'"),
             (dict(student_layers=7), 'student_layers must be in 1..6'),
             (dict(layer_map=[0, 9, 1]), 'layer_map [0, 9, 1] must list 3 teacher layers'),
             (dict(latency_task='world/span_qa'), 'latency_task must be a classification task')]
    for overrides, message in cases:
        with pytest.raises(experiments.ExperimentError) as err:
            experiments.build_plan('db_main', 'mini', **overrides)
        assert message in str(err.value) and '\n' not in str(err.value)
    with pytest.raises(experiments.ExperimentError, match='unknown preset'):
        experiments.build_plan('db_main', 'huge')


def test_mini_plans_pretrain_the_teacher_with_turc2019s_recipe():
    db = experiments.build_plan('db_all', 'mini')
    wr = experiments.build_plan('wr_main', 'mini')
    wr_teacher = wr.configs[wr.configs[wr.ids('teacher')[0]]['init']]
    db_teacher, = [db.configs[r] for r in db.ids('pretrain')]
    assert wr_teacher['mixed_precision'] == 'bf16' and db_teacher['mixed_precision'] == 'no'
    assert dict(db_teacher, mixed_precision='bf16') == wr_teacher  # only the precision differs
    mh = experiments.build_plan('mh_main', 'mini')
    assert set(db.ids('pretrain')) <= set(mh.ids('pretrain'))  # one stage for these two papers
    kinds = [c['kind'] for c in db.configs.values()]
    assert kinds.count('general_distill') == 5 and kinds.count('latency') == 1
    main = experiments.build_plan('db_main', 'mini')
    assert len(main.ids('finetune')) == 3 * 3 * 7  # tasks x seeds x (teacher, baseline, 5 students)
    # the paper preset: bert-base-uncased, 12 -> 6 with the official map, 5 seeds
    paper = experiments.build_plan('db_main', 'paper')
    gd = [c for c in paper.configs.values() if c['kind'] == 'general_distill'][0]
    assert gd['teacher'] == 'bert-base-uncased' and gd['student_layers'] == 6
    assert not paper.ids('pretrain')


SMALL = dict(corpus_size=600, distill_corpus_size=300, heldout_size=50, train_size=48, dev_size=32,
             test_size=32, tasks=['world/nli'], variants=['full', 'no_cos'],
             downstream_tasks=['world/span_qa'], latency_examples=10)


@pytest.mark.slow
def test_tiny_plan_end_to_end_shares_and_resumes(tmp_path, monkeypatch):
    data.load_tokenizer('world')  # trains it into the session cache once
    cache = tmp_path / 'cache'
    cache.mkdir()
    (cache / 'tokenizers').symlink_to(paths.CACHE / 'tokenizers', target_is_directory=True)
    monkeypatch.setattr(paths, 'RUNS', tmp_path / 'runs')
    monkeypatch.setattr(paths, 'CACHE', cache)
    plan = experiments.build_plan('db_all', 'tiny', **SMALL)
    assert plan.execute(log=print) == list(plan.configs)
    finetunes = experiments.results('db_all', 'tiny', kind='finetune', **SMALL)
    roles = sorted(zip(finetunes['role'], finetunes['task']))
    assert roles == sorted([('teacher', 'world/nli'), ('baseline', 'world/nli'), ('student', 'world/nli'),
                            ('student', 'world/nli'), ('teacher', 'world/span_qa'),
                            ('student', 'world/span_qa'), ('student_d', 'world/span_qa')])
    assert finetunes['score'].between(0, 100).all()
    gd = experiments.results('db_all', 'tiny', kind='general_distill', **SMALL)
    assert set(gd['variant']) == {'full', 'no_cos'} and (gd['teacher_params'] > gd['student_params']).all()
    latency = experiments.results('db_all', 'tiny', kind='latency', **SMALL).iloc[0]
    assert latency['teacher_seconds'] > 0 and latency['student_seconds'] > 0
    assert latency['teacher_layers'] == 2 and latency['student_layers'] == 1

    # the teacher's pre-training, finished in another paper's store, is adopted, not re-run
    rid = plan.ids('pretrain')[0]
    shutil.copytree(runs.run_dir('sanh2019', rid), runs.run_dir('turc2019', rid))
    (runs.run_dir('sanh2019', rid) / runs.RECORD).unlink()
    again = experiments.build_plan('db_all', 'tiny', **SMALL)
    assert again.execute(log=print) == [rid]
    assert runs.load_record('sanh2019', rid)['shared_from'] == 'turc2019'
    assert again.execute(log=print) == []


@pytest.mark.slow
def test_paper_preset_on_local_stand_ins(tmp_path, monkeypatch):
    """The paper preset's path, offline: bert-base-uncased, the text corpus, GLUE
    and IMDb replaced by a small local MLM model, a .txt file, a GLUE-style TSV
    folder and a CSV (SQuAD needs the hub: span QA stays the world's)."""
    import csv
    monkeypatch.setattr(paths, 'RUNS', tmp_path / 'runs')
    tok = data.load_tokenizer('world')
    tok.save_pretrained(tmp_path / 'tokenizer')
    models.new_mlm_model(models.bert_config(2, 64, len(tok), max_position_embeddings=64)).save_pretrained(
        tmp_path / 'bert')
    (tmp_path / 'corpus.txt').write_text('\n'.join(world.lm_corpus(300)) + '\n')
    rte = tmp_path / 'RTE'
    rte.mkdir()
    for split, n in [('train', 48), ('dev', 24)]:
        rows = world.task_split('nli', split, n)
        with open(rte / f'{split}.tsv', 'w') as f:
            f.write('sentence1\tsentence2\tlabel\n')
            f.writelines(f'{p}\t{h}\t{y}\n' for p, h, y in zip(rows['text'], rows['text_pair'], rows['label']))
    with open(tmp_path / 'imdb.csv', 'w', newline='') as f:
        rows = world_spans.long_reviews('train', 64)
        csv.writer(f).writerows([('text', 'label')] + list(zip(rows['text'], rows['label'])))
    overrides = dict(teacher_init=str(tmp_path / 'bert'), teacher_size='L2_H64', student_layers=1,
                     tokenizer=str(tmp_path / 'tokenizer'), corpus=str(tmp_path / 'corpus.txt'),
                     distill_corpus_size=200, heldout_size=20, distill_batch_size=32, max_length=48,
                     tasks=[str(rte)], downstream_tasks=[str(tmp_path / 'imdb.csv'), 'world/span_qa'],
                     latency_task=str(rte), latency_examples=8, variants=['full'], seeds=[0],
                     train_size=32, dev_size=16, test_size=16, finetune_epochs=1, baseline_epochs=1,
                     mixed_precision='no')
    plan = experiments.build_plan('db_all', 'paper', **overrides)
    assert not plan.ids('pretrain')  # the teacher is given, as bert-base-uncased is
    plan.execute(log=print)
    assert not plan.todo()
    tuned = experiments.results('db_all', 'paper', kind='finetune', **overrides)
    assert len(tuned) == 3 + 6 and tuned['score'].notna().all()
