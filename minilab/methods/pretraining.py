"""MLM pre-training of a BERT of size (L, H) on an unlabeled corpus: the
"pre-training" step of Turc et al. 2019, and the teachers' pre-training of
every paper at the mini scale.

    cfg = pretrain_config(preset, 'small', epochs=3)    # a 'pretrain' stage config
    ref = init_ref(plan, preset, preset['student_init'], 'small', epochs=3)
    ref = student_ref(plan, preset, 'L3_H384')          # pretrained_students first

A run's record says how far pre-training got: the MLM loss, the accuracy of the
top prediction at masked positions of held-out texts of the corpus
(`heldout_accuracy`, beside the unigram baseline that predicts the corpus's most
frequent word piece everywhere: what no context gives), and the tokens it
trained on (`train_tokens`, in its timings).
"""
import shutil

import numpy as np
import torch

from minilab import data, losses, models, objectives, runs, world
from minilab.inference import forward_pass
from minilab.methods import base
from minilab.probes import adjective_probe
from minilab.train import fit

# held-out texts: enough masked positions that the accuracy is within ~1 point
# (1000 world sentences give ~5,000 at 40% masking; 1000 real texts packed into
# 128-piece rows ~20,000 at 15%), few enough to take seconds after hours
HELDOUT_TEXTS = 1000
HELDOUT_MASK_SEED = 1234   # fixed masks: every model of a corpus is measured on the same ones


def pretrain_config(p, size, epochs, teacher=False, seed=0):
    """The config of the MLM pre-training of one size, from a preset's keys
    (tokenizer, corpus, corpus_size, max_length, pretrain_* / teacher_pretrain_lr).
    A student's budget is its entry in `corpus_size_by_size` when the preset has
    one (a size pre-trained on fewer texts for cost), else corpus_size.
    `seed` draws the initial weights, the masks, the batch order and the corpus
    sample (0: the one pre-training the saved runs share).
    pretrain_max_length, pretrain_masked_head and pretrain_packing enter the
    config only when set, so the saved world runs keep their ids."""
    L, H = models.parse_size(size, p['scale'])
    cfg = dict(kind='pretrain', size=models.size_name(L, H), L=L, H=H, tokenizer=p['tokenizer'],
               world_version=world.WORLD_VERSION,
               corpus=p['corpus'], corpus_size=p['corpus_size'] if teacher else
               for_size(p.get('corpus_size_by_size'), size, p['scale'], p['corpus_size']),
               max_length=p.get('pretrain_max_length') or p['max_length'],
               epochs=epochs, lr=p['teacher_pretrain_lr'] if teacher else p['pretrain_lr'],
               batch_size=p['pretrain_batch_size'], seed=seed, mlm_smoothing=p['mlm_smoothing'],
               mlm_probability=p['pretrain_mlm_probability'],
               # shuffled batches: length-grouped ones (the loop's legacy default)
               # put sentences of one kind together, and the world-5 teacher then
               # reached only 16/28 on the adjective probe where shuffled reached 28/28
               length_grouping=False,
               mixed_precision=p.get('mixed_precision', 'no'))
    if seed:  # a seeded pre-training draws its corpus sample too (seed 0: the saved ids)
        cfg['data_seed'] = seed
    if p.get('pretrain_masked_head'):  # the same loss, computed another way: a new id
        cfg['masked_head'] = True
    if p.get('pretrain_packing'):
        cfg['packed'] = True
    return cfg


