"""MLM pre-training of small students on real English: the output layer at
masked positions only (the same loss as over every position), corpus mixes,
packed rows, the held-out accuracy and its unigram baseline, and the real
preset's students to pre-train, with the ids of its existing stages unchanged."""
import pytest
import torch

from minilab import data, experiments, models, objectives, paths, runs
from minilab.methods import pretraining

# `minilab run wr_main --preset real --dry-run` before pre-training was added to
# the real preset: 3 teachers (one per seed) and 12 L3_H384 students
REAL_IDS = ['teacher-1765a437c4', 'teacher-3b47297bd0', 'teacher-45fe6c1e7d',
            'student-74aff70a36', 'student-0c920a4230', 'student-c114459f09', 'student-caf9da1b38',
            'student-2a088416f8', 'student-7025e87c01', 'student-b16d2e3554', 'student-805c776245',
            'student-0823be70c8', 'student-6518f3dcba', 'student-65c5b340b3', 'student-4eec317bd8']


@pytest.fixture(scope='module')
def tokenizer():
    return data.load_tokenizer('world')


def tiny_mlm(tokenizer, dropout=0.0, seed=0):
    torch.manual_seed(seed)
    return models.new_mlm_model(models.bert_config(2, 32, len(tokenizer), max_position_embeddings=32,
                                                   hidden_dropout_prob=dropout,
                                                   attention_probs_dropout_prob=dropout))


def batch_of(tokenizer, texts):
    enc = tokenizer(texts, padding=True, return_tensors='pt')
    return {k: enc[k] for k in ('input_ids', 'attention_mask', 'token_type_ids')}


TEXTS = ['the movie was great and the actors were good .', 'a dull film .',
         'i loved every minute of this long and lovely story about a dog .']


# -------------------------------------------------------------- masked-only head


def test_masked_head_loss_and_gradients_equal_the_full_heads(tokenizer):
    batch = batch_of(tokenizer, TEXTS)
    grads, values = [], []
    for masked in (False, True):
        model = tiny_mlm(tokenizer)
        objective = objectives.compose({'mlm': 1.0}, tokenizer=tokenizer, mlm_probability=0.3,
                                       seed=3, masked_head=masked)
        loss = objective(model, batch)['mlm']
        loss.backward()
        values.append(loss.item())
        grads.append({n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None})
    assert values[1] == pytest.approx(values[0], abs=1e-6)
    assert grads[0].keys() == grads[1].keys()
    for name in grads[0]:
        assert torch.allclose(grads[0][name], grads[1][name], atol=1e-6), name


def test_masked_head_rows_are_the_full_logits_rows(tokenizer):
    model = tiny_mlm(tokenizer).eval()
    batch = batch_of(tokenizer, TEXTS)
    masked, labels = objectives.Masker(tokenizer, 0.3, seed=1)(batch['input_ids'])
    inputs = dict(batch, input_ids=masked)
    with torch.no_grad():
        full = model(**inputs).logits
        rows, kept = objectives.masked_mlm_logits(model, inputs, labels)
    selected = labels != -100
    assert rows.shape == (int(selected.sum()), len(tokenizer))
    assert torch.equal(kept, labels[selected])
    assert torch.allclose(rows, full[selected], atol=1e-5)


def test_masked_head_is_for_the_mlm_term_alone(tokenizer):
    with pytest.raises(ValueError, match="for the 'mlm' term alone; got terms kl, mlm"):
        objectives.compose({'kl': 5.0, 'mlm': 2.0}, tokenizer=tokenizer, mlm_probability=0.15,
                           masked_head=True)
    classifier = models.new_classifier(models.bert_config(1, 32, len(tokenizer)), 2)
    objective = objectives.compose({'mlm': 1.0}, tokenizer=tokenizer, mlm_probability=0.15,
                                   masked_head=True)
    with pytest.raises(ValueError, match='needs a BertForMaskedLM .* got BertForSequenceClassification'):
        objective(classifier, batch_of(tokenizer, TEXTS))


