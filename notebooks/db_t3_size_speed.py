# %% [markdown]
# # DistilBERT (Sanh et al. 2019), Table 3: parameters and batch-1 CPU inference time (DB-T3)
#
# The paper times a full pass over the STS-B dev set on a CPU (Xeon E5-2690 v3)
# with batch size 1: BERT-base 110M parameters, 668 s; DistilBERT 66M, 410 s,
# **40% fewer parameters and 60% faster** (1.63x). Halving the depth at the
# same width does not halve the parameters, because the embeddings stay.
#
# Here the same measurement runs as a stage of its own (`latency`, in
# `minilab run db_speed`): the kit's teacher and its half-depth student, loaded
# as classifiers, over the dev split of a sentence-pair task at batch size 1,
# alternating between the two models for several passes (median pass). The
# timing is a saved run like any other, made once; this notebook only reads it.
# The exact parameter counts at the paper's sizes are computed alongside.

# %% [markdown]
# ## 0 Setup

# %%
import matplotlib.pyplot as plt
import pandas as pd

from minilab import claims, models, notebook_kit, paths, plots

# %% tags=["parameters"]
PRESET: str = "mini"  # experiment preset: tiny, mini or paper
SPEEDUP: float = 1.5  # the kit's bar for "much faster" (paper: 1.63x)
RERUN: bool = False  # True: run the missing stages first (resumable)
SMOKE: bool = False  # True: read the tiny fixture runs in tests/fixtures, write under build/

# %%
# derived settings (papermill only replaces the parameters cell)
if SMOKE:
    PRESET = 'tiny'
nb = notebook_kit.Notebook('db_t3_size_speed', 'sanh2019', PRESET, smoke=SMOKE)

# %% [markdown]
# ## 1 Load the saved timing

# %%
plan, latency = nb.load('db_speed', 'latency', rerun=RERUN)
run = latency.iloc[0]  # the one timing
print(f"{run['task']} dev, {int(run['examples'])} examples ({int(run['tokens'])} tokens), batch 1, "
      f"{int(run['threads'])} CPU thread(s), median of {int(run['repeats'])} passes")

# %% [markdown]
# ## 2 Compute: the kit's models, and the paper's sizes counted exactly

# %%
kit = pd.DataFrame({
    'layers': [run['teacher_layers'], run['student_layers']],
    'params': [run['teacher_params'], run['student_params']],
    'seconds': [run['teacher_seconds'], run['student_seconds']],
}, index=['teacher', 'student'])
kit['ms per example'] = 1000 * kit['seconds'] / run['examples']
params_ratio = kit.loc['student', 'params'] / kit.loc['teacher', 'params']
speedup = kit.loc['teacher', 'seconds'] / kit.loc['student', 'seconds']
kit.round(4)

# %%
# BERT-base (BertModel: embeddings with token types, 12 layers, pooler) and
# DistilBERT (no token types, no pooler, 6 layers), vocabulary 30522, 512 positions
exact = {'BERT-base': models.bert_parameter_count(12, 768, with_mlm_head=False),
         'DistilBERT': models.bert_parameter_count(6, 768, type_vocab=0, with_pooler=False,
                                                   with_mlm_head=False)}
embeddings = (30522 + 512) * 768 + 2 * 768
print(', '.join(f'{k} {v:,}' for k, v in exact.items()),
      f"-> ratio {exact['DistilBERT'] / exact['BERT-base']:.3f}; the word and position embeddings "
      f"({embeddings / 1e6:.1f}M) are {100 * embeddings / exact['DistilBERT']:.0f}% of DistilBERT")

# %% [markdown]
# ## 3 Plot and save

