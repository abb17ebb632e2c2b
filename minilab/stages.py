"""The stages every experiment is made of, each one a saved run.

    pretrain   MLM pre-training of a BERT of size (L, H) on an unlabeled corpus
    teacher    a pre-trained model fine-tuned on the labeled task
    student    basic / D / PF / PD (Turc et al. 2019): an initialisation, then
               supervised training on D_L or distillation on a transfer set D_T
               from the teacher's cached outputs (optionally fine-tuned after)

A stage is described by a flat config; its run id is a hash of that config and
of the ids of the stages it builds on, so `Plan.execute()` can skip what is
done, resume the rest, and rebuild a missing checkpoint when a later stage
needs it. Hub names or local folders can stand in for the pretrain and teacher
stages (`init='google/bert_uncased_L-4_H-256_A-4'`).
"""
import shutil
import time
from pathlib import Path

import numpy as np

from minilab import data, distill, models, paths, runs
from minilab.probes import adjective_probe
from minilab.teacher import cached_outputs, fingerprint
from minilab.train import evaluate, fit

PROCEDURES = ('basic', 'D', 'PF', 'PD')
PRETRAINED = {'PF': True, 'PD': True, 'basic': False, 'D': False}
DISTILLED = {'D': True, 'PD': True, 'basic': False, 'PF': False}


def checkpoint_dir(rid):
    return paths.CACHE / 'checkpoints' / rid


def _log(msg):
    print(msg, flush=True)


class Plan:
    """An ordered set of stage configs (upstream stages first), keyed by run id."""

    def __init__(self, paper):
        self.paper = paper
        self.configs = {}

    def add(self, config):
        rid = runs.run_id(config)
        self.configs.setdefault(rid, config)
        return rid

    def ids(self, kind=None):
        return [r for r, c in self.configs.items() if kind is None or c['kind'] == kind]

    def todo(self):
        return [r for r in self.configs if not runs.is_done(self.paper, r)]

    def execute(self, log=_log, progress=False):
        """Run every stage that has no record yet; returns the ids it ran.

        Safe with other processes on the same store (`minilab run --jobs N`):
        each stage trains under its run lock, a stage another process is
        training is passed over and picked up later, and a stage whose
        upstream stages are not done yet waits its turn, so that lanes do not
        stand idle behind one pre-training."""
        todo = self.todo()
        done = len(self.configs) - len(todo)
        log(f'{self.paper}: {len(self.configs)} runs, {done} done, {len(todo)} to do')
        pending, ran = list(todo), []
        while pending:
            pending = [r for r in pending if not runs.is_done(self.paper, r)]  # others' lanes
            if not pending:
                break
            ready = [r for r in pending if all(runs.is_done(self.paper, u) for u in self.upstream(r))]
            # nothing ready: every pending stage waits on one another process is
            # training; wait for the first (the blocking lock) instead of spinning
            started = self._try(ready or pending[:1], wait=not ready, log=log, progress=progress,
                                count=(len(todo) - len(pending) + 1, len(todo)))
            if started is None:  # all ready stages are taken by other processes
                time.sleep(2)
                continue
            pending.remove(started)
            ran.append(started)  # (or found done by another process meanwhile)
        return ran

    def _try(self, candidates, wait, log, progress, count):
        """Train the first candidate whose lock is free; None if all are taken."""
        for rid in candidates:
            with runs.run_lock(self.paper, rid, wait=wait) as got:
                if not got:
                    continue
                if runs.is_done(self.paper, rid):  # finished meanwhile by another process
                    log(f'[{count[0]}/{count[1]}] {rid} done by another process')
                    return rid
                start = time.perf_counter()
                self.run(rid, progress=progress)
                log(f'[{count[0]}/{count[1]}] {rid} {self.describe(rid)} '
                    f'({time.perf_counter() - start:.1f} s)')
                return rid
        return None

    def upstream(self, rid):
        """The ids of this plan's stages that `rid` builds on (its config names them)."""
        return [v for v in self.configs[rid].values() if isinstance(v, str) and v != rid and v in self.configs]

    def checkpoint(self, ref):
        """A loadable path for `ref`: a run id of this plan (built if missing),
        or a hub name / local folder given as is."""
        if ref not in self.configs:
            return ref
        folder = checkpoint_dir(ref)
        if not (folder / 'config.json').exists():
            with runs.run_lock(self.paper, ref):  # another process may be building it
                if not (folder / 'config.json').exists():
                    self.run(ref)
        return str(folder)

    def describe(self, rid):
        c = self.configs[rid]
        text = f"{c['kind']} {c.get('procedure', '')} {c.get('size', '')} seed {c['seed']}"
        metrics = runs.load_record(self.paper, rid)['metrics'] if runs.is_done(self.paper, rid) else {}
        if metrics.get('test_accuracy') is not None:
            text += f": test accuracy {metrics['test_accuracy']:.1f}"
        return ' '.join(text.split())

    def run(self, rid, progress=False):
        config = self.configs[rid]
        if self.adopt(rid, config):
            return rid
        return RUNNERS[config['kind']](self, rid, config, progress)

    def adopt(self, rid, config):
        """Reuse a stage another paper's plan already trained (same config, same
        id, its checkpoint in the cache): copy the newest record of it here
        (`shared_from` says whose) instead of training again. Checkpoints are
        one folder per id for all papers, so training again would replace the
        weights that the other paper's later stages were built on (CPU training
        is not bit-reproducible here: two runs of one pre-training config ended
        at MLM loss 3.249 and 3.207)."""
        if not (checkpoint_dir(rid) / 'config.json').exists() or not paths.RUNS.is_dir():
            return False
        found = [(runs.load_record(p.name, rid), p.name) for p in sorted(paths.RUNS.iterdir())
                 if p.name != self.paper and runs.is_done(p.name, rid)]
        if not found:
            return False
        record, store = max(found, key=lambda found: found[0].get('finished_at', ''))
        runs.save_run(self.paper, config, record['metrics'], record['history'], record['timings'],
                      extra={'shared_from': store})
        return True




