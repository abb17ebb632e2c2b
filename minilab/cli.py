"""The command line: `minilab` or `python -m minilab`.

    minilab list                                    # experiments and notebooks
    minilab run wr_main --preset mini --seeds 0 1 2 # train what is missing (resumable)
    minilab run wr_main --preset tiny --set transfer_size=500
    minilab run turc2019 --preset mini --jobs 2     # every experiment of a paper, 2 lanes
    minilab run wr_main --preset real --sizes L2_H128 --kind pretrain   # its pre-training only
    minilab export RUN_ID my-student                # the trained model, a Hugging Face folder
    minilab reproduce                               # every notebook, from saved runs
    minilab reproduce wr_f4_main_result --smoke
    minilab reproduce --jobs 2                      # 2 notebooks at once (default: one per CPU)

Bad input (unknown experiment, preset, size, parameter, notebook; a value of
the wrong type or out of range; a task, model, tokenizer or corpus name that
is not known, not a local path and not reachable on the hub) exits with
status 2 and one line naming the value and the valid choices, before any
compute starts (with --dry-run too).
"""
import argparse
import ast
import os
import sys
from pathlib import Path

# offline by default: a hub name fails at once instead of retrying for ~46 s;
# set HF_HUB_OFFLINE=0 to use the hub (paper scale)
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('HF_DATASETS_OFFLINE', '1')
os.environ.setdefault('TOKENIZERS_PARALLELISM', 'false')