def init_ref(plan, p, template, size, epochs, teacher=False, seed=0):
    """A pretrain stage of `plan` ('pretrain'), or a hub name / local path from a
    template with {L} {H} {A} (e.g. 'google/bert_uncased_L-{L}_H-{H}_A-{A}')."""
    if template == 'pretrain':
        return plan.add(pretrain_config(p, size, epochs, teacher, seed))
    L, H = models.parse_size(size, p['scale'])
    return template.format(L=L, H=H, A=max(1, H // 64))


def for_size(by_size, size, scale, default):
    """The value a {size: value} dict of a preset gives `size`, matched by shape
    (so 'L2_H128' and the mini name of that shape are one key), else `default`."""
    shape = models.parse_size(size, scale)
    for key, value in (by_size or {}).items():
        if models.parse_size(key, scale) == shape:
            return value
    return default


def pretrain_seed(p, size, seed):
    """The seed of the pre-training that the students of `seed` start from: their
    own where the preset lists `size` in `seeded_pretrain_sizes` (every stage with
    randomness takes the seed), else 0 (one pre-training shared by the seeds, for cost)."""
    seeded = dict.fromkeys(p.get('seeded_pretrain_sizes') or (), True)
    return seed if for_size(seeded, size, p['scale'], False) else 0


def student_template(p, size):
    """Where a student of `size` starts: its entry in `pretrained_students` (a
    size -> name/path template dict: a packaged checkpoint for one size), else
    `student_init` ('pretrain': the kit pre-trains it)."""
    return for_size(p.get('pretrained_students'), size, p['scale'], p['student_init'])


def student_ref(plan, p, size, seed=0):
    """The init of a student of `size`: a pretrain stage of `plan` (drawn by
    `seed`) or a name/path."""
    return init_ref(plan, p, student_template(p, size), size, p['pretrain_epochs'], seed=seed)


def token_weights(tokenized, tokenizer, smoothing):
    """DistilBERT's masking weights: rare tokens masked more often (count^-smoothing)."""
    from minilab.masking import token_weights_from_counts
    return token_weights_from_counts(token_counts(tokenized, len(tokenizer)), smoothing,
                                     tokenizer.all_special_ids)


def token_counts(tokenized, vocab_size):
    """How often each vocabulary id occurs in the rows' input_ids (from the Arrow
    column at once: a packed real corpus holds ~40M ids)."""
    import pyarrow.compute as pc
    table = tokenized.flatten_indices().data if tokenized._indices is not None else tokenized.data
    ids = pc.list_flatten(table.column('input_ids')).to_numpy(zero_copy_only=False)
    return np.bincount(ids, minlength=vocab_size)


def heldout_accuracy(model, tokenized, tokenizer, mlm_probability, weights=None, counts=None,
                     batch_size=64):
    """MLM on held-out rows, the masks fixed (a masker of its own seed, batches
    in order): {'accuracy': % of masked positions whose top prediction is the
    original word piece, 'loss': the MLM loss there, 'unigram_accuracy': % of
    them that the corpus's most frequent non-special piece is (`counts`: the
    training rows' token counts), 'positions': how many}. The 80/10/10 split
    applies, so 10% of the positions show their own piece."""
    masker = objectives.Masker(tokenizer, mlm_probability, weights, seed=HELDOUT_MASK_SEED)
    top = None
    if counts is not None:
        counts = np.array(counts, dtype=np.float64)
        counts[tokenizer.all_special_ids] = -1
        top = int(counts.argmax())

    def batch_scores(m, batch):
        inputs = objectives.model_inputs(batch)
        inputs['input_ids'], labels = masker(batch['input_ids'])
        logits, labels = objectives.masked_mlm_logits(m, inputs, labels)
        n = len(labels)
        return (int((logits.argmax(-1) == labels).sum()), float(losses.mlm_loss(logits, labels)) * n,
                int((labels == top).sum()) if top is not None else 0, n)

    if len(tokenized) == 0:
        return None
    with torch.no_grad():
        parts = forward_pass(model, tokenized, tokenizer, batch_scores, batch_size)
    correct, loss, unigram, n = (sum(col) for col in zip(*parts))
    n = max(n, 1)
    return {'accuracy': 100.0 * correct / n, 'loss': loss / n,
            'unigram_accuracy': 100.0 * unigram / n if top is not None else None, 'positions': n}


def load_corpus(config, tokenizer):
    """(train rows, held-out rows) of a pretrain config: its corpus drawn by its
    data seed, tokenized (packed into full rows with `packed`); the held-out
    rows are texts the draw left out (none for a transfer-set corpus, whose
    pool is drawn elsewhere: `data.TransferSet`)."""
    seed = config.get('data_seed', 0)
    if config.get('corpus_transfer'):  # Turc et al. WR-F7: pre-train on the transfer set itself
        corpus, heldout = data.TransferSet(**config['corpus_transfer']).load(), None
    else:
        corpus = data.lm_corpus(config['corpus'], config['corpus_size'], seed=seed)
        heldout = data.lm_heldout(config['corpus'], config['corpus_size'], HELDOUT_TEXTS, seed=seed)
    if config.get('packed'):
        encode = lambda ds: data.pack(ds, tokenizer, config['max_length'])  # noqa: E731
    else:
        encode = lambda ds: data.tokenize(ds, tokenizer, config['max_length'])  # noqa: E731
    return encode(corpus), heldout if heldout is None else encode(heldout)


def run_pretrain(plan, rid, config, progress=False):
    tokenizer = data.load_tokenizer(config['tokenizer'])
    tokenized, heldout = load_corpus(config, tokenizer)
    L, H = config['L'], config['H']
    model = models.new_mlm_model(models.bert_config(L, H, len(tokenizer),
                                                    max_position_embeddings=config['max_length']))
    counts = token_counts(tokenized, len(tokenizer))
    weights = token_weights(tokenized, tokenizer, config['mlm_smoothing']) \
        if config.get('mlm_smoothing') else None
    mlm_probability = config.get('mlm_probability', 0.15)
    objective = objectives.compose({'mlm': 1.0}, tokenizer=tokenizer, mlm_probability=mlm_probability,
                                   token_weights=weights, seed=config['seed'],
                                   masked_head=config.get('masked_head', False))
    result = fit(model, objective, {'mlm': 1.0}, tokenized, tokenizer,
                 **base.fit_args(config, rid, progress, f'pretrain {config["size"]}'))
    base.save_model(model, tokenizer, rid)
    last = result['history'][-1] if result['history'] else {}
    # did pre-training teach what labeled data hides? (minilab.probes; None off the world)
    probe = adjective_probe(model, tokenizer)
    held = heldout_accuracy(model, heldout, tokenizer, mlm_probability, weights, counts) \
        if heldout is not None else None
    metrics = {'train_mlm_loss': last.get('train_mlm'), 'adjective_probe': probe and probe['accuracy'],
               'train_tokens': result['train_tokens']}
    metrics.update({f'heldout_mlm_{k}': v for k, v in (held or {}).items()})
    runs.save_run(plan.paper, config, metrics, history=result['history'],
                  timings=base.timings(result), extra=base.saved_as(rid))
    shutil.rmtree(base.loop_dir(rid), ignore_errors=True)  # the run is saved: drop its resume state
    return rid
