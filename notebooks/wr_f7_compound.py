# %% [markdown]
# # Well-Read Students Learn Better (Turc et al. 2019), the compound effect (WR-F7)
#
# Pre-training and distillation both read unlabeled text. Do they only both
# profit from *more text*, or do they learn different things? The paper uses a
# single unlabeled pool (NLI*) for both steps: MLM pre-training on it then
# fine-tuning (PF), distillation on it from a random start (D), and
# pre-training on it then distilling on it (PD). Its finding: **PD > PF > D**
# even with one pool -- "pre-training and distillation learn complementary
# aspects of the data".
#
# Here the pool is the unlabeled transfer set of the main result (8,000 movie
# reviews at mini scale): the students' MLM pre-training reads exactly the
# transfer set's inputs. D starts from random weights, so its runs are WR-F4's.

# %% [markdown]
# ## 0 Setup

# %%
import matplotlib.pyplot as plt

from minilab import analysis, claims, notebook_kit

# %% tags=["parameters"]
PRESET: str = "mini"  # experiment preset: tiny, mini or paper
SIZES: list = ["tiny", "mini", "small"]  # student sizes (names or L<l>_H<h>)
SEEDS: list = [0, 1, 2]  # seeds to aggregate (mean and standard deviation)
RERUN: bool = False  # True: train the runs that are missing first (resumable)
SMOKE: bool = False  # True: read the tiny fixture runs in tests/fixtures, write under build/

# %%
# derived settings (papermill only replaces the parameters cell)
if SMOKE:
    PRESET, SIZES, SEEDS = 'tiny', ['tiny', 'mini'], [0]
nb = notebook_kit.Notebook('wr_f7_compound', 'turc2019', PRESET, smoke=SMOKE)
ORDER = ['D', 'PF', 'PD']
overrides = dict(sizes=SIZES, seeds=SEEDS)

# %% [markdown]
# ## 1 Load saved runs

# %%
plan, students, teachers = nb.load('wr_compound', 'student', 'teacher', rerun=RERUN, **overrides)
teacher_acc = teachers['test_accuracy'].iloc[0]
students[['procedure', 'size', 'seed', 'test_accuracy']].head()

# %% [markdown]
# ## 2 Compute: mean and spread over seeds

# %%
mean, std = analysis.summarise(students, by='size')
sizes = list(students.sort_values('params')['size'].unique())
analysis.require(mean, ORDER, 'wr_compound', PRESET)
mean, std = mean.reindex(sizes)[ORDER], std.reindex(sizes)[ORDER]
# each step of PD > PF > D: test accuracy paired by seed, mean ± std and 95%
# interval; a cell at the ceiling or at chance never decides (minilab.claims)
CLASSES = analysis.num_classes(students['task'].iloc[0])
lines, ordered = [], []
for size in sizes:
    steps = claims.chain(analysis.scores_by(students, 'procedure', size=size), 'PD > PF > D',
                         num_classes=CLASSES)
    ordered.append(claims.all_of(steps))
    lines.append(f'{size}: ' + ', '.join(f'{p} {analysis.cell(mean, std, size, p)}' for p in ORDER)
                 + '; ' + '; '.join(map(str, steps)) + f' -> {ordered[-1]}')
holds = claims.all_of(ordered)
print('paper: PD > PF > D with one unlabeled pool for both pre-training and distillation')
print('\n'.join(lines))
mean.assign(teacher=teacher_acc).round(2)

# %% [markdown]
# ## 3 Plot and save

# %%
fig, ax = plt.subplots(figsize=(6, 4))
x = range(len(sizes))
for proc in ORDER:
    ax.errorbar(x, mean[proc], yerr=std[proc].fillna(0), marker='o', capsize=3, label=proc)
ax.axhline(teacher_acc, color='black', linestyle='--', linewidth=1, label='teacher')
ax.set_xticks(list(x), sizes)
ax.set_xlabel('student size')
ax.set_ylabel('test accuracy (%)')
ax.set_title(f'WR-F7: one pool for MLM and distillation ({PRESET}, {len(SEEDS)} seeds)')
ax.legend(fontsize=8)
out = mean.copy()
for proc in ORDER:
    out[f'{proc}_std'] = std[proc]
nb.save(fig, out.reset_index())

# %% [markdown]
# ## 4 The paper's numbers, and the scorecard
#
# No values of this figure were found in a primary source (papers.md, WR-F7);
# the claim is the ordering.

# %%
nb.publish(dict(PRESET=PRESET, SIZES=SIZES, SEEDS=SEEDS), list(students['run_id']) + list(teachers['run_id']), [
    ('WR-F7', 'with one unlabeled pool for MLM and distillation, PD > PF > D', '; '.join(lines), holds)])

# %% [markdown]
# ## References
#
# - Turc, Chang, Lee, Toutanova (2019). *Well-Read Students Learn Better: On
#   the Importance of Pre-training Compact Models.* arXiv:1908.08962, section 6.