def test_a_model_trained_with_the_masked_head_saves_and_loads_as_before(tokenizer, tmp_path):
    from transformers import AutoModelForMaskedLM
    model = tiny_mlm(tokenizer)
    objective = objectives.compose({'mlm': 1.0}, tokenizer=tokenizer, mlm_probability=0.3,
                                   masked_head=True)
    objective(model, batch_of(tokenizer, TEXTS))['mlm'].backward()
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    model.save_pretrained(tmp_path)
    loaded = AutoModelForMaskedLM.from_pretrained(tmp_path).eval()
    batch = batch_of(tokenizer, TEXTS)
    with torch.no_grad():
        assert torch.allclose(loaded(**batch).logits, model.eval()(**batch).logits, atol=1e-6)
    assert loaded.cls.predictions.decoder.weight.data_ptr() == \
        loaded.bert.embeddings.word_embeddings.weight.data_ptr()  # still tied


# -------------------------------------------------------------- corpus mixes and packing


@pytest.fixture
def two_files(tmp_path):
    a, b = tmp_path / 'a.txt', tmp_path / 'b.txt'
    a.write_text('a one\na two\n\na three\n')
    b.write_text('b one\nb two\n')
    return str(a), str(b)


def test_a_mix_pools_its_sources_and_draws_by_seed(two_files):
    a, b = two_files
    assert data.corpus_sources(f'{a}+{b}') == [a, b] == data.corpus_sources([a, b])
    assert data.corpus_sources('gutenberg') == ['gutenberg']
    whole = data.lm_corpus(f'{a}+{b}', None)
    assert list(whole['text']) == ['a one', 'a two', 'a three', 'b one', 'b two']  # empty lines dropped
    assert whole['text_pair'][0] is None
    draws = {s: list(data.lm_corpus([a, b], 3, seed=s)['text']) for s in range(6)}
    assert all(len(d) == 3 and set(d) <= set(whole['text']) for d in draws.values())
    assert draws[0] == list(data.lm_corpus(f'{a}+{b}', 3, seed=0)['text'])  # the same draw either way
    assert len({tuple(d) for d in draws.values()}) > 1  # the seed draws
    # one source: the draw it always was
    one = data.lm_corpus(a, 2, seed=4)
    expected = data._texts(a).filter(lambda r: bool(r['text'].strip())).shuffle(seed=4)
    assert list(one['text']) == list(expected['text'][:2])


@pytest.mark.parametrize('spec, words', [
    ('world+gutenberg', "mixes 'world' with other sources"),
    ('gutenberg+', 'has an empty name in its mix'),
    ('gutenberg+gutenberg', 'names a source twice'),
])
def test_bad_mixes_fail_in_one_line(spec, words):
    with pytest.raises(data.DataError, match=words) as err:
        data.lm_corpus(spec, 10)
    assert '\n' not in str(err.value) and 'valid' in str(err.value)
    with pytest.raises(data.DataError, match=words):
        data.resolve_corpus(spec)


def test_a_mix_resolves_each_source(two_files, tmp_path):
    a, b = two_files
    assert data.resolve_corpus(f'{a}+{b}') == f'{a}+{b}'
    with pytest.raises(data.DataError, match='no_such.txt'):
        data.resolve_corpus(f'{a}+{tmp_path}/no_such.txt')


def test_heldout_texts_are_the_ones_the_draw_left_out(two_files):
    a, b = two_files
    drawn = set(data.lm_corpus(f'{a}+{b}', 3, seed=1)['text'])
    held = list(data.lm_heldout(f'{a}+{b}', 3, 10, seed=1)['text'])
    assert len(held) == 2 and not drawn & set(held)
    assert len(data.lm_heldout(f'{a}+{b}', None, 10)) == 0  # the draw took every text
    world_drawn = set(data.lm_corpus('world', 200, seed=0)['text'])
    world_held = list(data.lm_heldout('world', 200, 50, seed=0)['text'])
    assert world_held and not world_drawn & set(world_held)


