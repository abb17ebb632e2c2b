# %% [markdown]
# # Well-Read Students Learn Better (Turc et al. 2019), the student grid (WR-T1)
#
# The paper's 24 students form a grid: depth L in {2, 4, 6, 8, 10, 12} by width
# H in {128, 256, 512, 768}, with A = H/64 attention heads and a feed-forward
# of 4H. Its table gives each model's parameters and its speed-up over
# BERT-Large. Here: the same 6 x 4 grid at the kit's mini scale (L in 1..6, H in
# {32, 64, 128, 192}), with parameters counted and inference latency measured
# on this machine against the kit's own teacher, batch 1 and batched; then the
# paper's real sizes, whose parameters are computed exactly.
#
# What a reproduction must show (papers.md, WR-T1): parameters grow about
# quadratically in H and linearly in L; latency grows about linearly in L;
# at equal parameters a shallow, wide model is faster than a deep, narrow one.

# %% [markdown]
# ## 0 Setup

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from minilab import claims, experiments, models, notebook_kit, paths, runs

# %% tags=["parameters"]
PRESET: str = "mini"  # experiment preset: tiny, mini or paper
BATCH: int = 64  # the batched column (a batch size of the preset's run)
MATCH: float = 0.3  # two models have 'equal parameters' when within this fraction
RERUN: bool = False  # True: measure the grid first if its run is missing
SMOKE: bool = False  # True: read the tiny fixture run in tests/fixtures, write under build/

# %%
# derived settings (papermill only replaces the parameters cell)
if SMOKE:
    PRESET = 'tiny'
nb = notebook_kit.Notebook('wr_t1_grid', 'turc2019', PRESET, smoke=SMOKE)

# %% [markdown]
# ## 1 Load the saved run
#
# One run times every model of the grid (random weights: latency does not
# depend on them) on fixed-length inputs; `minilab run wr_grid` makes it.

# %%
plan, rid, record = nb.load_record('wr_grid', rerun=RERUN)
config = record['config']
rows = pd.DataFrame(record['metrics']['grid'])
batches = config['batch_sizes']
BATCH = BATCH if BATCH in batches else batches[-1]
# the run times the grid, then the teacher last (at mini scale the teacher's
# size, L6_H192, is also the grid's corner, so it is timed twice)
teacher = rows.iloc[-1]
grid = rows.iloc[:-1].copy()
print(f"{len(grid)} students + teacher {teacher['size']}, sequence length {config['max_length']}, "
      f"{record['timings']['threads']} thread(s), batch sizes {batches}; "
      f"measured on {record['environment'].get('cpu') or record['environment'].get('processor')}")

# %% [markdown]
# ## 2 Compute: parameters, latency, speed-up over the teacher

# %%
grid['params_M'] = grid['params'] / 1e6
grid['speedup_b1'] = teacher['ms_per_example_b1'] / grid['ms_per_example_b1']
grid[f'speedup_b{BATCH}'] = teacher[f'ms_per_example_b{BATCH}'] / grid[f'ms_per_example_b{BATCH}']

cells = grid.assign(text=[f"{r.params_M:.2f}M, {r.ms_per_example_b1:.2f} ms, {r.speedup_b1:.1f}x"
                          for r in grid.itertuples()])
table = cells.pivot(index='L', columns='H', values='text')
table.columns = [f'H={h}' for h in table.columns]
table.index = [f'L={l}' for l in table.index]
print(f"each cell: parameters, batch-1 latency per example, speed-up over the teacher "
      f"{teacher['size']} ({teacher['params'] / 1e6:.2f}M, {teacher['ms_per_example_b1']:.2f} ms)")
table

# %%
# the paper's claims, checked on the measured grid
lines = []
# (a) parameters: quadratic in H, linear in L (the non-embedding part exactly so)
Hs, Ls = sorted(grid['H'].unique()), sorted(grid['L'].unique())
ne = grid.pivot(index='L', columns='H', values='non_embedding_params')
per_layer = (ne.diff().iloc[1:] if len(Ls) > 1 else ne)  # params added by one more layer
linear_in_L = claims.every(claims.equal_steps(ne[H]) for H in Hs)
h_exp = np.polyfit(np.log(Hs), np.log(per_layer.iloc[0].values), 1)[0] if len(Hs) > 1 else float('nan')
lines.append(f'parameters per layer grow as H^{h_exp:.2f} (paper: ~H^2); linear in L: {linear_in_L}')
# (b) latency grows with depth at every width
lat = grid.pivot(index='L', columns='H', values='ms_per_example_b1')
monotone_L = claims.every(claims.increasing(lat[H]) for H in Hs)
lines.append(f'batch-1 latency grows with L at every H: {monotone_L}')
# (c) equal parameters: is the shallower, wider model faster?
pairs = []
for a in grid.itertuples():
    for b in grid.itertuples():
        if a.L < b.L and a.H > b.H and abs(a.params / b.params - 1) <= MATCH:
            pairs.append((a.size, b.size, a.ms_per_example_b1, b.ms_per_example_b1))
