# %% [markdown]
# # Distilling BERT into simple networks (Mukherjee & Hassan Awadallah 2020), compression and speed (MH-T4)
#
# Parameters and measured CPU latency of the teacher and the BiLSTM student,
# at the kit's size (the trained teacher, a student of the trained shape) and
# at the paper's size (BERT-Large 24/1024 vs the 300/600/1024 BiLSTM, random
# weights: latency does not depend on them), batch 1 and batched.
#
# The paper's claim (abstract): the students "compress the huge teacher by
# **up to 26x**". Its English-classification speed-up was not found (the 51x
# batch-latency figure belongs to the multilingual NER extension).

# %% [markdown]
# ## 0 Setup

# %%
import matplotlib.pyplot as plt
import pandas as pd

from minilab import claims, notebook_kit, paths

# %% tags=["parameters"]
PRESET: str = "mini"  # experiment preset: tiny, mini or paper
TASK: str = "world/sentiment"  # the task of the teacher whose latency is measured
PAPER_RATIO: float = 26.0  # the abstract's compression
TOLERANCE: float = 1.0  # the computed paper-size ratio must be within this of PAPER_RATIO
RERUN: bool = False  # True: measure if the run is missing (resumable)
SMOKE: bool = False  # True: read the tiny fixture runs in tests/fixtures, write under build/

# %%
# derived settings (papermill only replaces the parameters cell)
if SMOKE:
    PRESET = 'tiny'
nb = notebook_kit.Notebook('mh_t4_compression', 'mukherjee2020', PRESET, smoke=SMOKE)

# %% [markdown]
# ## 1 Load the saved run

# %%
plan, rid, record = nb.load_record('mh_speed', label='speed', rerun=RERUN, task=TASK)
m, config = record['metrics'], record['config']
print(f"measured with {m['threads']} CPU thread(s) on {record['environment']['cpu']}")

# %% [markdown]
# ## 2 Compute: ratios

# %%
rows = [('kit (measured)', m['teacher_params'], m['student_params'],
         m['teacher_ms_batch1'], m['student_ms_batch1'],
         m['teacher_ms_batched'], m['student_ms_batched'])]
if 'paper_teacher_ms_batch1' in m:
    rows.append(('paper shapes (measured)', m['paper_teacher_params'], m['paper_student_params_full_vocab'],
                 m['paper_teacher_ms_batch1'], m['paper_student_ms_batch1'],
                 m['paper_teacher_ms_batched'], m['paper_student_ms_batched']))
rows.append(('paper shapes, 25k student vocab (computed)', m['paper_teacher_params'],
             m['paper_student_params'], None, None, None, None))
table = pd.DataFrame(rows, columns=['setting', 'teacher params', 'student params',
                                    'teacher ms (batch 1)', 'student ms (batch 1)',
                                    'teacher ms/input (batched)', 'student ms/input (batched)'])
table['compression (x)'] = table['teacher params'] / table['student params']
table['speed-up batch 1 (x)'] = table['teacher ms (batch 1)'] / table['student ms (batch 1)']
table['speed-up batched (x)'] = (table['teacher ms/input (batched)']
                                 / table['student ms/input (batched)'])
table.set_index('setting').round(2)

# %%
paper_ratio = m['paper_teacher_params'] / m['paper_student_params']
# exact counts and one timing run, no seeds: each verdict is holds or does not hold
ratio_holds = claims.near(paper_ratio, PAPER_RATIO, tol=TOLERANCE)
kit = table.iloc[0]
speed_holds = claims.every([claims.above(kit['speed-up batch 1 (x)'], 1),
                            claims.above(kit['speed-up batched (x)'], 1)])
measured = (f"paper sizes: {m['paper_teacher_params'] / 1e6:.1f}M / {m['paper_student_params'] / 1e6:.2f}M "
            f"= {paper_ratio:.1f}x (full 30522 vocab: "
            f"{m['paper_teacher_params'] / m['paper_student_params_full_vocab']:.1f}x); "
            f"kit: {kit['teacher params'] / 1e6:.2f}M / {kit['student params'] / 1e6:.3f}M "
            f"= {kit['compression (x)']:.1f}x")
speed = (f"kit: batch 1 {kit['teacher ms (batch 1)']:.2f} vs {kit['student ms (batch 1)']:.2f} ms "
         f"({kit['speed-up batch 1 (x)']:.1f}x), batched {kit['speed-up batched (x)']:.1f}x")
if len(table) > 2:
    big = table.iloc[1]
    speed += (f"; paper shapes: batch 1 {big['speed-up batch 1 (x)']:.1f}x, "
              f"batched {big['speed-up batched (x)']:.1f}x")
speed += f" ({m['threads']} CPU threads)"
print(measured)
print(speed)

# %% [markdown]
# ## 3 Plot and save

# %%
fig, ax = plt.subplots()
measured_rows = table.dropna(subset=['speed-up batch 1 (x)'])
x = range(len(measured_rows))
ax.bar([i - 0.2 for i in x], measured_rows['speed-up batch 1 (x)'], 0.4, label='batch 1')
ax.bar([i + 0.2 for i in x], measured_rows['speed-up batched (x)'], 0.4,
       label=f"batched ({config['batch_size']} / {config['paper_batch_size']})")
ax.set_xticks(list(x), [s.replace(' (measured)', '') for s in measured_rows['setting']])
ax.set_ylabel('CPU speed-up over the teacher (x)')
ax.set_title(f'BiLSTM vs BERT teacher: latency ({PRESET})')
ax.legend()
nb.save(fig, table)

# %% [markdown]
# ## 4 The paper's claim, and the scorecard

# %%
reference = pd.read_csv(paths.REFERENCE / 'mukherjee2020.csv')
reference[reference['id'] == 'MH-T4']

# %%
nb.publish(dict(PRESET=PRESET, TASK=TASK), [rid], [
    ('MH-T4', f'BiLSTM compresses BERT-Large ~{PAPER_RATIO:g}x (paper sizes)', measured, ratio_holds),
    ('MH-T4-speed', 'the BiLSTM is faster than its teacher on CPU, batch 1 and batched '
                    '(paper value not found)', speed, speed_holds)])

# %% [markdown]
# ## References
#
# - Mukherjee, Hassan Awadallah (2020). *Distilling BERT into Simple Neural
#   Networks with Unlabeled Transfer Data.* arXiv:1910.01769.
# - papers.md 3.3: the parameter arithmetic (a ~25k WordPiece vocabulary is assumed).