def test_packed_rows_are_the_token_stream_cut_into_full_rows(tokenizer):
    ds = data.lm_corpus('world', 40, seed=0)
    rows = data.pack(ds, tokenizer, max_length=16, chunk=7)
    sep, cls = tokenizer.sep_token_id, tokenizer.cls_token_id
    stream = [i for t in ds['text'] for i in (*tokenizer(t, add_special_tokens=False)['input_ids'], sep)]
    assert len(rows) == len(stream) // 14
    got = [list(r) for r in rows['input_ids']]
    assert all(len(r) == 16 and r[0] == cls and r[-1] == sep for r in got)
    assert [i for r in got for i in r[1:-1]] == stream[:len(rows) * 14]
    counts = pretraining.token_counts(rows, len(tokenizer))
    assert counts.sum() == 16 * len(rows) and counts[cls] >= len(rows)


# -------------------------------------------------------------- held-out accuracy


def test_heldout_accuracy_is_the_top_prediction_at_fixed_masks(tokenizer):
    model = tiny_mlm(tokenizer, dropout=0.1)
    rows = data.tokenize(data.lm_corpus('world', 50, seed=5), tokenizer, 32)
    counts = pretraining.token_counts(rows, len(tokenizer))
    got = pretraining.heldout_accuracy(model, rows, tokenizer, 0.4, counts=counts, batch_size=16)
    assert got == pretraining.heldout_accuracy(model, rows, tokenizer, 0.4, counts=counts,
                                               batch_size=16)  # fixed masks, dropout off
    # by hand: the full logits' argmax at the same masks, and the most frequent piece
    masker = objectives.Masker(tokenizer, 0.4, seed=pretraining.HELDOUT_MASK_SEED)
    from minilab.batching import make_loader
    correct = unigram = n = 0
    counts = counts.astype(float)
    counts[tokenizer.all_special_ids] = -1
    top = counts.argmax()
    model.eval()
    for batch in make_loader(rows, tokenizer, 16, shuffle=False):
        masked, labels = masker(batch['input_ids'])
        with torch.no_grad():
            logits = model(**dict(objectives.model_inputs(batch), input_ids=masked)).logits
        at = labels != -100
        correct += int((logits[at].argmax(-1) == labels[at]).sum())
        unigram += int((labels[at] == top).sum())
        n += int(at.sum())
    assert got['positions'] == n > 0
    assert got['accuracy'] == pytest.approx(100 * correct / n)
    assert got['unigram_accuracy'] == pytest.approx(100 * unigram / n) and got['unigram_accuracy'] > 0
    assert 0 < got['loss'] and pretraining.heldout_accuracy(model, rows.select([]), tokenizer, 0.4) is None


def test_a_pretrain_run_records_heldout_accuracy_and_tokens(tmp_path, monkeypatch, two_files):
    """A packed, masked-head pre-training of a 1-layer model on a local corpus mix."""
    from minilab.stages import Plan
    monkeypatch.setattr(paths, 'RUNS', tmp_path / 'runs')
    monkeypatch.setattr(paths, 'CACHE', tmp_path / 'cache')
    corpus = tmp_path / 'c.txt'
    corpus.write_text('\n'.join(data.lm_corpus('world', 300, seed=9)['text']) + '\n')
    p = dict(experiments.params('wr_main', 'tiny'), corpus=f'{corpus}+{two_files[0]}', corpus_size=250,
             pretrain_max_length=24, pretrain_packing=True, pretrain_masked_head=True,
             pretrain_batch_size=16)
    plan = Plan('turc2019')
    rid = pretraining.init_ref(plan, p, 'pretrain', 'L1_H32', epochs=1)
    config = plan.configs[rid]
    assert config['packed'] and config['masked_head'] and config['max_length'] == 24
    plan.run(rid)
    record = runs.load_record('turc2019', rid)
    m = record['metrics']
    assert m['train_tokens'] == record['timings']['train_tokens'] > 0
    assert m['train_tokens'] % 24 == 0  # full packed rows only
    assert 0 <= m['heldout_mlm_accuracy'] <= 100 and 0 <= m['heldout_mlm_unigram_accuracy'] <= 100
    assert m['heldout_mlm_positions'] > 0 and m['heldout_mlm_loss'] > 0
    loaded = models.load_model(str(paths.CACHE / record['checkpoint']), kind='mlm')
    assert loaded.config.max_position_embeddings == 24