def _value(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def main(argv=None):
    parser = argparse.ArgumentParser(prog='minilab', description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    sub.add_parser('list', help='experiments, presets and notebooks')
    run = sub.add_parser('run', help='train the missing runs of an experiment (resumable)')
    run.add_argument('experiment', help="an experiment, a paper's name (all its experiments) or 'all'")
    run.add_argument('--preset', default='mini', help='tiny, mini, real or paper (real: wr_main, wr_main_nli, wr_budget, wr_grid)')
    run.add_argument('--seeds', type=int, nargs='+')
    run.add_argument('--sizes', nargs='+')
    run.add_argument('--task')
    run.add_argument('--set', action='append', default=[], metavar='KEY=VALUE',
                     help='override any preset parameter')
    run.add_argument('--progress', action=argparse.BooleanOptionalAction, default=None,
                     help='progress bars for training and teacher passes (default: on in a terminal)')
    run.add_argument('--dry-run', action='store_true', help='list the runs, train nothing')
    run.add_argument('--kind', help='only the stages of this kind (pretrain, teacher, student, ...) '
                                    'and the stages they build on')
    run.add_argument('--jobs', type=int, default=1,
                     help='processes training at once, each with cores/jobs threads (small models '
                          'train faster as 2 one-thread lanes than as one 2-thread process)')
    run.add_argument('--runs-dir', help="where the run records go (default: results/runs for the kit's "
                                        "own presets without overrides, else user-runs/)")
    run.add_argument('--lane', type=int, help=argparse.SUPPRESS)  # set for the processes --jobs starts
    exp = sub.add_parser('export', help="copy a run's trained model to a folder (Hugging Face format)")
    exp.add_argument('run_id')
    exp.add_argument('folder')
    exp.add_argument('--runs-dir', help='the run store to look in (default: user-runs/, then results/runs)')
    rep = sub.add_parser('reproduce', help='execute notebooks from the saved runs')
    rep.add_argument('notebooks', nargs='*')
    rep.add_argument('--smoke', action='store_true', help='tiny fixture runs (tests)')
    rep.add_argument('-p', nargs=2, action='append', default=[], metavar=('KEY', 'VALUE'))
    rep.add_argument('--jobs', type=int, help='notebooks run at once (default: one per CPU)')
    rep.add_argument('--no-preload', action='store_true',
                     help="start each kernel on its own, not forked from one that has run "
                          "the notebooks' imports (slower)")
    args = parser.parse_args(argv)
    from minilab import paths  # (no torch)
    saved_store = os.environ.get('MINILAB_RUNS'), paths.RUNS
    try:
        return _dispatch(args, argv)
    except ValueError as err:  # every user-input error of the kit is a ValueError
        print(f'minilab: error: {err}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print('minilab: interrupted; finished runs are saved, run the same command to resume',
              file=sys.stderr)
        return 130
    finally:  # a command's --runs-dir ends with it (main() may run in a longer process)
        env, paths.RUNS = saved_store
        if env is None:
            os.environ.pop('MINILAB_RUNS', None)
        else:
            os.environ['MINILAB_RUNS'] = env


def _dispatch(args, argv=None):
    if args.command == 'list':
        from minilab import experiments
        from minilab import notebooks
        print('experiments (minilab run NAME --preset P):')
        for name, e in experiments.EXPERIMENTS.items():
            print(f"  {name:<12} presets {', '.join(e['presets'])}; {e['about']} "
                  f"-> notebooks/{e['notebook']}.py")
        print('notebooks (minilab reproduce NAME):')
        for name in notebooks.list_notebooks(include_templates=False):
            print(f'  {name}')
        return 0
    if args.command == 'run':
        if args.jobs < 1:
            raise ValueError(f'--jobs must be a positive number of processes, got {args.jobs}')
        from minilab import catalog  # names first, before torch is imported
        catalog.check_target(args.experiment, args.preset)
        overrides = {k: v for k, v in [('seeds', args.seeds), ('sizes', args.sizes), ('task', args.task)]
                     if v is not None}
        for item in args.set:
            if '=' not in item:
                raise ValueError(f'--set wants KEY=VALUE, got {item!r}')
            key, value = item.split('=', 1)
            overrides[key.strip()] = _value(value)  # --set train_size=None: None
        store = _choose_runs_dir(args.runs_dir, args.preset, overrides)
        plans = _plans(args.experiment, args.preset, overrides)  # validates before any compute
        if args.kind:
            plans = [plan.only(args.kind) for plan in plans]
        for plan in plans:
            plan.check()  # every task, model, tokenizer, corpus name of every stage
        if store is not None and args.lane is None:
            print(f'minilab: run records go to {store} (--runs-dir to choose)', file=sys.stderr)
        if args.dry_run:
            return _dry_run(plans)
        if args.jobs > 1:
            return _lanes(args.jobs, argv_without_jobs(sys.argv[1:] if argv is None else argv))
        import datasets

        from minilab import runs
        datasets.disable_progress_bars()
        # the code version, libraries and hardware of every record this process
        # saves, read now: the code that runs is the code at the start, whatever
        # the working tree holds when a long stage ends
        runs.environment()
        log = print if args.lane is None else (lambda msg: print(f'[lane {args.lane}] {msg}', flush=True))
        for plan in plans:
            plan.execute(log=log, progress=sys.stderr.isatty() if args.progress is None else args.progress)
        return 0
    if args.command == 'export':
        from minilab import export
        folder = export.export(args.run_id, args.folder, args.runs_dir)
        print(f'{args.run_id} -> {folder} (from_pretrained loads it)')
        return 0
    if args.command == 'reproduce':
        from minilab import notebooks
        params = {k: _value(v) for k, v in args.p}
        names = args.notebooks or None
        if args.jobs is not None and args.jobs < 1:
            raise ValueError(f'--jobs must be a positive number of notebooks, got {args.jobs}')
        if names:
            known = notebooks.list_notebooks()
            for name in names:
                if name not in known:
                    raise ValueError(f'unknown notebook {name!r}; valid: {", ".join(known)}')
        try:
            notebooks.reproduce(names, parameters=params or None, smoke=args.smoke,
                                workers=args.jobs, preload=not args.no_preload)
        except notebooks.NotebookError as err:
            print(f'minilab: {err}', file=sys.stderr)
            return 1
        if not args.smoke:
            from minilab import report
            report.update_readme()
            print('README.md scorecard updated from results/findings.csv')
        return 0
    return 2


def _choose_runs_dir(runs_dir, preset, overrides):
    """Where this command's run records go. The kit's saved runs (results/runs)
    take only its own presets as committed; a user's data, overrides or other
    presets go to user-runs/ unless --runs-dir (or MINILAB_RUNS) says otherwise."""
    from minilab import paths
    if runs_dir is None and 'MINILAB_RUNS' not in os.environ:
        if overrides or preset not in SAVED_PRESETS:
            runs_dir = paths.USER_RUNS
    if runs_dir is not None:
        paths.RUNS = Path(runs_dir).resolve()
        os.environ['MINILAB_RUNS'] = str(paths.RUNS)  # lanes and notebook kernels read the same store
        return paths.RUNS
    return None


# the presets whose runs are the kit's own, committed in results/runs
SAVED_PRESETS = ('mini', 'real')


def _plans(name, preset, overrides):
    """The plans `minilab run NAME` trains: one experiment's, or for a paper's
    name (or 'all') one plan per paper holding all its experiments. Run ids are
    config hashes, so a stage two experiments share is one entry of the union."""
    from minilab import experiments
    from minilab.stages import Plan
    papers = sorted({e['paper'] for e in experiments.EXPERIMENTS.values()})
    if name not in papers and name != 'all':
        overrides = {k: experiments.SET_NONE if v is None else v for k, v in overrides.items()}
        return [experiments.build_plan(name, preset, **overrides)]
    if overrides:
        raise ValueError(f"overrides (--seeds, --sizes, --task, --set) apply to one experiment, "
                         f"not to {name!r}; valid: {', '.join(experiments.EXPERIMENTS)}")
    plans = []
    for paper in (papers if name == 'all' else [name]):
        union = Plan(paper)
        for exp, e in experiments.EXPERIMENTS.items():
            if e['paper'] == paper and preset in e['presets']:
                for rid, config in experiments.build_plan(exp, preset).configs.items():
                    union.configs.setdefault(rid, config)
        plans.append(union)
    return plans


def _dry_run(plans):
    """Each run: done (its recorded cost) or to do (an estimate from the finished
    runs like it in the store: the same kind, procedure, size, task and
    tokenizer, their cost scaled by the examples each trains on where both
    configs give them, e.g. a pre-training of half the corpus at half the cost;
    none where no such run is done)."""
    from minilab import runs
    for plan in plans:
        todo, total = set(plan.todo()), 0.0
        like = {}  # cost key -> [(seconds, examples)] of every finished run of the paper
        for record in runs.iter_records(plan.paper):
            seconds = runs.record_seconds(record)
            if seconds is not None:
                like.setdefault(_cost_key(record['config']), []).append((seconds, _examples(record['config'])))
        estimate, unknown = 0.0, 0
        for rid in plan.configs:
            if rid not in todo:
                seconds = runs.record_seconds(runs.load_record(plan.paper, rid))
                total += seconds or 0.0
                print(rid, plan.describe(rid), f'({seconds:.0f} s)' if seconds is not None else '')
                continue
            similar = like.get(_cost_key(plan.configs[rid]))
            if not similar:
                unknown += 1
                print(rid, 'to do')
                continue
            examples = _examples(plan.configs[rid])
            guess = sum(s * (examples / n if examples and n else 1.0) for s, n in similar) / len(similar)
            estimate += guess
            print(rid, f'to do (~{guess:.0f} s, from {len(similar)} like it)')
        done = len(plan.configs) - len(todo)
        print(f'{done} of {len(plan.configs)} runs done ({total / 60:.1f} min of recorded '
              f'run time); {len(todo)} to do'
              + (f', ~{estimate / 60:.1f} min by the recorded cost of runs like them'
                 + (f' ({unknown} with no run like them to go by)' if unknown else '')
                 if len(todo) > unknown else ''))
    return 0


def _cost_key(config):  # the tokenizer tells the world's runs from real text's
    return (config['kind'], config.get('procedure'), config.get('size'), config.get('task'),
            config.get('tokenizer'))


def _examples(config):
    """The examples a run trains on, counted over its epochs, where its config
    gives them (None where a size is the whole data set): a pre-training's
    corpus_size, a distillation's transfer set (then fine-tuning's train_size),
    else train_size."""
    epochs = config.get('epochs') or 1
    if config['kind'] == 'pretrain':
        return (config.get('corpus_size') or 0) * epochs or None
    transfer = config.get('transfer')
    if isinstance(transfer, dict) and transfer.get('size'):
        tuning = config.get('finetune_epochs') or 0
        if tuning and not config.get('train_size'):
            return None
        return transfer['size'] * epochs + (config.get('train_size') or 0) * tuning
    return (config.get('train_size') or 0) * epochs or None


def argv_without_jobs(argv):
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == '--jobs':
            skip = True
        elif not arg.startswith('--jobs='):
            out.append(arg)
    return out


def _lanes(jobs, argv):
    """`jobs` processes of the same command, each with cores/jobs threads; the
    run locks keep them on different stages (minilab.stages.Plan.execute)."""
    import subprocess
    import time
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
    env = dict(os.environ, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    print(f'minilab: {jobs} lanes of {threads} thread(s) each', flush=True)
    start = time.perf_counter()
    procs = []
    for lane in range(jobs):
        procs.append(subprocess.Popen([sys.executable, '-m', 'minilab', *argv, '--lane', str(lane)], env=env))
        time.sleep(1)  # staggered: the first lane takes the first stage's lock
    codes = [p.wait() for p in procs]
    print(f'minilab: {jobs} lanes done in {(time.perf_counter() - start) / 60:.1f} min; '
          f'exit codes {codes}', flush=True)
    return max(codes)


if __name__ == '__main__':
    sys.exit(main())
