"""Tables from saved runs: means and spreads over seeds, the scores by seed
that minilab.claims pairs, and the checks that a figure has the runs it needs.

    mean, std = summarise(students, by='size', column='procedure')
    cell(mean, std, 'L2_H128', 'PD')          # '99.6±0.2'
    require(mean, ['PD', 'D'], 'wr_main', 'mini')
    per_seed(students, procedure='PD', size='L2_H128')   # Series: seed -> test accuracy
    scores_by(students, 'procedure', size='L2_H128')     # {procedure: that Series}
    num_classes('world/nli')                              # 3 (chance: 100 / 3)
"""
from minilab import runs

# classes of the hub tasks the paper presets name (world tasks: minilab.world)
HUB_CLASSES = {'glue/sst2': 2, 'glue/mnli': 3, 'glue/qnli': 2, 'glue/rte': 2, 'glue/mrpc': 2,
               'glue/qqp': 2, 'glue/cola': 2, 'imdb': 2, 'ag_news': 4, 'dbpedia_14': 14,
               'amazon_polarity': 2, 'yelp_polarity': 2, 'sick': 3}


def summarise(students, by, column='procedure', metric='test_accuracy'):
    """Mean and standard deviation over seeds of `metric`, one row per value of
    `by` (a size, a transfer-set size, a domain), one column per value of
    `column` (a procedure, an init mode). Returns (mean, std) DataFrames."""
    stats = students.groupby([by, column])[metric].agg(['mean', 'std']).reset_index()
    mean = stats.pivot(index=by, columns=column, values='mean')
    std = stats.pivot(index=by, columns=column, values='std')
    return mean, std


def cell(mean, std, row, col):
    """'73.1±0.4' (the spread is over seeds; '±nan' with one seed reads '±-')."""
    s = std.loc[row, col]
    return f'{mean.loc[row, col]:.1f}±{s:.1f}' if s == s else f'{mean.loc[row, col]:.1f}±-'


def require(mean, columns, name, preset, rows=()):
    """Raise MissingRunsError (reproduce: 'skipped') when a column the figure
    needs has no saved run at all, e.g. a procedure of a half-finished batch;
    with `rows`, also when one of those rows has no run in such a column."""
    missing = [c for c in columns if c not in mean.columns]
    missing += [f'{c} {r}' for c in columns if c in mean.columns for r in rows
                if r not in mean.index or mean.loc[r, c] != mean.loc[r, c]]  # NaN: no run
    if missing:
        raise runs.MissingRunsError(f"no saved runs of {', '.join(map(str, missing))} yet: "
                                    f'run `minilab run {name} --preset {preset}`')


def per_seed(runs_df, metric='test_accuracy', **where):
    """{seed: score} (a Series indexed by seed) of the runs whose columns equal
    `where` (e.g. procedure='PD', size='L2_H128'); several runs of one seed
    are averaged. What minilab.claims.paired pairs."""
    rows = runs_df
    for column, value in where.items():
        rows = rows[rows[column] == value]
    return rows.groupby('seed')[metric].mean()


def scores_by(runs_df, column, metric='test_accuracy', **where):
    """{value of `column`: per_seed(...)}: e.g. each procedure's scores by seed
    at one size, for claims.chain."""
    rows = runs_df
    for key, value in where.items():
        rows = rows[rows[key] == value]
    return {v: g.groupby('seed')[metric].mean() for v, g in rows.groupby(column, sort=False)}


def macro_per_seed(runs_df, tasks, metric='score', **where):
    """{seed: mean over `tasks` of that seed's score}, a seed missing a task
    left out: the macro-score (GLUE's unweighted mean) seed by seed."""
    rows = runs_df
    for column, value in where.items():
        rows = rows[rows[column] == value]
    table = rows.groupby(['seed', 'task'])[metric].mean().unstack().reindex(columns=list(tasks))
    return table.dropna().mean(axis=1)


def num_classes(task):
    """How many classes a labeled task has (chance is 100 / that), or None
    when unknown or not a classification (span QA)."""
    from minilab import world, world_spans
    if task in world_spans.TASKS:
        return len(world_spans.LABELS[task]) or None
    if task.startswith('world/') and task.split('/', 1)[1] in world.LABELS:
        return len(world.LABELS[task.split('/', 1)[1]])
    return HUB_CLASSES.get(task)
