"""MLM pre-training of a BERT of size (L, H) on an unlabeled corpus: the
"pre-training" step of Turc et al. 2019, and the teachers' pre-training of
every paper at the mini scale.

    cfg = pretrain_config(preset, 'small', epochs=3)    # a 'pretrain' stage config
    ref = init_ref(plan, preset, preset['student_init'], 'small', epochs=3)
"""
import shutil

import numpy as np

from minilab import data, models, objectives, runs, world
from minilab.methods import base
from minilab.probes import adjective_probe
from minilab.train import fit


def pretrain_config(p, size, epochs, teacher=False):
    """The config of the MLM pre-training of one size, from a preset's keys
    (tokenizer, corpus, corpus_size, max_length, pretrain_* / teacher_pretrain_lr)."""
    L, H = models.parse_size(size, p['scale'])
    return dict(kind='pretrain', size=models.size_name(L, H), L=L, H=H, tokenizer=p['tokenizer'],
                world_version=world.WORLD_VERSION,
                corpus=p['corpus'], corpus_size=p['corpus_size'], max_length=p['max_length'],
                epochs=epochs, lr=p['teacher_pretrain_lr'] if teacher else p['pretrain_lr'],
                batch_size=p['pretrain_batch_size'], seed=0, mlm_smoothing=p['mlm_smoothing'],
                mlm_probability=p['pretrain_mlm_probability'],
                # shuffled batches: length-grouped ones (the loop's legacy default)
                # put sentences of one kind together, and the world-5 teacher then
                # reached only 16/28 on the adjective probe where shuffled reached 28/28
                length_grouping=False,
                mixed_precision=p.get('mixed_precision', 'no'))


def init_ref(plan, p, template, size, epochs, teacher=False):
    """A pretrain stage of `plan` ('pretrain'), or a hub name / local path from a
    template with {L} {H} {A} (e.g. 'google/bert_uncased_L-{L}_H-{H}_A-{A}')."""
    if template == 'pretrain':
        return plan.add(pretrain_config(p, size, epochs, teacher))
    L, H = models.parse_size(size, p['scale'])
    return template.format(L=L, H=H, A=max(1, H // 64))


def token_weights(tokenized, tokenizer, smoothing):
    """DistilBERT's masking weights: rare tokens masked more often (count^-smoothing)."""
    from minilab.masking import token_weights_from_counts
    counts = np.bincount(np.concatenate(tokenized['input_ids']), minlength=len(tokenizer))
    return token_weights_from_counts(counts, smoothing, tokenizer.all_special_ids)


def run_pretrain(plan, rid, config, progress=False):
    tokenizer = data.load_tokenizer(config['tokenizer'])
    if config.get('corpus_transfer'):  # Turc et al. WR-F7: pre-train on the transfer set itself
        corpus = data.TransferSet(**config['corpus_transfer']).load()
    else:
        corpus = data.lm_corpus(config['corpus'], config['corpus_size'], seed=config.get('data_seed', 0))
    tokenized = data.tokenize(corpus, tokenizer, config['max_length'])
    L, H = config['L'], config['H']
    model = models.new_mlm_model(models.bert_config(L, H, len(tokenizer),
                                                    max_position_embeddings=config['max_length']))
    weights = token_weights(tokenized, tokenizer, config['mlm_smoothing']) \
        if config.get('mlm_smoothing') else None
    objective = objectives.compose({'mlm': 1.0}, tokenizer=tokenizer,
                                   mlm_probability=config.get('mlm_probability', 0.15),
                                   token_weights=weights, seed=config['seed'])
    result = fit(model, objective, {'mlm': 1.0}, tokenized, tokenizer,
                 **base.fit_args(config, rid, progress, f'pretrain {config["size"]}'))
    base.save_model(model, tokenizer, rid)
    last = result['history'][-1] if result['history'] else {}
    # did pre-training teach what labeled data hides? (minilab.probes; None off the world)
    probe = adjective_probe(model, tokenizer)
    runs.save_run(plan.paper, config, {'train_mlm_loss': last.get('train_mlm'),
                                       'adjective_probe': probe and probe['accuracy']},
                  history=result['history'], timings=base.timings(result), extra=base.saved_as(rid))
    shutil.rmtree(base.loop_dir(rid), ignore_errors=True)  # the run is saved: drop its resume state
    return rid