def _save_model(model, tokenizer, rid):
    """save_pretrained into a temporary folder, then rename (atomic)."""
    folder = checkpoint_dir(rid)
    tmp = folder.with_name(folder.name + '.tmp')
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder


def _task(config):
    return data.load_task(config['task'], train_size=config.get('train_size'),
                          dev_size=config.get('dev_size'), test_size=config.get('test_size'),
                          seed=config.get('data_seed', 0), domain=config.get('domain', 'movies'))


def _loop_dir(rid):
    return paths.CACHE / 'loops' / rid


def _fit_args(config, progress, desc):
    # the long stages (pre-training, the teacher) checkpoint the loop at every
    # epoch end, so an interrupted batch resumes mid-stage; short ones restart
    long_stage = config['kind'] in ('pretrain', 'teacher')
    return dict(epochs=config['epochs'], lr=config['lr'], batch_size=config['batch_size'],
                seed=config['seed'], warmup=config.get('warmup', 0.06),
                mixed_precision=config.get('mixed_precision', 'no'), progress=progress, desc=desc,
                checkpoint_dir=_loop_dir(config['_rid']) if long_stage else None,
                # the saved mini runs were made with length-grouped batches; a
                # config without the key means grouping on, so their ids stay valid
                length_grouping=config.get('length_grouping', True))


# -----------------------------------------------------------------------------
# pretrain


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
    token_weights = None
    if config.get('mlm_smoothing'):  # DistilBERT: mask rare tokens more often
        from minilab.masking import token_weights_from_counts
        counts = np.bincount(np.concatenate(tokenized['input_ids']), minlength=len(tokenizer))
        token_weights = token_weights_from_counts(counts, config['mlm_smoothing'],
                                                  tokenizer.all_special_ids)
    objective = distill.mlm(tokenizer, config.get('mlm_probability', 0.15), token_weights,
                            seed=config['seed'])
    result = fit(model, objective, {'mlm': 1.0}, tokenized, tokenizer,
                 **_fit_args(dict(config, _rid=rid), progress, f'pretrain {config["size"]}'))
    _save_model(model, tokenizer, rid)
    last = result['history'][-1] if result['history'] else {}
    # did pre-training teach what labeled data hides? (minilab.probes; None off the world)
    probe = adjective_probe(model, tokenizer)
    runs.save_run(plan.paper, config, {'train_mlm_loss': last.get('train_mlm'),
                                       'adjective_probe': probe and probe['accuracy']},
                  history=result['history'], timings=_timings(result))
    shutil.rmtree(_loop_dir(rid), ignore_errors=True)  # the run is saved: drop its resume state
    return rid


def _timings(result, **extra):
    t = {k: result[k] for k in ('train_seconds', 'train_tokens', 'train_flops', 'steps',
                                'non_embedding_params', 'processes', 'mixed_precision')}
    t.update(extra)
    return t


# -----------------------------------------------------------------------------
# teacher


def run_teacher(plan, rid, config, progress=False):
    task = _task(config)
    tokenizer = data.load_tokenizer(config['tokenizer'])
    model = models.init_from_pretrained(plan.checkpoint(config['init']), task.num_labels)
    train = data.tokenize(task.train, tokenizer, config['max_length'])
    dev = data.tokenize(task.dev, tokenizer, config['max_length'])
    result = fit(model, distill.supervised(), {'ce': 1.0}, train, tokenizer, dev_data=dev,
                 **_fit_args(dict(config, _rid=rid), progress, 'teacher'))
    metrics = _final_metrics(model, result, task, tokenizer, config)
    metrics['params'] = models.count_parameters(model)
    _save_model(model, tokenizer, rid)
    runs.save_run(plan.paper, config, metrics, history=result['history'], timings=_timings(result))
    shutil.rmtree(_loop_dir(rid), ignore_errors=True)
    return rid


