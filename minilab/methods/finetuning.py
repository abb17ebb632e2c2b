"""A pre-trained model fine-tuned on a labeled task with cross-entropy, the
best dev epoch kept: the teachers of every paper (the 'teacher' stage)."""
import shutil

from minilab import data, models, objectives, runs
from minilab.methods import base
from minilab.train import fit


def run_teacher(plan, rid, config, progress=False):
    task = base.load_task(config)
    tokenizer = data.load_tokenizer(config['tokenizer'])
    model = models.init_from_pretrained(plan.checkpoint(config['init']), task.num_labels)
    train = data.tokenize(task.train, tokenizer, config['max_length'])
    dev = data.tokenize(task.dev, tokenizer, config['max_length'])
    result = fit(model, objectives.compose({'ce': 1.0}), {'ce': 1.0}, train, tokenizer, dev_data=dev,
                 **base.fit_args(config, rid, progress, 'teacher'))
    metrics = base.final_metrics(model, result, task, tokenizer, config)
    metrics['params'] = models.count_parameters(model)
    base.save_model(model, tokenizer, rid)
    runs.save_run(plan.paper, config, metrics, history=result['history'],
                  timings=base.timings(result), extra=base.saved_as(rid))
    shutil.rmtree(base.loop_dir(rid), ignore_errors=True)
    return rid
