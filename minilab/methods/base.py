"""What every stage does: load its task, save what it trained, build its fit
arguments and timings. A stage's checkpoint lives in `cache/checkpoints/<run id>`
(git-ignored; a later stage that needs it rebuilds it through its plan)."""
import json
import shutil

from minilab import data, models, paths
from minilab.inference import evaluate


def checkpoint_dir(rid):
    return paths.CACHE / 'checkpoints' / rid


def loop_dir(rid):
    """Where a long stage keeps its resume state between epochs."""
    return paths.CACHE / 'loops' / rid


def save_model(model, tokenizer, rid):
    """save_pretrained (safetensors, the tokenizer beside it) into a temporary
    folder, then rename (atomic). `minilab export RUN_ID DIR` copies it out."""
    folder = checkpoint_dir(rid)
    tmp = folder.with_name(folder.name + '.tmp')
    shutil.rmtree(tmp, ignore_errors=True)
    with models.quiet_transformers():  # no shard-writing bars or tied-weight notes per stage
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder


def saved_as(rid):
    """The record's pointer to a stage's saved model: its folder under the cache."""
    return {'checkpoint': str(checkpoint_dir(rid).relative_to(paths.CACHE))}


def split_key(config, split):
    """Which rows of its task a stage's split is (task, sizes, seed, domain, world
    version, columns), as the teacher-output store's data key."""
    keys = ('task', 'train_size', 'dev_size', 'test_size', 'data_seed', 'domain', 'world_version',
            'text_column', 'text_pair_column', 'label_column', 'label_names')
    return json.dumps({'split': split, **{k: config.get(k) for k in keys}}, sort_keys=True)


def load_task(config):
    return data.load_task(config['task'], train_size=config.get('train_size'),
                          dev_size=config.get('dev_size'), test_size=config.get('test_size'),
                          seed=config.get('data_seed', 0), domain=config.get('domain', 'movies'),
                          text_column=config.get('text_column'),
                          text_pair_column=config.get('text_pair_column'),
                          label_column=config.get('label_column'), label_names=config.get('label_names'))


def fit_args(config, rid, progress, desc):
    """The keyword arguments of `train.fit` a stage config sets. The long stages
    (pre-training, the teacher) checkpoint the loop at every epoch end, so an
    interrupted batch resumes mid-stage; short ones restart."""
    long_stage = config['kind'] in ('pretrain', 'teacher')
    return dict(epochs=config['epochs'], lr=config['lr'], batch_size=config['batch_size'],
                seed=config['seed'], warmup=config.get('warmup', 0.06),
                mixed_precision=config.get('mixed_precision', 'no'), progress=progress, desc=desc,
                checkpoint_dir=loop_dir(rid) if long_stage else None,
                # the saved mini runs were made with length-grouped batches; a
                # config without the key means grouping on, so their ids stay valid
                length_grouping=config.get('length_grouping', True))


TIMING_KEYS = ('train_seconds', 'train_tokens', 'train_flops', 'steps', 'non_embedding_params',
               'processes', 'mixed_precision')


def timings(result, **extra):
    t = {k: result[k] for k in TIMING_KEYS}
    t.update(extra)
    return t


def final_metrics(model, result, task, tokenizer, config):
    """Dev accuracy of the selected step, and the one score on test after selection."""
    test = evaluate(model, data.tokenize(task.test, tokenizer, config['max_length']), tokenizer)
    best = result['best_dev'] or {}
    return {'dev_accuracy': best.get('accuracy'), 'best_step': best.get('step'),
            'test_accuracy': test['accuracy'], 'test_macro_f1': test['macro_f1']}
