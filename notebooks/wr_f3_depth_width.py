# %% [markdown]
# # Well-Read Students Learn Better (Turc et al. 2019), depth vs width (WR-F3)
#
# At a fixed parameter budget, should a compact student be deep and narrow or
# shallow and wide? The paper trains all 24 sizes and finds that **pre-trained
# students leverage depth much better than width**, while for randomly
# initialised students the depth advantage is not visible.
#
# Here: pairs of mini-grid sizes with about equal non-embedding parameters
# (the Transformer layers, ~12 H^2 each; within 25%) but different depth, e.g.
# L4_H64 vs L1_H128, each trained with MLM pre-training + fine-tuning (PF) and
# from random weights (basic), on the labeled sentiment task. Embeddings
# (vocabulary x H) are left out of the match, so the wider model of a pair is
# the bigger one in total parameters.

# %% [markdown]
# ## 0 Setup

# %%
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import FuncFormatter, NullFormatter

from minilab import analysis, claims, models, notebook_kit
from minilab.papers import turc2019

# %% tags=["parameters"]
PRESET: str = "mini"  # experiment preset: tiny, mini or paper
SIZES: list = []  # student sizes (L<l>_H<h>), or [] for the preset's parameter-matched pairs
MATCH: float = 0.25  # a pair's non-embedding parameters differ by at most this fraction
SEEDS: list = [0, 1, 2]  # seeds to aggregate (mean and standard deviation)
RERUN: bool = False  # True: train the runs that are missing first (resumable)
SMOKE: bool = False  # True: read the tiny fixture runs in tests/fixtures, write under build/

# %%
# derived settings (papermill only replaces the parameters cell)
if SMOKE:
    PRESET, SIZES, SEEDS = 'tiny', [], [0]
nb = notebook_kit.Notebook('wr_f3_depth_width', 'turc2019', PRESET, smoke=SMOKE)
ORDER = ['PF', 'basic']
overrides = dict(sizes=SIZES or None, match_tolerance=MATCH, seeds=SEEDS)

# %% [markdown]
# ## 1 Load saved runs

# %%
plan, students = nb.load('wr_depth_width', 'student', rerun=RERUN, **overrides)
sizes = list(dict.fromkeys(plan.configs[r]['size'] for r in plan.ids('student')))
pairs = turc2019.matched_pairs(sizes, tolerance=MATCH)
budget = {s: turc2019.layer_parameters(*models.parse_size(s)) for s in sizes}
print('deeper-narrower vs shallower-wider, non-embedding parameters:')
print('\n'.join(f'  {d} {budget[d]:,} vs {s} {budget[s]:,} ({budget[d] / budget[s] - 1:+.0%})' for d, s in pairs))
students[['procedure', 'size', 'seed', 'params', 'test_accuracy']].head()

# %% [markdown]
# ## 2 Compute: mean and spread over seeds, pair by pair

# %%
mean, std = analysis.summarise(students, by='size')
analysis.require(mean, ORDER, 'wr_depth_width', PRESET, rows=sizes)
# each pair: deeper - shallower test accuracy paired by seed, mean ± std and
# 95% interval; a cell at the ceiling or at chance never decides (minilab.claims)
CLASSES = analysis.num_classes(students['task'].iloc[0])
lines, deeper_wins, rows = [], {proc: [] for proc in ORDER}, []
for deep, shallow in pairs:
    cells = []
    row = {'deeper': deep, 'shallower': shallow,
           'deeper_params': budget[deep], 'shallower_params': budget[shallow]}
    for proc in ORDER:
        win = claims.compare(analysis.per_seed(students, procedure=proc, size=deep),
                             analysis.per_seed(students, procedure=proc, size=shallow), 'deeper - shallower',
                             num_classes=CLASSES)
        deeper_wins[proc].append(win)
        cells.append(f'{proc} {analysis.cell(mean, std, deep, proc)} vs '
                     f'{analysis.cell(mean, std, shallow, proc)} ({win})')
        for which, size in (('deeper', deep), ('shallower', shallow)):
            row[f'{proc}_{which}'] = mean.loc[size, proc]
            row[f'{proc}_{which}_std'] = std.loc[size, proc]
    lines.append(f'{deep} vs {shallow} ({budget[deep] / 1e6:.2f}M vs {budget[shallow] / 1e6:.2f}M): '
                 + ', '.join(cells))
    rows.append(row)
# the paper: depth pays for pre-trained students, and not consistently without pre-training
pf_depth, basic_depth = claims.all_of(deeper_wins['PF']), claims.all_of(deeper_wins['basic'])
holds = claims.all_of([pf_depth, claims.negation(basic_depth)])
lines.append(f'the deeper model wins every pair: PF {pf_depth}, basic {basic_depth} '
             '(the claim: PF holds, basic does not)')
print('paper: pre-trained students leverage depth better than width; not visible for random init')
print('\n'.join(lines))
table = pd.DataFrame(rows)
table.round(2)

# %% [markdown]
# ## 3 Plot and save
#
# One series per depth: at equal parameters (the same x), the deeper series
# above the shallower one is the paper's depth advantage.

# %%
shape = {s: models.parse_size(s) for s in sizes}
fig, axes = plt.subplots(1, len(ORDER), figsize=(5.5 * len(ORDER), 4), sharey=True, squeeze=False)
for ax, proc in zip(axes[0], ORDER):
    for L in sorted({L for L, _ in shape.values()}):
        series = sorted((s for s in sizes if shape[s][0] == L), key=budget.get)
        x = [budget[s] for s in series]
        ax.errorbar(x, mean.loc[series, proc], yerr=std.loc[series, proc].fillna(0), marker='o',
                    capsize=3, label=f'L={L}')
        for s, xi in zip(series, x):
            ax.annotate(f'H{shape[s][1]}', (xi, mean.loc[s, proc]), textcoords='offset points',
                        xytext=(4, 4), fontsize=7)
    ax.set_xscale('log')
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f'{v / 1e6:g}M'))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel('non-embedding parameters')
    ax.set_title('pre-trained (PF)' if proc == 'PF' else 'random init (basic)')
    ax.legend(fontsize=8)
axes[0][0].set_ylabel('test accuracy (%)')
fig.suptitle(f'WR-F3: depth vs width ({PRESET}, {len(SEEDS)} seeds)')
nb.save(fig, table)

# %% [markdown]
# ## 4 The paper's numbers, and the scorecard
#
# No values of this figure were found in a primary source (papers.md, WR-F3);
# the claim is qualitative.

# %%
nb.publish(dict(PRESET=PRESET, SIZES=sizes, MATCH=MATCH, SEEDS=SEEDS), list(students['run_id']), [
    ('WR-F3', 'at equal non-embedding parameters the deeper student wins with pre-training (PF, every '
              'pair); random-init students (basic) show no consistent depth advantage',
     '; '.join(lines), holds)])

# %% [markdown]
# ## References
#
# - Turc, Chang, Lee, Toutanova (2019). *Well-Read Students Learn Better: On
#   the Importance of Pre-training Compact Models.* arXiv:1908.08962, section 1
#   and the depth-width analysis.
