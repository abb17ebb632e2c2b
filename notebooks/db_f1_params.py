# %% [markdown]
# # DistilBERT (Sanh et al. 2019), Figure 1: parameter counts (DB-F1)
#
# The paper opens with a bar chart of the parameter counts of recently released
# pretrained language models, DistilBERT (66M) the smallest among much larger
# ones. Only DistilBERT's bar, and the BERT-base (110M) and ELMo (180M) counts
# of Table 3, can be verified (`reference/sanh2019.csv`); the other bars are
# NOT FOUND and are not drawn.
#
# Next to them: the kit's teacher, its half-depth DistilBERT student and the
# non-pretrained baseline, counted from their saved runs (`minilab run
# db_main`), and the exact counts of BERT-base and DistilBERT at the paper's
# sizes from the kit's architecture definitions.

# %% [markdown]
# ## 0 Setup

# %%
import matplotlib.pyplot as plt
import pandas as pd

from minilab import claims, models, notebook_kit, paths, plots

# %% tags=["parameters"]
PRESET: str = "mini"  # experiment preset: tiny, mini or paper
TASK: str = "world/nli"  # whose classifiers to count (heads differ by a few parameters per task)
RERUN: bool = False  # True: train the runs that are missing first (resumable)
SMOKE: bool = False  # True: read the tiny fixture runs in tests/fixtures, write under build/

# %%
# derived settings (papermill only replaces the parameters cell)
if SMOKE:
    PRESET = 'tiny'
nb = notebook_kit.Notebook('db_f1_params', 'sanh2019', PRESET, smoke=SMOKE)

# %% [markdown]
# ## 1 Load saved runs

# %%
plan, tuned = nb.load('db_main', 'finetune', rerun=RERUN)
tuned = tuned[(tuned['task'] == TASK) & (tuned['variant'].fillna('full') == 'full')]
if tuned.empty:
    raise nb.missing('db_main', f'{TASK} runs')
kit = tuned.groupby('role')['params'].first().reindex(['teacher', 'student', 'baseline'])
kit

# %% [markdown]
# ## 2 Compute: the paper's models, verified and exact

# %%
reference = pd.read_csv(paths.REFERENCE / 'sanh2019.csv')
published = reference[(reference['id'] == 'DB-T3') & (reference['metric'] == 'params (M)')]
published = published.set_index('system')['value'].reindex(['ELMo', 'BERT-base', 'DistilBERT'])
exact = pd.Series({'BERT-base': models.bert_parameter_count(12, 768, with_mlm_head=False),
                   'DistilBERT': models.bert_parameter_count(6, 768, type_vocab=0, with_pooler=False,
                                                             with_mlm_head=False)})
table = pd.DataFrame({'published (M)': published, 'exact (M)': exact / 1e6}).round(2)
table

# %% [markdown]
# ## 3 Plot and save

# %%
fig, axes = plt.subplots(1, 2, figsize=(7, 3), gridspec_kw={'width_ratios': [3, 3]})
axes[0].bar(published.index, published.values, color=plots.COLORS[0])
for i, v in enumerate(published.values):
    axes[0].text(i, v, f'{v:.0f}M', ha='center', va='bottom', fontsize=8)
axes[0].set_ylabel('parameters (millions)')
axes[0].set_title('the paper (Table 3; other bars NOT FOUND)')
axes[1].bar(kit.index, kit.values / 1e6, color=plots.COLORS[1])
for i, v in enumerate(kit.values):
    axes[1].text(i, v / 1e6, f'{v / 1e6:.2f}M', ha='center', va='bottom', fontsize=8)
axes[1].set_title(f'the kit ({PRESET})')
out = pd.concat([table.reset_index(names='model'),
                 pd.DataFrame({'model': [f'kit {r}' for r in kit.index], 'exact (M)': kit.values / 1e6})])
nb.save(fig, out, float_format='%.4f')

# %% [markdown]
# ## 4 The paper's numbers, and the scorecard

# %%
ratio_paper = exact['DistilBERT'] / exact['BERT-base']
ratio_kit = kit['student'] / kit['teacher']
# published counts are rounded to the million: within 1% is a match (exact counts,
# no seeds: the verdict is holds or does not hold)
holds = claims.every(claims.near(exact[m] / 1e6, published[m], rel=0.01) for m in ('BERT-base', 'DistilBERT'))
measured = (f"exact BERT-base {exact['BERT-base']:,}, DistilBERT {exact['DistilBERT']:,} "
            f'(ratio {ratio_paper:.3f}); kit student/teacher {ratio_kit:.3f}')
print(f'The architecture definitions give the published 110M and 66M to the million: {measured}.')
nb.publish(dict(PRESET=PRESET, TASK=TASK), list(tuned['run_id']), [
    ('DB-F1', 'DistilBERT has 66M parameters, 40% fewer than BERT-base (110M)', measured, holds)])

# %% [markdown]
# ## References
#
# - Sanh, Debut, Chaumond, Wolf (2019). *DistilBERT, a distilled version of
#   BERT: smaller, faster, cheaper and lighter.* arXiv:1910.01108.
