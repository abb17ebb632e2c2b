# %% [markdown]
# # Template: one figure of one paper
#
# Copy this file to `notebooks/<paper>_<fig_id>.py` to regenerate one figure
# or table of one paper from the saved runs in `results/runs/`. Say here which
# paper and which figure (e.g. *Well-Read Students Learn Better*, Turc et al.
# 2019, Figure 4), and what the figure shows. This template plots a made-up
# table and writes only under `build/template/`, never into `results/`.
#
# A notebook is a thin leaf over the package: `minilab.notebook_kit` reads
# the saved runs and writes the figure, table, scorecard rows and manifest
# entry; `minilab.claims` decides whether a claim holds. The notebook keeps
# its parameters, its computation, its plot and its words.

# %% [markdown]
# ## 0 Setup

# %%
import matplotlib.pyplot as plt
import pandas as pd

from minilab import claims, notebook_kit, paths

# %% tags=["parameters"]
PAPER: str = "template"  # which paper's folder to write to
SEEDS: list = [0, 1, 2]  # seeds to aggregate
SMOKE: bool = False  # True: tiny fixture runs (tests)

# %%
# derived settings: never in the parameters cell (papermill replaces only
# the values it is given, so a value computed there would go stale)
# a real notebook: notebook_kit.Notebook('<name>', PAPER, PRESET, smoke=SMOKE),
# which writes to results/ (build/smoke in smoke mode)
nb = notebook_kit.Notebook('_template', PAPER, 'demo', smoke=SMOKE, out=paths.BUILD / 'template')

# %% [markdown]
# ## 1 Load saved runs
#
# A real notebook reads its experiment's saved runs with
# `plan, students, teachers = nb.load('<experiment>', 'student', 'teacher', rerun=RERUN)`
# (a MissingRunsError when none is saved: `minilab reproduce` skips it); here
# a tiny table stands in for the runs (one row per size and seed).

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
nb.save(fig, summary, fig_id='f0_template')

# %% [markdown]
# ## 4 The paper's numbers
#
# Put our numbers next to the published ones (from `reference/`), decide
# the claim with a function of `minilab.claims`, and record it:
# `nb.publish(parameters, run_ids, [(finding_id, claim, measured, holds)])`
# writes the scorecard row and the manifest entry.

# %%
# placeholder values: a real notebook reads them from reference/
published = pd.Series({'tiny': 71.0, 'mini': 76.0, 'small': 81.0},
                      name='published')
compare = summary.set_index('size')[['mean']].join(published)
compare['diff'] = compare['mean'] - compare['published']
holds = claims.increasing(summary.set_index('size')['mean'])
print(f"the score grows with size: {'holds' if holds else 'does not hold'}")
nb.publish(dict(PAPER=PAPER, SEEDS=SEEDS), [], [
    ('T0', 'the score grows with size', claims.ordering(summary.set_index('size')['mean']), holds)])
compare

# %% [markdown]
# ## References
#
# - Turc, Chang, Lee, Toutanova (2019). *Well-Read Students Learn Better: On
#   the Importance of Pre-training Compact Models.* arXiv:1908.08962.
