"""DistilBERT (Sanh, Debut, Chaumond, Wolf 2019): a half-depth student from
teacher layers, and general distillation with the triple loss.

    student = new_student(teacher_mlm, layers=3)          # half depth, teacher layers
    objective = general_distillation(teacher_mlm, tokenizer, {'kl': 5.0, 'mlm': 2.0, 'cos': 1.0})
    fit(student, objective, {'kl': 5.0, 'mlm': 2.0, 'cos': 1.0}, corpus, tokenizer, ...)

The method, as the official code does it (distiller.py, train.py,
scripts/extract_distilbert.py):

1. the student is the teacher's architecture with half the layers and without
   token-type embeddings and pooler (a DistilBERT), initialised from teacher
   layers [0, 2, 4, 7, 9, 11] for 12 -> 6, every other layer otherwise, with
   embeddings and MLM head copied (models.to_distilbert);
2. general distillation on the unlabeled LM corpus with
       alpha_ce * L_ce + alpha_mlm * L_mlm + alpha_cos * L_cos
   (5 / 2 / 1, T = 2), dynamic 15% masking with positions drawn ~ freq^-0.7,
   AdamW 5e-4, betas (0.9, 0.98), 5% warm-up then linear decay, clip 5.
   The config keeps the paper code's weight names (alpha_ce, alpha_mlm,
   alpha_cos); the kit's terms are 'kl' (their L_ce: a KL over the vocabulary,
   not a cross-entropy on labels), 'mlm' and 'cos' (`minilab.objectives`);
3. fine-tuning on each task, optionally with a second, task-time distillation
   from a fine-tuned teacher ("(D)", minilab.methods.downstream).

Not reproduced: gradient accumulation to 2,000-4,000 sequences per update
(the kit's batches are 128), AdamW eps 1e-6 (fit uses torch's 1e-8), and
sinusoidal position embeddings (the student copies the teacher's learned ones,
as extract_distilbert.py does).
"""
import shutil

from minilab import data, inference, losses, models, objectives, runs, world
from minilab.methods import base
from minilab.methods.pretraining import token_weights
from minilab.train import fit

INITS = ('teacher', 'random')


def triple_loss_weights(config):
    """{'kl', 'mlm', 'cos'} weights from the paper's alpha_ce / alpha_mlm / alpha_cos
    (zero weights left out: a term that is not trained is not computed)."""
    alphas = {'kl': config['alpha_ce'], 'mlm': config['alpha_mlm'], 'cos': config['alpha_cos']}
    return {k: v for k, v in alphas.items() if v}


def general_distillation(teacher, tokenizer, weights, temperature=2.0, mlm_probability=0.15,
                         token_weights=None, restrict_ce_to_mask=False, seed=0):
    """The objective of general distillation: every batch is masked anew
    (dynamic masking); teacher and student both read the masked inputs
    (distiller.py feeds the same input_ids to both); without 'kl' and 'cos'
    the teacher is not run. restrict_ce_to_mask: L_ce over the masked positions
    only (distiller.py --restrict_ce_to_mask; off in the paper)."""
    return objectives.compose(weights, temperature=temperature, tokenizer=tokenizer,
                              mlm_probability=mlm_probability, token_weights=token_weights,
                              seed=seed, teacher=teacher, restrict_kl_to_mask=restrict_ce_to_mask)


