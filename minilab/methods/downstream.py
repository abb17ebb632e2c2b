"""Downstream stages of DistilBERT (Sanh et al. 2019): fine-tuning a general model
on a task, with an optional task-time distillation "(D)", and batch-1 CPU latency.

    finetune   a pre-trained model (the teacher's MLM checkpoint, a general
               DistilBERT student, or 'random' for the non-pretrained baseline)
               fine-tuned on one classification or span-extraction task; with
               `teacher=` set, a second distillation from that fine-tuned
               teacher during fine-tuning (the paper's "DistilBERT (D)" row)
    latency    batch-1 CPU inference time of several models over a full dev
               pass (Table 3), saved as a run record like any other measurement

Both are stages of `minilab.stages.RUNNERS`.
"""
import statistics
import time

import numpy as np

from minilab import data, inference, models, objectives, runs, world_spans
from minilab.batching import collate
from minilab.latency import time_passes
from minilab.methods import base
from minilab.objectives import model_inputs
from minilab.train import fit

# the metric a task's score is read from (GLUE conventions; world tasks: accuracy)
SCORE_METRIC = {'glue/cola': 'mcc', 'world/span_qa': 'f1', 'squad': 'f1'}


def task_type(spec):
    return 'span' if spec in ('world/span_qa', 'squad') else 'cls'


def load_task(config):
    """world/long_reviews and world/span_qa (minilab.world_spans), SQuAD, or
    anything minilab.data.load_task knows."""
    sizes = dict(train_size=config.get('train_size'), dev_size=config.get('dev_size'),
                 test_size=config.get('test_size'), seed=config.get('data_seed', 0))
    if config['task'] in world_spans.TASKS:
        return world_spans.load_task(config['task'], domain=config.get('domain', 'movies'), **sizes)
    if config['task'] == 'squad':
        return _load_squad(**sizes)
    return data.load_task(config['task'], domain=config.get('domain', 'movies'), **sizes)


def _load_squad(train_size, dev_size, test_size, seed):
    """SQuAD v1.1 from the hub: train -> train (dev held out of it), validation ->
    test, first gold answer only (the official script takes the max over all)."""
    from datasets import load_dataset
    try:
        raw = load_dataset('squad')
    except Exception:
        raise data.DataError("dataset 'squad' could not be loaded: the hub is unreachable "
                             "(offline); valid offline: world/span_qa") from None

    def rows(ds, n, offset=0):
        ds = ds.shuffle(seed=seed).select(range(offset, offset + min(n or len(ds), len(ds) - offset)))
        return ds.map(lambda b: {'text': b['question'], 'text_pair': b['context'],
                                 'answer': [a['text'][0] for a in b['answers']],
                                 'answer_start': [a['answer_start'][0] for a in b['answers']]},
                      batched=True, remove_columns=ds.column_names)
    dev_n = dev_size or 2000
    return data.TaskData('squad', rows(raw['train'], train_size, dev_n), rows(raw['train'], dev_n),
                         rows(raw['validation'], test_size), [])


# -----------------------------------------------------------------------------
# models


