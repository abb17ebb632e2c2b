# %% [markdown]
# # DistilBERT (Sanh et al. 2019), Table 4: ablation of the triple loss and of the initialisation (DB-T4)
#
# The paper trains the general student four more times, each time without one
# ingredient, and reports the change of the GLUE macro-score against the full
# recipe (triple loss + initialisation from teacher layers):
#
# | ablation | paper |
# |---|---|
# | without L_ce (the soft-target KL) | -2.96 |
# | without L_cos (hidden-state alignment) | -1.46 |
# | without L_mlm | -0.31 |
# | random initialisation instead of teacher layers | -3.69 |
#
# i.e. **random init hurts most, then L_ce, then L_cos; L_mlm barely matters**,
# and every ingredient helps. Here the same five general students are
# distilled on the world's LM corpus and fine-tuned on every world task
# (`minilab run db_main`); deltas are of the macro-score of per-task medians.

# %% [markdown]
# ## 0 Setup

# %%
import matplotlib.pyplot as plt
import pandas as pd

from minilab import analysis, claims, notebook_kit, paths, plots

# %% tags=["parameters"]
PRESET: str = "mini"  # experiment preset: tiny, mini or paper
TASKS: list = ["world/sentiment", "world/nli", "world/topic"]  # fine-tuning tasks
SEEDS: list = [0, 1, 2]  # fine-tuning seeds (medians per task)
RERUN: bool = False  # True: train the runs that are missing first (resumable)
SMOKE: bool = False  # True: read the tiny fixture runs in tests/fixtures, write under build/

# %%
# derived settings (papermill only replaces the parameters cell)
if SMOKE:
    PRESET, SEEDS = 'tiny', [0]
nb = notebook_kit.Notebook('db_t4_ablation', 'sanh2019', PRESET, smoke=SMOKE)
ABLATIONS = ['no_ce', 'no_cos', 'no_mlm', 'random_init']  # paper's rows, in its order
PAPER_ROW = {'no_ce': 'no L_ce', 'no_cos': 'no L_cos', 'no_mlm': 'no L_mlm', 'random_init': 'random init'}
overrides = dict(tasks=TASKS, seeds=SEEDS)

# %% [markdown]
# ## 1 Load saved runs

# %%
plan, tuned, general = nb.load('db_main', 'finetune', 'general_distill', rerun=RERUN, **overrides)
students = tuned[tuned['role'] == 'student']
if not set(students['variant']) >= {'full', *ABLATIONS}:
    raise nb.missing('db_main', 'ablation runs')

# %% [markdown]
# ## 2 What the general students learned (before fine-tuning)
#
# Each general student's last training losses, and its MLM loss on held-out
# sentences next to the teacher's: without the teacher's weights (random init)
# the student is furthest from the teacher.

# %%
general.set_index('variant')[['alpha_ce', 'alpha_mlm', 'alpha_cos', 'init', 'train_kl', 'train_cos',
                              'train_mlm', 'heldout_mlm_student', 'heldout_mlm_teacher',
                              'time_train_seconds']].round(3)

# %% [markdown]
# ## 3 Compute: macro-score of each variant and its change against the full recipe

# %%
median = students.groupby(['variant', 'task'])['score'].median().unstack()[TASKS]
macro = median.mean(axis=1)
delta = (macro - macro['full']).reindex(ABLATIONS)
table = median.reindex(['full'] + ABLATIONS)
table['score'] = macro
table['delta'] = macro - macro['full']
table.round(2)

# %%
# the claims on the macro-score seed by seed (every variant is fine-tuned with
# the same seeds), each difference with its 95% interval (minilab.claims):
# damage ordering random init > no L_ce > no L_cos > no L_mlm is the macro-score
# rising in that order; 'every ingredient helps' is full - ablation > 0
damage = -delta  # the larger, the more the ablation hurts
by_seed = {v: analysis.macro_per_seed(students, TASKS, variant=v) for v in ['full'] + ABLATIONS}
steps = claims.chain(by_seed, 'random_init < no_ce < no_cos < no_mlm')
helps = [claims.compare(by_seed['full'], by_seed[v], f'full - {v}') for v in ABLATIONS]
holds_order, holds_negative = claims.all_of(steps), claims.all_of(helps)
lines = [', '.join(f'{PAPER_ROW[v]} {delta[v]:+.2f}' for v in ABLATIONS),
         'most damaging first: ' + claims.ordering(damage.rename(PAPER_ROW))]
print('\n'.join(lines + [str(c) for c in steps + helps]))

# %% [markdown]
# ## 4 Plot and save

# %%
reference = pd.read_csv(paths.REFERENCE / 'sanh2019.csv')
paper = reference[reference['id'] == 'DB-T4'].set_index('system')['value']
fig, ax = plt.subplots(figsize=(5.5, 3.0))
x = range(len(ABLATIONS))
ax.bar([i - 0.2 for i in x], [paper[PAPER_ROW[v]] for v in ABLATIONS], width=0.4,
       color=plots.COLORS[0], label='paper (GLUE)')
ax.bar([i + 0.2 for i in x], delta.values, width=0.4, color=plots.COLORS[1], label=f'kit ({PRESET})')
ax.axhline(0, color='black', linewidth=0.8)
ax.set_xticks(list(x), [PAPER_ROW[v] for v in ABLATIONS])
ax.set_ylabel('change of macro-score (points)')
ax.set_title(f'DB-T4: ablations vs the full recipe ({len(SEEDS)} seeds)')
ax.legend()
nb.save(fig, table.reset_index())

# %% [markdown]
# ## 5 The paper's numbers, and the scorecard

# %%
side_by_side = pd.DataFrame({'paper': [paper[PAPER_ROW[v]] for v in ABLATIONS],
                             'kit': delta.round(2).values},
                            index=[PAPER_ROW[v] for v in ABLATIONS])
side_by_side

# %%
print(f"Paper: random init > no L_ce > no L_cos > no L_mlm, all negative. Kit: "
      f"{lines[1]}; the ordering (paired by seed): {holds_order}; every ablation lowers the "
      f"macro-score: {holds_negative}.")
nb.publish(dict(PRESET=PRESET, TASKS=TASKS, SEEDS=SEEDS),
           list(students['run_id']) + list(general['run_id']), [
    ('DB-T4', 'damage ordering: random init > no L_ce > no L_cos > no L_mlm',
     '; '.join(lines) + '; by seed: ' + '; '.join(map(str, steps)), holds_order),
    ('DB-T4-negative', 'every ingredient helps: each ablation lowers the macro-score '
                       '(paper: -0.31 to -3.69)', lines[0] + '; by seed: ' + '; '.join(map(str, helps)),
     holds_negative)])

# %% [markdown]
# ## References
#
# - Sanh, Debut, Chaumond, Wolf (2019). *DistilBERT, a distilled version of
#   BERT: smaller, faster, cheaper and lighter.* arXiv:1910.01108.
