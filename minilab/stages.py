"""Plans of stages, each stage one saved run, and the one table of stage runners.

    pretrain         MLM pre-training of a BERT of size (L, H) (methods.pretraining)
    teacher          a pre-trained model fine-tuned on a labeled task (methods.finetuning)
    student          basic / D / PF / PD (methods.pretrained_distillation)
    general_distill  DistilBERT's general distillation (methods.distilbert)
    finetune         DistilBERT's task fine-tuning, optionally (D) (methods.downstream)
    bilstm           Mukherjee's BiLSTM students (methods.xtremedistil)
    latency, speed, grid_latency   inference timing (methods.downstream,
                     methods.xtremedistil, minilab.latency)

A stage is described by a flat config; its run id is a hash of that config and
of the ids of the stages it builds on, so `Plan.execute()` can skip what is
done, resume the rest, and rebuild a missing checkpoint when a later stage
needs it. Hub names or local folders can stand in for the pretrain and teacher
stages (`init='google/bert_uncased_L-4_H-256_A-4'`).
"""
import time

from minilab import data, latency, models, paths, runs, world_spans
from minilab.methods import (distilbert, downstream, finetuning, pretrained_distillation, pretraining,
                             xtremedistil)
from minilab.methods.base import checkpoint_dir
from minilab.train import reproducible

# every stage kind and the function that runs it: run(plan, rid, config, progress) -> rid
RUNNERS = {
    'pretrain': pretraining.run_pretrain,
    'teacher': finetuning.run_teacher,
    'student': pretrained_distillation.run_student,
    'general_distill': distilbert.run_general_distill,
    'finetune': downstream.run_finetune,
    'latency': downstream.run_latency,
    'bilstm': xtremedistil.run_bilstm,
    'speed': xtremedistil.run_speed,
    'grid_latency': latency.run_grid_latency,
}


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

    def only(self, kind):
        """A plan of this plan's stages of `kind` and the stages they build on
        (the same configs and ids): `minilab run ... --kind pretrain`."""
        if kind not in RUNNERS:
            raise ValueError(f'unknown stage kind {kind!r}; valid: {", ".join(RUNNERS)}')
        keep, todo = set(), self.ids(kind)
        while todo:
            rid = todo.pop()
            if rid not in keep:
                keep.add(rid)
                todo.extend(self.upstream(rid))
        if not keep:
            kinds = sorted({c['kind'] for c in self.configs.values()})
            raise ValueError(f'the plan has no {kind!r} stage; its kinds: {", ".join(kinds)}')
        sub = Plan(self.paper)
        sub.configs = {rid: c for rid, c in self.configs.items() if rid in keep}
        return sub

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

    def check(self):
        """Resolve every name the stages load, before any of them trains: each
        stage's task, tokenizer, LM corpus, transfer pool (and world domain) and
        model (init, teacher: a stage of this plan, 'random', a local folder or a
        hub name). ValueError in one line naming the value and the valid ones;
        nothing is loaded or downloaded (minilab.data.resolve_*,
        minilab.models.resolve_model)."""
        done = set()

        def once(resolve, *args, **kwargs):
            key = (resolve.__name__, args, tuple(sorted(kwargs.items())))
            if key not in done:
                resolve(*args, **kwargs)
                done.add(key)

        for config in self.configs.values():
            kind = config['kind']
            if 'task' in config:  # the downstream stages also load the world's span tasks and SQuAD
                world_tasks = data.WORLD_TASKS + list(world_spans.TASKS) \
                    if kind in ('finetune', 'latency') else data.WORLD_TASKS
                once(data.resolve_task, config['task'], domain=config.get('domain', 'movies'),
                     world_tasks=tuple(world_tasks))
            if 'tokenizer' in config:
                once(data.resolve_tokenizer, config['tokenizer'])
            if 'corpus' in config and not config.get('corpus_transfer'):
                once(data.resolve_corpus, config['corpus'])
            for key in ('transfer', 'corpus_transfer'):
                if config.get(key):
                    once(data.resolve_pool, config[key]['pool'], domain=config[key].get('domain'))
            refs = [(key, config.get(key)) for key in ('init', 'teacher')
                    if not (kind == 'general_distill' and key == 'init')]  # there: 'teacher' or 'random'
            refs += [(f"model '{key}'", ref) for key, ref in (config.get('models') or {}).items()]
            for key, ref in refs:
                if isinstance(ref, str) and ref not in self.configs and ref != 'random':
                    once(models.resolve_model, ref, what=f'{kind} {key}')
        return self

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
        # the model is built before fit seeds: seed the whole stage, so that its
        # weights do not depend on the process (torch seeds each one at random)
        # or on what it trained before; `threads` (absent: the process's count)
        with reproducible(config.get('seed', 0), config.get('threads')):
            return RUNNERS[config['kind']](self, rid, config, progress)

    def adopt(self, rid, config):
        """Reuse a stage another paper's plan already trained (same config, same
        id, its checkpoint in the cache): copy the newest record of it here
        (`shared_from` says whose) instead of training again. Checkpoints are
        one folder per id for all papers, so training again would replace the
        weights that the other paper's later stages were built on (and records
        made before stages were seeded, or at another thread count, would not
        come out bit for bit the same)."""
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
