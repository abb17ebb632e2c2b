"""One figure style and one way to save figures and tables.

    from minilab import plots
    plots.use_style()
    fig, ax = plt.subplots()
    ...
    plots.save_fig(fig, 'f4_main_result', paper='wr')  # results/figures/wr/
    plots.save_table(df, 't2_glue', paper='wr')        # results/tables/wr/

Figures are written as PNG (dpi 150) and SVG, tables as CSV and Markdown.
Every write goes to a temporary file first and is then moved into place
(os.replace), so an interrupted run never leaves half a file of record.
Dates and version strings are kept out of the files and SVG element ids are
salted with a fixed string, so regenerating an unchanged figure does not
change the bytes and does not churn git.
"""
import os
from pathlib import Path

import matplotlib

from minilab import paths

DPI = 150

# colour-blind safe (Okabe & Ito 2008), in the order lines are drawn
COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00',
          '#56B4E9', '#F0E442', '#000000']

STYLE = {
    'figure.figsize': (5.0, 3.2),
    'figure.dpi': 100,                  # on screen; files use DPI
    'savefig.dpi': DPI,
    'savefig.bbox': 'tight',
    'font.size': 9,
    'axes.titlesize': 10,
    'axes.labelsize': 9,
    'legend.fontsize': 8,
    'legend.frameon': False,
    'xtick.labelsize': 8,
    'ytick.labelsize': 8,
    'axes.spines.top': False,
    'axes.spines.right': False,
    'axes.grid': True,
    'grid.alpha': 0.3,
    'grid.linewidth': 0.6,
    'lines.linewidth': 1.6,
    'lines.markersize': 4,
    'axes.prop_cycle': matplotlib.cycler(color=COLORS),
    'svg.hashsalt': 'minilab',          # stable element ids in the svg
    'svg.fonttype': 'path',             # glyphs as paths: same look anywhere
}

# no dates or version strings in the files: an unchanged figure keeps its bytes
_METADATA = {'png': {'Software': None},
             'svg': {'Date': None, 'Creator': 'Matplotlib'}}


def use_style():
    """Apply the kit's matplotlib style (rcParams only, not the backend).

    Safe under Agg (batch runs set MPLBACKEND=Agg) and inline in Jupyter.
    """
    matplotlib.rcParams.update(STYLE)


# -----------------------------------------------------------------------------

def _check_id(kind, value):
    value = str(value)
    if not value or '/' in value or '\\' in value or value.startswith('.'):
        raise ValueError(f'bad {kind} {value!r}: use a plain name like '
                         f"'f4_main_result'")
    return value


def _replace(tmp, final):
    os.replace(tmp, final)
    return Path(final)


def save_fig(fig, fig_id, paper, root=None, formats=('png', 'svg')):
    """Save `fig` as <root>/<paper>/<fig_id>.png and .svg; return the paths.

    root defaults to paths.FIGURES (results/figures); tests and the template
    notebook pass a folder under build/ instead.
    """
    fig_id, paper = _check_id('fig_id', fig_id), _check_id('paper', paper)
    out_dir = Path(paths.FIGURES if root is None else root) / paper
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        final = out_dir / f'{fig_id}.{fmt}'
        tmp = out_dir / f'.{fig_id}.{fmt}.tmp'
        try:
            fig.savefig(tmp, format=fmt, dpi=DPI, bbox_inches='tight',
                        metadata=_METADATA.get(fmt))
            written.append(_replace(tmp, final))
        finally:
            tmp.unlink(missing_ok=True)
    return written


def _keep_index(df):
    # a RangeIndex without a name is just row numbers: leave it out
    import pandas as pd
    return not (isinstance(df.index, pd.RangeIndex) and df.index.name is None)


def save_table(df, table_id, paper, float_format='%.2f', root=None):
    """Save `df` as <root>/<paper>/<table_id>.csv and .md; return the paths.

    float_format is a printf-style format ('%.2f') used for both files; the
    markdown table is pandas' to_markdown (tabulate, GitHub pipe style).
    root defaults to paths.TABLES (results/tables).
    """
    table_id = _check_id('table_id', table_id)
    paper = _check_id('paper', paper)
    out_dir = Path(paths.TABLES if root is None else root) / paper
    out_dir.mkdir(parents=True, exist_ok=True)
    index = _keep_index(df)
    floatfmt = float_format.lstrip('%') if float_format else 'g'
    texts = {
        'csv': df.to_csv(index=index, float_format=float_format,
                         lineterminator='\n'),
        'md': df.to_markdown(index=index, floatfmt=floatfmt) + '\n',
    }
    written = []
    for fmt, text in texts.items():
        final = out_dir / f'{table_id}.{fmt}'
        tmp = out_dir / f'.{table_id}.{fmt}.tmp'
        try:
            tmp.write_text(text, encoding='utf-8')
            written.append(_replace(tmp, final))
        finally:
            tmp.unlink(missing_ok=True)
    return written


def plot_sweep(ax, x, mean, std, flat_mean, teacher_accuracy):
    """D and PD along a sweep (error bars: std over seeds), with the
    procedures that ignore the transfer set (PF, basic) and the teacher as
    horizontal lines."""
    for proc in ('D', 'PD'):
        ax.errorbar(x, mean[proc], yerr=std[proc].fillna(0), marker='o', capsize=3, label=proc)
    for proc, style in (('PF', ':'), ('basic', '-.')):
        if proc in flat_mean:
            ax.axhline(flat_mean[proc], linestyle=style, color='grey', label=f'{proc} (no D_T)')
    ax.axhline(teacher_accuracy, color='black', linestyle='--', linewidth=1, label='teacher')
    ax.set_ylabel('test accuracy (%)')
    ax.legend(fontsize=8)