# -------------------------------------------------------------- the real preset


def test_the_real_presets_existing_stages_keep_their_ids():
    plan = experiments.build_plan('wr_main', 'real')
    assert [rid for rid in plan.configs if rid in REAL_IDS] == REAL_IDS  # the saved ones, still there
    for rid in REAL_IDS:
        if plan.configs[rid]['kind'] == 'student':
            assert plan.configs[rid]['init'] in ('random', 'sentence-transformers/paraphrase-MiniLM-L3-v2')
    added = {plan.configs[rid]['size'] for rid in plan.configs if rid not in REAL_IDS}
    assert added == {'L2_H128', 'L4_H128', 'L6_H128'}  # the kit-pre-trained sizes and their pre-trainings


def test_the_real_preset_pretrains_other_sizes_on_the_real_mix():
    plan = experiments.build_plan('wr_main', 'real', sizes=['L2_H128', 'L3_H384'])
    assert set(REAL_IDS) <= set(plan.configs)  # L3_H384 still starts from its packaged checkpoint
    by_seed = {plan.configs[rid]['seed']: rid for rid in plan.ids('pretrain')}
    assert sorted(by_seed) == [0, 1, 2]  # L2_H128: a pre-training per seed
    for cfg in map(plan.configs.get, by_seed.values()):
        shape = (cfg['L'], cfg['H'], cfg['max_length'], cfg['packed'], cfg['masked_head'])
        assert shape == (2, 128, 128, True, True)
        assert data.corpus_sources(cfg['corpus']) == ['gutenberg', 'nltk_english', 'imdb/unsupervised']
        assert cfg['mixed_precision'] == 'bf16' and cfg['mlm_probability'] == 0.15
    students = [plan.configs[r] for r in plan.ids('student') if plan.configs[r]['size'] == 'L2_H128']
    for s in students:
        assert s['init'] == ('random' if s['procedure'] in ('basic', 'D') else by_seed[s['seed']])
    assert all(s['max_length'] == 64 for s in students)  # the task's length; pre-training's is 128
    only = plan.only('pretrain')
    assert sorted(only.configs) == sorted(by_seed.values())


def test_world_pretrain_configs_have_no_new_keys():
    plan = experiments.build_plan('wr_main', 'mini')
    for rid in plan.ids('pretrain'):
        assert not {'masked_head', 'packed'} & set(plan.configs[rid])
        assert runs.is_done('turc2019', rid)  # the saved world runs are this plan's


@pytest.mark.parametrize('value, words', [
    ({'giant': 'x/{L}'}, "unknown model size 'giant'"),
    ({'L2_H128': 'pretrain'}, "pretrained_students['L2_H128'] = 'pretrain' is not a model name/path"),
    ({'L2_H128': 'x/{Q}'}, "pretrained_students['L2_H128'] 'x/{Q}' is not a name template"),
])
def test_bad_pretrained_students_fail_in_one_line(value, words):
    with pytest.raises(experiments.ExperimentError, match=words.replace('[', r'\[').replace('{', r'\{')):
        experiments.params('wr_main', 'real', pretrained_students=value)
