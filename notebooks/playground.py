# %% [markdown]
# # Playground: distil a student and watch it learn
#
# Pick a procedure, the sizes, the temperature and the loss weights, press
# **Run**, and watch the training loss and the dev accuracy move while the
# student trains; **Stop** ends a run early (the best dev state so far is
# kept and tested). Each finished run is put next to the saved runs of the
# matching figure: Turc et al.'s WR-F4 runs (`results/runs/turc2019`, 3
# seeds) for basic / D / PF / PD at the same student size, Mukherjee & Hassan
# Awadallah's Table 2 runs for the BiLSTM.
#
# | procedure | student | trained on |
# |---|---|---|
# | basic | random BERT | the 2,000 labeled reviews |
# | PF | MLM pre-trained BERT | the labeled reviews |
# | D | random BERT | the teacher's outputs on unlabeled reviews (the transfer set) |
# | PD | MLM pre-trained BERT | the teacher's outputs on the transfer set |
# | BiLSTM | BiLSTM (Mukherjee & Awadallah) | the teacher's outputs on the transfer set |
#
# The loss of a distilled run is the kit's own named terms
# (`minilab.objectives.compose`): `α soft · <soft term> + α hard · ce + α cos ·
# cos`, DistilBERT's three alphas brought to the task level. Its MLM term becomes
# `ce`, cross-entropy on the labeled reviews (they join the transfer set); `cos`
# is DistilBERT's own L_cos, 1 − cosine between the student's last-layer hidden
# states and the teacher's (run live), so it needs a student as wide as the
# teacher. For the BiLSTM, α cos weighs `rep_cos`: its dense representation
# against the teacher's [CLS] vector (Mukherjee & Hassan Awadallah's first stage).
# Hinton's α slider sets the first two as α and 1 − α.
#
# The teacher and the pre-trained students are stages of Turc et al.'s WR-F4
# plan (`wr_main`, its `quick` preset: a small teacher, a short MLM
# pre-training), built on first use and cached like every stage of the kit
# (checkpoints in `cache/checkpoints/`, their records in
# `cache/playground-runs/`): the first distilled run takes a few minutes longer.
# `teacher from: wr_f4` takes the saved WR-F4 runs' own teacher stage instead.
#
# Run headless (papermill, `python -m minilab.notebooks run playground`), the
# widgets are inert and the notebook trains the settings below once instead.

# %% [markdown]
# ## 0 Setup

# %%
from IPython.display import Image, display

from minilab import playground

# %% tags=["parameters"]
PROCEDURE: str = "D"  # basic, D, PF, PD or BiLSTM
STUDENT_SIZE: str = "tiny"  # tiny (L1_H32), mini (L2_H64), small (L2_H128), ... or L<l>_H<h>
TEACHER_SIZE: str = "small"  # the quick teacher's size (source wr_f4: always L6_H192)
SOURCE: str = "quick"  # quick: wr_main's quick preset (built once, cached); wr_f4: the saved runs' teacher stage
TEMPERATURE: float = 1.0  # softens teacher and student outputs (soft_ce, kl)
DISTILL_LOSS: str = "soft_ce"  # the soft term: soft_ce (Turc), kl (Hinton, DistilBERT), logit_mse, hard (Mukherjee)
ALPHA_SOFT: float = 1.0  # weight of the soft term (DistilBERT alpha_ce)
ALPHA_HARD: float = 0.0  # weight of 'ce' on gold labels (DistilBERT alpha_mlm's place)
ALPHA_COS: float = 0.0  # weight of 'cos' vs the teacher's last layer (BiLSTM: 'rep_cos' vs its [CLS]; DistilBERT alpha_cos)
TRANSFER_SIZE: int = 8000  # unlabeled transfer reviews
TRANSFER_DOMAIN: str = "movies"  # movies, books, restaurants, hotels or electronics
EPOCHS: int = 10  # epochs over the labels (basic, PF)
DISTILL_EPOCHS: int = 6  # epochs over the transfer set (D, PD, BiLSTM)
FINETUNE_EPOCHS: int = 0  # fine-tuning on the labels after distillation (WR-F4 uses 3)
SEED: int = 0  # student initialisation and batch order
RUN_NOW: str = "auto"  # auto: train these settings here unless this is JupyterLab (use the widgets); yes; no
SMOKE: bool = False  # True: tiny data and models (tests), a few seconds