# %%
reference = pd.read_csv(paths.REFERENCE / 'sanh2019.csv')
paper = reference[reference['id'] == 'DB-T3'].pivot(index='system', columns='metric', values='value')
fig, axes = plt.subplots(1, 2, figsize=(7, 3))
for ax, (label, values) in zip(axes, [
        ('parameters (relative to the teacher)',
         ([1, paper.loc['DistilBERT', 'params (M)'] / paper.loc['BERT-base', 'params (M)']], [1, params_ratio])),
        ('batch-1 CPU time (relative to the teacher)',
         ([1, paper.loc['DistilBERT', 'inference time (s)'] / paper.loc['BERT-base', 'inference time (s)']],
          [1, 1 / speedup]))]):
    ax.bar([0, 1], values[0], width=0.35, color=plots.COLORS[0], label='paper (BERT-base vs DistilBERT)')
    ax.bar([0.4, 1.4], values[1], width=0.35, color=plots.COLORS[1], label=f'kit ({PRESET})')
    ax.set_xticks([0.2, 1.2], ['teacher', 'student'])
    ax.set_title(label)
axes[0].legend(loc='lower left', fontsize=7)
nb.save(fig, kit.reset_index(names='model'))

# %% [markdown]
# ## 4 The paper's numbers, and the scorecard

# %%
side_by_side = pd.DataFrame({
    'paper': [paper.loc['BERT-base', 'params (M)'], paper.loc['DistilBERT', 'params (M)'],
              paper.loc['DistilBERT', 'params ratio'], paper.loc['BERT-base', 'inference time (s)'],
              paper.loc['DistilBERT', 'inference time (s)'], paper.loc['DistilBERT', 'speed-up (x)']],
    'kit': [kit.loc['teacher', 'params'] / 1e6, kit.loc['student', 'params'] / 1e6, params_ratio,
            kit.loc['teacher', 'seconds'], kit.loc['student', 'seconds'], speedup],
}, index=['teacher params (M)', 'student params (M)', 'params ratio', 'teacher time (s)',
          'student time (s)', 'speed-up (x)']).round(3)
side_by_side

# %%
# one timing (the median of alternating passes) and exact counts, no seeds: each
# verdict is holds or does not hold
holds_speed = claims.at_least(speedup, SPEEDUP)
# the published counts are rounded to the million (BERT's own "110M" is 109.5M
# in the released checkpoint, without the MLM head): within 1% is a match
holds_exact = claims.every([claims.near(exact['BERT-base'], 110e6, rel=0.01),
                            claims.near(exact['DistilBERT'], 66e6, rel=0.01)])
measured = (f'kit: {params_ratio:.2f} of the parameters, {speedup:.2f}x faster at batch 1 '
            f"({kit.loc['teacher', 'seconds']:.2f} s vs {kit.loc['student', 'seconds']:.2f} s over "
            f"{int(run['examples'])} examples, {int(run['threads'])} thread)")
share = 100 * run['student_embedding_params'] / run['student_params']
print(f'Paper: 0.60 of the parameters and 1.63x faster; {measured}. The kit '
      f"{'reaches' if holds_speed else 'misses'} its {SPEEDUP:g}x bar. The parameter ratios differ "
      f'because the embeddings, which are not halved, are {share:.0f}% of the kit\'s student and '
      f"{100 * embeddings / exact['DistilBERT']:.0f}% of DistilBERT.")
nb.publish(dict(PRESET=PRESET), list(latency['run_id']), [
    ('DB-T3', f'the half-depth student is >= {SPEEDUP:g}x faster at batch 1 on CPU '
              '(paper: 1.63x, 40% fewer parameters)', measured, holds_speed),
    ('DB-T3-params', "parameter counts at the paper's sizes: BERT-base 110M, DistilBERT 66M",
     ', '.join(f'{k} {v:,}' for k, v in exact.items()), holds_exact)])

# %% [markdown]
# ## References
#
# - Sanh, Debut, Chaumond, Wolf (2019). *DistilBERT, a distilled version of
#   BERT: smaller, faster, cheaper and lighter.* arXiv:1910.01108.
