# %% [markdown]
# # Template: one figure of one paper
#
# Copy this file to `notebooks/<paper>_<fig_id>.py` to regenerate one figure
# or table of one paper from the saved runs in `results/runs/`. Say here which
# paper and which figure (e.g. *Well-Read Students Learn Better*, Turc et al.
# 2019, Figure 4), and what the figure shows. This template plots a made-up
# table and writes only under `build/template/`, never into `results/`.

# %% [markdown]
# ## 0 Setup

# %%
import matplotlib.pyplot as plt
import pandas as pd

from minilab import paths, plots

# %% tags=["parameters"]
PAPER: str = "template"  # which paper's folder to write to
SEEDS: list = [0, 1, 2]  # seeds to aggregate
SMOKE: bool = False  # True: tiny fixture runs (tests)

# %%
# derived settings: never in the parameters cell (papermill replaces only
# the values it is given, so a value computed there would go stale)
RUNS_DIR = paths.FIXTURES / 'runs' if SMOKE else paths.RUNS / PAPER
OUT_ROOT = paths.BUILD / 'template'  # a real notebook: the default, results/
plots.use_style()

# %% [markdown]
# ## 1 Load saved runs
#
# A real notebook reads `RUNS_DIR` with `minilab.runs`; here a tiny table
# stands in for the runs (one row per size and seed).

# %%
runs = pd.DataFrame([
    {'size': size, 'seed': seed, 'accuracy': 70.0 + 5 * i + 0.5 * seed}
    for i, size in enumerate(['tiny', 'mini', 'small'])
    for seed in SEEDS
])
runs.head()

# %% [markdown]
# ## 2 Compute

# %%
summary = (runs.groupby('size', sort=False)['accuracy']
           .agg(['mean', 'std', 'count']).reset_index())
summary

# %% [markdown]
# ## 3 Plot and save

# %%
fig, ax = plt.subplots()
ax.errorbar(summary['size'], summary['mean'], yerr=summary['std'],
            marker='o', capsize=3)
ax.set_xlabel('student size')
ax.set_ylabel('dev accuracy (%)')
ax.set_title(f'template ({len(SEEDS)} seeds)')
saved = plots.save_fig(fig, 'f0_template', PAPER, root=OUT_ROOT / 'figures')
saved += plots.save_table(summary, 't0_template', PAPER,
                          root=OUT_ROOT / 'tables')
print('\n'.join(str(p.relative_to(paths.ROOT)) for p in saved))

# %% [markdown]
# ## 4 The paper's numbers
#
# Put our numbers next to the published ones (from `reference/`) and say in
# one sentence whether the finding holds.

# %%
# placeholder values: a real notebook reads them from reference/
published = pd.Series({'tiny': 71.0, 'mini': 76.0, 'small': 81.0},
                      name='published')
compare = summary.set_index('size')[['mean']].join(published)
compare['diff'] = compare['mean'] - compare['published']
compare

# %% [markdown]
# ## References
#
# - Turc, Chang, Lee, Toutanova (2019). *Well-Read Students Learn Better: On
#   the Importance of Pre-training Compact Models.* arXiv:1908.08962.
