# %% [markdown]
# # Distilling BERT into simple networks (Mukherjee & Hassan Awadallah 2020), low-resource settings (MH-T3)
#
# k labeled examples per class; the teacher is fine-tuned on the same k labels,
# and the rest of the task's pool is the unlabeled transfer set. The BiLSTM is
# trained on the k labels alone, or distilled stage-wise (representation,
# logits, labels) from that teacher over the transfer set.
#
# The paper's claim (abstract): the students "compress the huge teacher by up
# to 26x while still **matching or even marginally exceeding the teacher**
# performance in low-resource settings with small amount of labeled data".
# The label budgets and numbers of the paper's table were not found.

# %% [markdown]
# ## 0 Setup

# %%
import matplotlib.pyplot as plt
import pandas as pd

from minilab import analysis, claims, notebook_kit, paths

# %% tags=["parameters"]
PRESET: str = "mini"  # experiment preset: tiny, mini or paper
TASK: str = "world/sentiment"  # labeled task (world/<task>, a hub name or a local path)
LABELS_PER_CLASS: list = [50, 100, 250, 500]  # label budgets k
SEEDS: list = [0, 1, 2]  # student seeds to aggregate
MATCH: float = 1.0  # "matches": at most this many points below the teacher
RERUN: bool = False  # True: train the runs that are missing first (resumable)
SMOKE: bool = False  # True: read the tiny fixture runs in tests/fixtures, write under build/

# %%
# derived settings (papermill only replaces the parameters cell)
if SMOKE:
    PRESET, LABELS_PER_CLASS, SEEDS = 'tiny', [5, 20], [0]
nb = notebook_kit.Notebook('mh_t3_low_resource', 'mukherjee2020', PRESET, smoke=SMOKE)
DISTILLED = 'stagewise'
overrides = dict(task=TASK, labels_per_class=LABELS_PER_CLASS, seeds=SEEDS)

# %% [markdown]
# ## 1 Load saved runs

# %%
plan, students, teachers = nb.load('mh_lowres', 'bilstm', 'teacher', rerun=RERUN, **overrides)
students['k'] = students['run_id'].map(plan.labels)  # labels per class of each run
teachers['k'] = teachers['run_id'].map(plan.labels)
students[['k', 'procedure', 'seed', 'train_size', 'dev_accuracy', 'test_accuracy']].head()

# %% [markdown]
# ## 2 Compute

# %%
stats = students.groupby(['k', 'procedure'])['test_accuracy'].agg(['mean', 'std'])
mean = stats['mean'].unstack()
spread = stats['std'].unstack().fillna(0.0)
table = mean.copy()
table['teacher'] = teachers.set_index('k')['test_accuracy']
table['distilled - teacher'] = table[DISTILLED] - table['teacher']
table['distilled - labeled'] = table[DISTILLED] - table['labeled']
table.round(2)

# %%
# the claim, budget by budget: the distilled student is at most MATCH points
# below the teacher (test accuracy by seed against the one teacher of that
# budget, 95% interval; a cell at the ceiling or at chance never decides)
lines, matches = [], []
for k, row in table.iterrows():
    match = claims.compare(analysis.per_seed(students, procedure=DISTILLED, k=k), row['teacher'],
                           'distilled - teacher', bound=-MATCH, num_classes=analysis.num_classes(TASK))
    matches.append(match)
    lines.append(f"k={k}: distilled {row[DISTILLED]:.1f}±{spread.loc[k, DISTILLED]:.1f}, "
                 f"teacher {row['teacher']:.1f}, labeled-only {row['labeled']:.1f}"
                 f"±{spread.loc[k, 'labeled']:.1f}; {match}")
holds = claims.all_of(matches)
print('\n'.join(lines))

# %%
cost = students.groupby('procedure')['time_wall_seconds'].agg(['count', 'sum'])
print(f"student runs {cost['sum'].sum():.0f} s, teachers {teachers['time_train_seconds'].sum():.0f} s")
cost.round(1)

# %% [markdown]
# ## 3 Plot and save

# %%
fig, ax = plt.subplots()
ax.plot(table.index, table['teacher'], 'k--', marker='s', label='teacher (same k labels)')
for proc, label in [(DISTILLED, 'BiLSTM distilled (stage-wise)'), ('labeled', 'BiLSTM labeled only')]:
    ax.errorbar(mean.index, mean[proc], yerr=spread[proc], marker='o', capsize=3, label=label)
ax.set_xscale('log')
ax.minorticks_off()  # only the measured sizes are labeled
ax.set_xticks(list(table.index), [str(k) for k in table.index])
ax.set_xlabel('labeled examples per class (k)')
ax.set_ylabel('test accuracy (%)')
ax.set_title(f'{TASK}: low-resource ({PRESET}, {len(SEEDS)} seeds)')
ax.legend()
out = table.copy()
for proc in mean.columns:
    out[f'{proc}_std'] = spread[proc]
nb.save(fig, out.reset_index())

# %% [markdown]
# ## 4 The paper's claim, and the scorecard

# %%
reference = pd.read_csv(paths.REFERENCE / 'mukherjee2020.csv')
reference[reference['id'] == 'MH-T3']

# %%
nb.publish(dict(PRESET=PRESET, TASK=TASK, LABELS_PER_CLASS=LABELS_PER_CLASS, SEEDS=SEEDS),
           list(students['run_id']) + list(teachers['run_id']), [
    ('MH-T3', f'low-resource: the distilled BiLSTM matches (>= -{MATCH:g} point) or exceeds '
              'the teacher fine-tuned on the same labels, every budget', '; '.join(lines), holds)])

# %% [markdown]
# ## References
#
# - Mukherjee, Hassan Awadallah (2020). *Distilling BERT into Simple Neural
#   Networks with Unlabeled Transfer Data.* arXiv:1910.01769.