# %%
# derived settings (papermill only replaces the parameters cell)
settings = playground.Settings(
    procedure=PROCEDURE, student_size=STUDENT_SIZE, teacher_size=TEACHER_SIZE, source=SOURCE,
    temperature=TEMPERATURE, distill_loss=DISTILL_LOSS, alpha_soft=ALPHA_SOFT,
    alpha_hard=ALPHA_HARD, alpha_cos=ALPHA_COS, transfer_size=TRANSFER_SIZE,
    transfer_domain=TRANSFER_DOMAIN, epochs=EPOCHS, distill_epochs=DISTILL_EPOCHS,
    finetune_epochs=FINETUNE_EPOCHS, seed=SEED)
if SMOKE:
    settings = settings.replace(train_size=64, dev_size=32, test_size=32, transfer_size=96,
                                pretrain_sentences=300, teacher_size='tiny', epochs=2,
                                distill_epochs=2, batch_size=16)
settings.validate()
assert RUN_NOW in ('auto', 'yes', 'no'), f'RUN_NOW must be auto, yes or no, got {RUN_NOW!r}'
headless = RUN_NOW == 'yes' or (RUN_NOW == 'auto' and not playground.in_jupyter_frontend())
print(settings.describe())

# %% [markdown]
# ## 1 The playground
#
# The curve on the right is the dev accuracy; the dashed line is the teacher's
# test accuracy and the grey band the saved WR-F4 runs of the same size and
# procedure (mean ± std over 3 seeds). Things to try: D vs basic at size tiny,
# then at mini; T = 1 vs T = 5 with the `kl` loss; a transfer set from
# `electronics` instead of `movies`; Hinton's α at 0.5.

# %%
ui = playground.Playground(settings).show()

# %% [markdown]
# ## 2 Batch run: the settings above, without widgets
#
# Papermill and `minilab.notebooks run` have no widget frontend, so the
# notebook trains the parameters once here and prints the same comparison.

# %%
if headless:
    live = playground.LivePlot(settings.describe())
    result = playground.run(settings, on_row=live.callback(settings.procedure))
    live.teacher_accuracy = result['teacher_test_accuracy']
    fig = playground.curve_figure({settings.procedure: result['history']},
                                  result['teacher_test_accuracy'],
                                  playground.saved_reference(settings), settings.describe())
    display(Image(data=playground.figure_png(fig)))
    comparison = playground.compare(result)
else:
    comparison = None
    print('JupyterLab: use the panel above (RUN_NOW="yes" trains the parameters here too)')
comparison

# %% [markdown]
# ## 3 How temperature softens a teacher
#
# Distillation trains the student on the teacher's *distribution* over the
# classes, `softmax(z / T)`. At T = 1 a confident teacher is close to a one-hot
# label; a higher T flattens it and shows how the teacher ranks the wrong
# classes (Hinton et al.'s "dark knowledge"): here a news sentence the teacher
# thinks is about sports, with science a distant second. Losses at temperature T
# are multiplied by T² so their gradients keep their size.

# %%
display(Image(data=playground.figure_png(playground.temperature_figure(temperatures=[1, 2, 5, 10]))))

# %% [markdown]
# ## References
#
# - Hinton, Vinyals, Dean (2015). *Distilling the Knowledge in a Neural Network.*
# - Turc, Chang, Lee, Toutanova (2019). *Well-Read Students Learn Better.* arXiv:1908.08962.
# - Sanh, Debut, Chaumond, Wolf (2019). *DistilBERT, a distilled version of BERT.* arXiv:1910.01108.
# - Mukherjee, Hassan Awadallah (2019/2020). *Distilling BERT into Simple Neural
#   Networks with Unlabeled Transfer Data.* arXiv:1910.01769.