def new_student(teacher, layers=None, init='teacher', layer_map=None):
    """A DistilBERT with `layers` layers (default: half the teacher's) from a BERT
    MLM teacher: teacher layers per models.distilbert_layer_map, embeddings and
    MLM head copied (init='teacher'), or the same architecture with fresh
    weights (init='random', Table 4's last row)."""
    if init not in INITS:
        raise ValueError(f'unknown student init {init!r}; valid: {", ".join(INITS)}')
    n = teacher.config.num_hidden_layers
    layers = layers or max(1, n // 2)
    layer_map = list(layer_map) if layer_map else models.distilbert_layer_map(n, layers)
    student = models.to_distilbert(teacher, layer_map)
    if init == 'random':
        from transformers import DistilBertForMaskedLM
        student = DistilBertForMaskedLM(student.config)
    return student


def heldout_mlm(model, tokenized, tokenizer, mlm_probability, weights, batch_size=256):
    """MLM loss on held-out sentences, the same fixed masks for every model."""
    masker = objectives.Masker(tokenizer, mlm_probability, weights, seed=1234)

    def batch_loss(m, batch):
        masked, labels = masker(batch['input_ids'])
        logits = m(input_ids=masked, attention_mask=batch['attention_mask']).logits
        k = int((labels != losses.IGNORE_INDEX).sum())
        return float(losses.mlm_loss(logits, labels)) * k, k
    parts = inference.forward_pass(model, tokenized, tokenizer, batch_loss, batch_size)
    return sum(t for t, _ in parts) / max(sum(k for _, k in parts), 1)


def general_student(plan, p, teacher, variant, changes=None):
    """Add the general distillation of a student from `teacher` to `plan`, with
    a preset's keys (and the changes of an ablation variant); returns its id."""
    cfg = dict(kind='general_distill', variant=variant, teacher=teacher, init='teacher',
               student_layers=p['student_layers'], layer_map=p['layer_map'],
               alpha_ce=p['alpha_ce'], alpha_mlm=p['alpha_mlm'], alpha_cos=p['alpha_cos'],
               temperature=p['temperature'], mlm_probability=p['mlm_probability'],
               mlm_smoothing=p['mlm_smoothing'], restrict_ce_to_mask=p['restrict_ce_to_mask'],
               corpus=p['corpus'], corpus_size=p['distill_corpus_size'],
               heldout_size=p['heldout_size'], tokenizer=p['tokenizer'],
               max_length=p['max_length'], epochs=p['distill_epochs'], lr=p['distill_lr'],
               batch_size=p['distill_batch_size'], warmup=p['distill_warmup'], betas=p['betas'],
               clip=p['clip'], weight_decay=p['weight_decay'], length_grouping=p['length_grouping'],
               seed=0, mixed_precision=p['mixed_precision'], world_version=world.WORLD_VERSION)
    cfg.update(changes or {})
    return plan.add(cfg)


def run_general_distill(plan, rid, config, progress=False):
    tokenizer = data.load_tokenizer(config['tokenizer'])
    seed = config.get('data_seed', 0)
    tokenized = data.tokenize(data.lm_corpus(config['corpus'], config['corpus_size'], seed=seed),
                              tokenizer, config['max_length'])
    # another seed: fresh world sentences, neither the student's nor the teacher's
    # training text (a local file is only reshuffled, so it may overlap)
    heldout = data.tokenize(data.lm_corpus(config['corpus'], config['heldout_size'], seed=seed + 1),
                            tokenizer, config['max_length'])
    teacher = models.load_model(plan.checkpoint(config['teacher']), kind='mlm')
    student = new_student(teacher, config['student_layers'], config['init'], config['layer_map'])
    weights_tok = token_weights(tokenized, tokenizer, config['mlm_smoothing']) \
        if config['mlm_smoothing'] else None
    weights = triple_loss_weights(config)
    objective = general_distillation(teacher, tokenizer, weights, config['temperature'],
                                     config['mlm_probability'], weights_tok,
                                     config['restrict_ce_to_mask'], seed=config['seed'])
    loop = base.loop_dir(rid)  # a long stage: resumable at epoch ends
    steps = -(-len(tokenized) // config['batch_size']) * config['epochs']
    result = fit(student, objective, weights, tokenized, tokenizer, epochs=config['epochs'],
                 eval_every=max(1, steps // 20),  # a loss curve of ~20 points in the record
                 lr=config['lr'], batch_size=config['batch_size'], warmup=config['warmup'],
                 betas=tuple(config['betas']), clip=config['clip'],
                 weight_decay=config['weight_decay'], seed=config['seed'],
                 mixed_precision=config.get('mixed_precision', 'no'), checkpoint_dir=loop,
                 length_grouping=config['length_grouping'], progress=progress,
                 desc=f"general distillation {config['variant']}")
    base.save_model(student, tokenizer, rid)
    last = result['history'][-1] if result['history'] else {}
    metrics = {f'train_{k}': last.get(f'train_{k}') for k in ('kl', 'mlm', 'cos', 'loss')}
    mlm_p = config['mlm_probability']
    metrics.update(
        student_params=models.count_parameters(student),
        teacher_params=models.count_parameters(teacher, trainable_only=False),
        heldout_mlm_student=heldout_mlm(student, heldout, tokenizer, mlm_p, weights_tok),
        heldout_mlm_teacher=heldout_mlm(teacher, heldout, tokenizer, mlm_p, weights_tok))
    runs.save_run(plan.paper, config, metrics, history=result['history'],
                  timings=base.timings(result), extra=base.saved_as(rid))
    shutil.rmtree(loop, ignore_errors=True)
    return rid