def _final_metrics(model, result, task, tokenizer, config):
    test = evaluate(model, data.tokenize(task.test, tokenizer, config['max_length']), tokenizer)
    best = result['best_dev'] or {}
    return {'dev_accuracy': best.get('accuracy'), 'best_step': best.get('step'),
            'test_accuracy': test['accuracy'], 'test_macro_f1': test['macro_f1']}


# -----------------------------------------------------------------------------
# student


# how a student starts (Turc et al. 2019, section 6.2 "there are no shortcuts"):
#   full        every weight from `init` (a pre-trained model of the student's size)
#   truncate    the bottom L layers of `init` (a deeper pre-trained model of the same width)
#   embeddings  only the embeddings of `init` (same width); the layers random
INIT_MODES = ('full', 'truncate', 'embeddings')


def _init_student(plan, config, L, H, vocab_size, num_labels):
    bert_config = models.bert_config(L, H, vocab_size, max_position_embeddings=config['max_length'])
    if config['init'] == 'random':
        return models.init_random(bert_config, num_labels)
    # configs without the key (every run before the initialisation study) are 'full'
    mode = config.get('init_mode', 'full')
    if mode == 'full':
        return models.init_from_pretrained(plan.checkpoint(config['init']), num_labels)
    pretrained = models.load_model(plan.checkpoint(config['init']), kind='mlm')
    if pretrained.config.hidden_size != H:
        raise ValueError(f"init_mode {mode!r} needs a pre-trained model of width {H}, "
                         f"got {pretrained.config.hidden_size} ({config['init']})")
    if mode == 'truncate':
        return models.init_truncated(pretrained, L, num_labels)
    if mode == 'embeddings':
        return models.init_embeddings_only(pretrained, bert_config, num_labels)
    raise ValueError(f"unknown init_mode {mode!r}; valid: {', '.join(INIT_MODES)}")


def run_student(plan, rid, config, progress=False):
    task = _task(config)
    tokenizer = data.load_tokenizer(config['tokenizer'])
    L, H = config['L'], config['H']
    model = _init_student(plan, config, L, H, len(tokenizer), task.num_labels)
    dev = data.tokenize(task.dev, tokenizer, config['max_length'])
    extra = {}
    if config.get('transfer'):
        transfer = data.TransferSet(**config['transfer'])
        inputs = data.tokenize(transfer.load(), tokenizer, config['max_length'])
        teacher_dir = plan.checkpoint(config['teacher'])
        teacher = models.load_model(teacher_dir, kind='classifier', num_labels=task.num_labels)
        outputs, info = cached_outputs(teacher, teacher_dir, inputs, transfer.key, tokenizer,
                                       config['tokenizer'], config['max_length'], ('logits',))
        train = inputs.add_column('teacher_logits', [row for row in outputs['logits']])
        objective, weights = distill.distillation(config.get('temperature', 1.0)), {config['loss']: 1.0}
        extra.update(info)
    else:
        train = data.tokenize(task.train, tokenizer, config['max_length'])
        objective, weights = distill.supervised(), {'ce': 1.0}
    result = fit(model, objective, weights, train, tokenizer, dev_data=dev,
                 **_fit_args(dict(config, _rid=rid), progress, f"{config['procedure']} {config['size']}"))
    history = result['history']
    if config.get('finetune_epochs'):  # PD's optional last step: fine-tune on D_L
        labeled = data.tokenize(task.train, tokenizer, config['max_length'])
        ft = fit(model, distill.supervised(), {'ce': 1.0}, labeled, tokenizer, dev_data=dev,
                 **_fit_args(dict(config, epochs=config['finetune_epochs'], lr=config['finetune_lr'],
                                  _rid=rid + '-ft'), progress, 'fine-tune'))
        history = history + [dict(row, stage='finetune') for row in ft['history']]
        result = dict(result, best_dev=ft['best_dev'],
                      train_seconds=result['train_seconds'] + ft['train_seconds'],
                      train_tokens=result['train_tokens'] + ft['train_tokens'],
                      train_flops=result['train_flops'] + ft['train_flops'],
                      steps=result['steps'] + ft['steps'])
    metrics = _final_metrics(model, result, task, tokenizer, config)
    metrics['params'] = models.count_parameters(model)
    runs.save_run(plan.paper, config, metrics, history=history, timings=_timings(result, **extra))
    return rid


# every stage kind and the function that runs it: run(plan, rid, config, progress) -> rid.
# Paper modules (minilab.sanh2019, minilab.mukherjee2020) register their own kinds here.
RUNNERS = {'pretrain': run_pretrain, 'teacher': run_teacher, 'student': run_student}
