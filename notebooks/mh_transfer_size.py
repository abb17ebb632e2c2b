# %% [markdown]
# # Distilling BERT into simple networks (Mukherjee & Hassan Awadallah 2020), transfer-set size (MH-A1)
#
# The same labeled set and teacher; the stage-wise BiLSTM student is distilled
# over unlabeled transfer sets of growing size (0 = the labeled-only student).
# The paper's premise is that **large amounts of unlabeled in-domain transfer
# data** close the gap to the teacher; papers.md (3.5, item 3) reads it as
# "gains grow with the size of the transfer set". No curve or number of the
# paper was found.

# %% [markdown]
# ## 0 Setup

# %%
import matplotlib.pyplot as plt
import pandas as pd

from minilab import analysis, claims, notebook_kit, paths, plots

# %% tags=["parameters"]
PRESET: str = "mini"  # experiment preset: tiny, mini or paper
TASK: str = "world/sentiment"  # labeled task (world/<task>, a hub name or a local path)
TRANSFER_SIZES: list = [250, 1000, 2000, 4000]  # unlabeled transfer-set sizes
SEEDS: list = [0, 1, 2]  # student seeds to aggregate
RERUN: bool = False  # True: train the runs that are missing first (resumable)
SMOKE: bool = False  # True: read the tiny fixture runs in tests/fixtures, write under build/

# %%
# derived settings (papermill only replaces the parameters cell)
if SMOKE:
    PRESET, TRANSFER_SIZES, SEEDS = 'tiny', [100, 300], [0]
nb = notebook_kit.Notebook('mh_transfer_size', 'mukherjee2020', PRESET, smoke=SMOKE)
overrides = dict(task=TASK, transfer_sizes=TRANSFER_SIZES, seeds=SEEDS)

# %% [markdown]
# ## 1 Load saved runs

# %%
plan, students, teachers = nb.load('mh_transfer', 'bilstm', 'teacher', rerun=RERUN, **overrides)
students['transfer'] = students['run_id'].map(plan.labels)  # 0 for the labeled-only student
teacher_acc = teachers['test_accuracy'].iloc[0]
students[['procedure', 'transfer', 'seed', 'dev_accuracy', 'test_accuracy']].head()

# %% [markdown]
# ## 2 Compute

# %%
stats = students.groupby(['procedure', 'transfer'])['test_accuracy'].agg(['mean', 'std', 'count'])
stats['std'] = stats['std'].fillna(0.0)
labeled = stats.loc['labeled', 'mean'].iloc[0]
distilled = [p for p in stats.index.get_level_values(0).unique() if p != 'labeled']
curves = {p: stats.loc[p] for p in distilled}
table = pd.DataFrame({p: c['mean'] for p, c in curves.items()})
table['gain over labeled-only'] = table[distilled[0]] - labeled
table['teacher'] = teacher_acc
table.round(2)

# %%
# the claim: accuracy grows with the transfer set: the largest set beats the
# smallest (test accuracy paired by seed, 95% interval; a cell at the ceiling
# or at chance never decides) and the means rise in rank (Spearman >= 0.5)
lines, grown = [], []
for proc, c in curves.items():
    by_size = analysis.scores_by(students, 'transfer', procedure=proc)
    grows = claims.rises(c.index, by_size, min_rho=0.5, num_classes=analysis.num_classes(TASK))
    grown.append(grows)
    points = ', '.join(f'{n}: {m:.1f}±{s:.1f}' for n, m, s in zip(c.index, c['mean'], c['std']))
    lines.append(f'{proc}: {points} (labeled-only {labeled:.1f}, teacher {teacher_acc:.1f}); {grows}')
holds = claims.all_of(grown)
print('\n'.join(lines))

# %% [markdown]
# ## 3 Plot and save

# %%
fig, ax = plt.subplots()
for proc, c in curves.items():
    ax.errorbar(c.index, c['mean'], yerr=c['std'], marker='o', capsize=3, label=f'BiLSTM {proc}')
ax.axhline(labeled, color=plots.COLORS[2], linestyle=':', label='BiLSTM labeled only')
ax.axhline(teacher_acc, color='black', linestyle='--', linewidth=1, label='teacher')
ax.set_xscale('log')
ax.minorticks_off()  # only the measured sizes are labeled
sizes = sorted(set(students['transfer']) - {0})
ax.set_xticks(sizes, [str(s) for s in sizes])
ax.set_xlabel('unlabeled transfer examples')
ax.set_ylabel('test accuracy (%)')
ax.set_title(f'{TASK}: transfer-set size ({PRESET}, {len(SEEDS)} seeds)')
ax.legend()
nb.save(fig, stats.reset_index())

# %% [markdown]
# ## 4 The paper's claim, and the scorecard

# %%
reference = pd.read_csv(paths.REFERENCE / 'mukherjee2020.csv')
reference[(reference['id'] == 'MH-A1') & (reference['system'] == 'transfer-set size')]

# %%
nb.publish(dict(PRESET=PRESET, TASK=TASK, TRANSFER_SIZES=TRANSFER_SIZES, SEEDS=SEEDS),
           list(students['run_id']) + list(teachers['run_id']), [
    ('MH-A1-transfer', 'gains grow with the size of the unlabeled transfer set', '; '.join(lines), holds)])

# %% [markdown]
# ## References
#
# - Mukherjee, Hassan Awadallah (2020). *Distilling BERT into Simple Neural
#   Networks with Unlabeled Transfer Data.* arXiv:1910.01769.
