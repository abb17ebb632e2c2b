"""Tables from saved runs: means and spreads over seeds, and the checks that a
figure has the runs it needs.

    mean, std = summarise(students, by='size', column='procedure')
    cell(mean, std, 'L2_H128', 'PD')          # '99.6±0.2'
    require(mean, ['PD', 'D'], 'wr_main', 'mini')
"""
from minilab import runs


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