faster = [p for p in pairs if claims.below(p[2], p[3])]
lines.append(f'{len(faster)}/{len(pairs)} parameter-matched pairs (within {MATCH:.0%}): '
             'the shallow-wide model is faster at batch 1'
             + ''.join(f'; {a} {ta:.2f} ms vs {b} {tb:.2f} ms' for a, b, ta, tb in pairs[:4]))
# exact counts and one timing run, no seeds: the verdict is holds or does not hold
holds = monotone_L and linear_in_L and claims.every(claims.below(ta, tb) for _, _, ta, tb in pairs)
print('\n'.join(lines))
pd.DataFrame(pairs, columns=['shallow-wide', 'deep-narrow', 'ms (shallow)', 'ms (deep)'])

# %% [markdown]
# ## 3 Plot and save

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for H in Hs:
    rows = grid[grid['H'] == H].sort_values('L')
    axes[0].plot(rows['L'], rows['ms_per_example_b1'], marker='o', label=f'H={H}')
    axes[1].plot(rows['params_M'], rows['ms_per_example_b1'], marker='o', label=f'H={H}')
axes[0].axhline(teacher['ms_per_example_b1'], color='black', linestyle='--', linewidth=1,
                label=f"teacher {teacher['size']}")
axes[1].axhline(teacher['ms_per_example_b1'], color='black', linestyle='--', linewidth=1)
axes[0].set_xlabel('layers L')
axes[1].set_xlabel('parameters (M)')
axes[1].set_xscale('log')
for ax in axes:
    ax.set_ylabel('batch-1 latency per example (ms)')
axes[0].legend(fontsize=8)
fig.suptitle(f'WR-T1 student grid ({PRESET}): latency on this machine, '
             f"sequence length {config['max_length']}")
out = grid[['size', 'L', 'H', 'params', 'non_embedding_params', 'ms_per_example_b1',
            f'ms_per_example_b{BATCH}', 'speedup_b1', f'speedup_b{BATCH}']]
out = pd.concat([out, pd.DataFrame([{**{k: teacher[k] for k in out.columns if k in teacher},
                                     'size': f"teacher {teacher['size']}",
                                     'speedup_b1': 1.0, f'speedup_b{BATCH}': 1.0}])])
nb.save(fig, out)

# %% [markdown]
# ## 4 The paper's sizes, computed exactly
#
# Parameters of the 24 released miniatures and of BERT-Large (vocabulary
# 30522, 512 positions), from the BERT architecture alone; latency needs the
# `paper` preset's run (`minilab run wr_grid --preset paper`, minutes on a CPU).

# %%
paper_rows = [dict(L=L, H=H, params_M=models.bert_parameter_count(L, H) / 1e6)
              for L, H in models.size_grid('paper')]
paper = pd.DataFrame(paper_rows).pivot(index='L', columns='H', values='params_M').round(1)
print('named: ' + ', '.join(f"BERT-{name.title()} L{L}/H{H} {models.bert_parameter_count(L, H) / 1e6:.1f}M"
                            for name, (L, H) in models.PAPER_NAMED.items()))
print(f'BERT-Large (L24/H1024): {models.bert_parameter_count(24, 1024) / 1e6:.1f}M')
paper_rid = experiments.build_plan('wr_grid', 'paper').ids()[0]
if runs.is_done(nb.paper, paper_rid, nb.runs_root):
    measured = pd.DataFrame(runs.load_record(nb.paper, paper_rid, nb.runs_root)['metrics']['grid'])
    print('measured latency at paper sizes (ms per example, batch 1):')
    display(measured.pivot(index='L', columns='H', values='ms_per_example_b1').round(1))
paper

# %% [markdown]
# ## 5 The paper's numbers, and the scorecard
#
# The paper's speed-ups were measured on TPU and are NOT FOUND in a primary
# source we could read (`reference/turc2019.csv`); its parameter counts are the
# ones above, which the kit's tests check against the released models.

# %%
reference = pd.read_csv(paths.REFERENCE / 'turc2019.csv')
published = reference[reference['id'] == 'WR-T1']
print(published if len(published) else 'reference/turc2019.csv has no WR-T1 numbers (speed-ups NOT FOUND)')
nb.publish(dict(PRESET=PRESET, BATCH=BATCH, MATCH=MATCH), [rid], [
    ('WR-T1', 'params ~ L*H^2; latency grows with L; at equal params shallow-wide is faster than deep-narrow',
     '; '.join(lines), holds)])

# %% [markdown]
# ## References
#
# - Turc, Chang, Lee, Toutanova (2019). *Well-Read Students Learn Better: On
#   the Importance of Pre-training Compact Models.* arXiv:1908.08962.
# - google-research/bert README: the 24 BERT miniatures (March 2020).