def distilbert_config(L, H, vocab_size, max_position_embeddings, num_labels=2):
    """A DistilBERT of L layers and width H with the kit's shape rules (A = H/64, FFN 4H)."""
    from transformers import DistilBertConfig
    return DistilBertConfig(vocab_size=vocab_size, max_position_embeddings=max_position_embeddings,
                            n_layers=L, n_heads=max(1, H // 64), dim=H, hidden_dim=4 * H,
                            activation='gelu', num_labels=num_labels, tie_word_embeddings=True)


def load_for_task(init, kind, num_labels, config=None):
    """A classifier or a QA model from a checkpoint (a BERT or DistilBERT MLM model:
    the head is new) or, with init='random', a DistilBERT from `config`."""
    from transformers import AutoModelForQuestionAnswering, AutoModelForSequenceClassification
    auto = AutoModelForQuestionAnswering if kind == 'span' else AutoModelForSequenceClassification
    if init == 'random':
        return auto.from_config(config)
    if kind == 'cls':
        return models.load_model(init, 'classifier', num_labels)
    with models.quiet_transformers():
        return auto.from_pretrained(init, local_files_only=models.offline())


# -----------------------------------------------------------------------------
# predictions for span extraction


def span_logits(model, dataset, tokenizer, batch_size=128, pad_to=None):
    """[N, 2, pad_to] start/end logits; padding positions get -1e4 (probability ~0)."""
    width = pad_to or max(len(ids) for ids in dataset['input_ids'])
    return inference.predict(model, dataset, tokenizer, batch_size, pad_to=width)['logits']


def evaluate_spans(model, dataset, tokenizer):
    """SQuAD exact match and F1 (0..100) of the best valid span per question."""
    logits = span_logits(model, dataset, tokenizer)
    em, f1 = [], []
    for i, row in enumerate(dataset):
        s, e = world_spans.best_span(logits[i, 0], logits[i, 1], row['context_mask'])
        text = row['text_pair'][row['offset_mapping'][s][0]:row['offset_mapping'][e][1]]
        em.append(world_spans.exact_match(text, row['answer']))
        f1.append(world_spans.f1_score(text, row['answer']))
    return {'em': 100 * float(np.mean(em)), 'f1': 100 * float(np.mean(f1))}


# -----------------------------------------------------------------------------
# the finetune stage


def run_finetune(plan, rid, config, progress=False):
    task = load_task(config)
    kind = task_type(config['task'])
    tokenizer = data.load_tokenizer(config['tokenizer'])
    features = (lambda ds: world_spans.tokenize_spans(ds, tokenizer, config['max_length'])) \
        if kind == 'span' else (lambda ds: data.tokenize(ds, tokenizer, config['max_length']))
    train, dev, test = features(task.train), features(task.dev), features(task.test)
    init = config['init'] if config['init'] == 'random' else plan.checkpoint(config['init'])
    random_config = None
    if init == 'random':  # the non-pretrained baseline: the student's architecture, fresh weights
        random_config = distilbert_config(config['L'], config['H'], len(tokenizer),
                                          config['max_length'], task.num_labels)
    model = load_for_task(init, kind, task.num_labels, random_config)

    weights = {'ce': 1.0}
    if config.get('teacher'):  # "(D)": the fine-tuned teacher's outputs, computed once
        teacher_dir = plan.checkpoint(config['teacher'])
        soft, _ = inference.teacher_outputs(
            teacher_dir, train, base.split_key(config, 'train'), tokenizer, config['tokenizer'],
            config['max_length'], ('logits',), pad_to=config['max_length'] if kind == 'span' else None,
            load=lambda d: load_for_task(d, kind, task.num_labels))
        train = inference.with_teacher_columns(train, soft)
        weights = {'ce': config['alpha_task'],
                   ('span_kl' if kind == 'span' else 'kl'): config['alpha_kd']}
    objective = objectives.compose(weights, temperature=config.get('kd_temperature', 2.0))

    result = fit(model, objective, weights, train, tokenizer,
                 # span tasks have no dev accuracy to select on: keep the last
                 # weights, as the SQuAD scripts do
                 dev_data=dev if kind == 'cls' else None,
                 epochs=config['epochs'], lr=config['lr'], batch_size=config['batch_size'],
                 warmup=config['warmup'], weight_decay=config.get('weight_decay', 0.01),
                 seed=config['seed'], mixed_precision=config.get('mixed_precision', 'no'),
                 length_grouping=False, progress=progress,
                 desc=f"{config['role']} {config.get('variant', '')} {config['task']}")
    evaluate = evaluate_spans if kind == 'span' else inference.evaluate
    dev_m, test_m = evaluate(model, dev, tokenizer), evaluate(model, test, tokenizer)
    metrics = {f'dev_{k}': v for k, v in dev_m.items()}
    metrics.update({f'test_{k}': v for k, v in test_m.items()})
    metric = SCORE_METRIC.get(config['task'], 'accuracy')
    metrics.update(score=test_m[metric], score_metric=metric, params=models.count_parameters(model))
    base.save_model(model, tokenizer, rid)  # every fine-tuned model is kept ('save': a teacher others read)
    runs.save_run(plan.paper, config, metrics, history=result['history'],
                  timings=base.timings(result), extra=base.saved_as(rid))
    return rid


# -----------------------------------------------------------------------------
# the latency stage (Table 3)


def run_latency(plan, rid, config, progress=False):
    """Batch-1 inference over a task's dev split, for each model in config['models']
    ({name: checkpoint ref}), loaded as classifiers (the head does not matter for
    time). Passes alternate between the models, `repeats` times, so a burst of
    load from other processes hits them alike; the median pass is the result."""
    wall_start = time.perf_counter()
    task = load_task(dict(config, train_size=1, test_size=1))
    tokenizer = data.load_tokenizer(config['tokenizer'])
    dev = data.tokenize(task.dev, tokenizer, config['max_length'])
    fn = collate(tokenizer, extra=())
    rows = [model_inputs(fn([dev[i]])) for i in range(len(dev))]  # batch size 1
    loaded = {name: load_for_task(plan.checkpoint(ref), 'cls', task.num_labels).eval()
              for name, ref in config['models'].items()}
    times = time_passes(loaded, rows, config['repeats'], threads=config['threads'], warmup=20)
    metrics = {'examples': len(rows), 'tokens': int(sum(int(r['attention_mask'].sum()) for r in rows))}
    for name, model in loaded.items():
        metrics[f'{name}_seconds'] = statistics.median(times[name])
        metrics[f'{name}_seconds_all'] = times[name]
        metrics[f'{name}_params'] = models.count_parameters(model)
        metrics[f'{name}_embedding_params'] = sum(  # not halved with the depth
            p.numel() for n, p in model.named_parameters() if 'embeddings' in n)
        metrics[f'{name}_layers'] = model.config.num_hidden_layers  # DistilBERT maps n_layers
    runs.save_run(plan.paper, config, metrics, timings={'threads': config['threads'],
                                                        'seconds': time.perf_counter() - wall_start})
    return rid
