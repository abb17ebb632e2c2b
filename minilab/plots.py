"""One figure style and one way to save figures and tables.

    from minilab import plots
    plots.use_style()
    fig, ax = plt.subplots()
    ...
    plots.save_fig(fig, 'f4_main_result', paper='wr')  # results/figures/wr/
    plots.save_table(df, 't2_glue', paper='wr')        # results/tables/wr/

Figures drawn while a model trains (the playground, the tour) are made without
pyplot, so a training thread can draw them: `curve_figure` (history rows),
`temperature_figure`, `figure_png` (PNG bytes) and `LivePlot` (a notebook
cell that redraws as rows arrive).

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


# -----------------------------------------------------------------------------
# figures drawn while a model trains (object-oriented matplotlib, no pyplot:
# safe from a training thread), as PNG bytes for widgets and display handles


def new_figure(ncols=1, width=5.0, height=3.2):
    """A Figure in the kit's style with `ncols` axes, outside pyplot."""
    from matplotlib.figure import Figure
    use_style()
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots(1, ncols, squeeze=False)[0]


def figure_png(fig):
    """PNG bytes of a Figure (Agg canvas; works in any thread, no display needed)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=90)
    return buf.getvalue()


def curve_figure(curves, teacher_accuracy=None, reference=None, title=None):
    """Training curves from `minilab.train.fit` history rows. curves: {label: rows}
    (or one list of rows). Left: up to three train_<term> losses per step; right:
    dev accuracy per step, the teacher as a dashed line and `reference` (mean, std)
    as a band (saved runs)."""
    import numpy as np
    if isinstance(curves, list):
        curves = {'this run': curves}
    fig, (ax_loss, ax_acc) = new_figure(2, width=8.0, height=3.0)
    for i, (label, rows) in enumerate(curves.items()):
        color, rows = COLORS[i % len(COLORS)], [r for r in rows if 'step' in r]
        if not rows:
            continue
        steps = [r['step'] for r in rows]
        terms = [k for k in rows[0] if k.startswith('train_') and k != 'train_loss']
        for j, term in enumerate(([k for k in terms if any(r.get(k) for r in rows)]
                                  or ['train_loss'])[:3]):
            ax_loss.plot(steps, [r.get(term, np.nan) for r in rows], color=color,
                         linestyle=['-', '--', ':'][j], label=f'{label}: {term[6:]}')
        if any('dev_accuracy' in r for r in rows):
            ax_acc.plot(steps, [r.get('dev_accuracy', np.nan) for r in rows], color=color,
                        marker='o', label=label)
    if teacher_accuracy is not None:
        ax_acc.axhline(teacher_accuracy, color='black', linestyle='--', linewidth=1,
                       label=f'teacher (test {teacher_accuracy:.1f})')
    if reference is not None:
        mean, std = reference
        ax_acc.axhspan(mean - std, mean + std, color='grey', alpha=0.2,
                       label=f'saved runs (test {mean:.1f})')
    ax_loss.set(xlabel='step', ylabel='training loss')
    ax_acc.set(xlabel='step', ylabel='dev accuracy (%)')
    for ax in (ax_loss, ax_acc):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def softmax(logits, temperature=1.0):
    """softmax(logits / T) over the last axis (numpy)."""
    import numpy as np
    z = np.asarray(logits, dtype=float) / temperature
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


# a teacher fairly sure that a news sentence is about the first topic
EXAMPLE_LOGITS = [4.0, 1.5, 0.5, -1.0]


def temperature_figure(logits=None, temperatures=(1, 2, 5, 10), labels=None, title=None):
    """Bars of softmax(logits / T) for several T: a higher temperature flattens
    the teacher's distribution and shows how it ranks the wrong classes (Hinton
    et al.'s 'dark knowledge'), which T = 1 hides. Default: EXAMPLE_LOGITS over
    the world's topics."""
    import numpy as np

    from minilab import world
    logits = EXAMPLE_LOGITS if logits is None else list(logits)
    if labels is None:
        labels = (world.LABELS['topic'] if logits == EXAMPLE_LOGITS
                  else [f'class {i}' for i in range(len(logits))])
    if len(labels) != len(logits):
        raise ValueError(f'{len(labels)} labels for {len(logits)} logits')
    temperatures = [float(t) for t in temperatures]
    fig, (ax,) = new_figure(1, width=5.0, height=2.8)
    width, x = 0.8 / len(temperatures), np.arange(len(logits))
    for i, t in enumerate(temperatures):
        ax.bar(x + (i - (len(temperatures) - 1) / 2) * width, softmax(logits, t), width,
               color=COLORS[i % len(COLORS)], label=f'T = {t:g}')
    ax.set_xticks(x, list(labels))
    ax.set(ylim=(0, 1), ylabel='probability',
           title=title or f'softmax(z / T), logits z = {", ".join(f"{v:g}" for v in logits)}')
    ax.legend(ncol=min(4, len(temperatures)), fontsize=7)
    fig.tight_layout()
    return fig


class LivePlot:
    """Training curves that redraw in place in a notebook cell as rows arrive (an
    IPython display handle); outside IPython, each row prints one line.

        live = LivePlot('a title'); fit(..., callback=live.callback('student'))"""

    def __init__(self, title=None, teacher_accuracy=None):
        self.curves, self.title, self.teacher_accuracy = {}, title, teacher_accuracy
        self._handle = None
        try:
            from IPython import get_ipython
            from IPython.display import Image, display
            if get_ipython() is not None:
                self._handle = display(Image(data=figure_png(self.figure())), display_id=True)
        except ImportError:
            pass

    def figure(self):
        return curve_figure(self.curves, self.teacher_accuracy, title=self.title)

    def callback(self, label):
        """A row callback: adds the row to curve `label` and redraws."""
        def on_row(row):
            self.curves.setdefault(label, []).append(row)
            self.update()
            if self._handle is None:
                print(f'{label}: step {row["step"]} dev accuracy {row.get("dev_accuracy", 0):.1f}')
        return on_row

    def update(self):
        if self._handle is not None:
            from IPython.display import Image
            self._handle.update(Image(data=figure_png(self.figure())))
