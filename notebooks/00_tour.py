# %% [markdown]
# # A guided tour of knowledge distillation
#
# This notebook runs from top to bottom in about two to three minutes on a
# 2-core laptop, without a network. It trains a teacher, then one small student
# on labels alone and the same student distilled from the teacher, and draws
# their dev accuracy as they train. A second run takes seconds, because the
# teacher is cached. The rest of the kit reproduces the figures of three papers
# from saved runs. The playground notebook lets you change every knob
# yourself.
#
# ## What distillation is
#
# A large, accurate model (the **teacher**) is expensive to run. A small model
# (the **student**) is cheap but learns less from the same labels. In
# *knowledge distillation* (Hinton, Vinyals, Dean 2015) the student does not
# learn the gold labels. It learns the teacher's whole output distribution,
# softened by a **temperature** T:
#
# $$ L_{KD} = T^2 \cdot \mathrm{KL}\big(\mathrm{softmax}(z_t / T) \,\|\, \mathrm{softmax}(z_s / T)\big) $$
#
# Two things make this work. A distribution says more than a label does: "70 %
# positive" differs from "99 % positive", and at T > 1 the student also sees
# how the teacher ranks the wrong classes. The teacher can also label text
# that nobody labelled. Any unlabeled, task-like text (a **transfer set**)
# becomes training data for the student.
#
# ## Three papers, three ideas
#
# **Turc et al. 2019, *Well-Read Students Learn Better*.** Compact BERTs (24
# sizes, from 2 layers × 128 wide up to BERT-Base) are usually trained by
# distillation from a random start, or pre-trained and then fine-tuned. The
# paper combines the two. **Pre-trained Distillation (PD)** first pre-trains the
# compact model with masked-language modelling on unlabeled text, then distils
# it on a transfer set labelled by the teacher. PD beats pre-training +
# fine-tuning (PF), which beats distillation alone (D), which beats training
# on labels alone (basic), at every student size. Pre-training matters most
# for the smallest students. The kit's WR-F4 notebook reproduces this ordering.
#
# **Sanh et al. 2019, *DistilBERT*.** Distil once, *before* any task: a
# 6-layer student learns to imitate BERT-Base's masked-word predictions on
# the pre-training corpus. It is initialised with every other teacher layer
# and trained with a triple loss: soft-target KL at T = 2 (α_ce = 5), the
# ordinary masked-LM loss (α_mlm = 2), and a cosine loss that aligns the
# student's hidden vectors with the teacher's (α_cos = 1). The result keeps 97 %
# of BERT's GLUE score with 40 % fewer parameters and runs 60 % faster. The
# paper's ablation shows that every term and the initialisation count.
#
# **Mukherjee & Hassan Awadallah 2019/2020, *Distilling BERT into Simple
# Neural Networks with Unlabeled Transfer Data*.** Here the student is not a
# Transformer at all: it is a BiLSTM, up to 26x smaller than a BERT-Large
# teacher. Given enough **unlabeled** in-domain text labelled by the teacher,
# it performs on par with the teacher, "even with hard distillation" (the
# teacher's argmax as the label). Soft logits and the teacher's internal
# representation improve it further. The training runs in stages: first match
# the teacher's [CLS] representation, then its logits, then the labels, with
# gradual unfreezing. In low-resource settings the student can match or
# marginally exceed the teacher.
#
# ## The offline world
#
# No corpus or model can be downloaded here, so the kit generates a small
# synthetic language. Reviews of movies, books, restaurants, hotels and
# electronics are labelled positive or negative, with negation and "but"
# clauses. **Labeled training data only uses the most frequent few adjectives
# of each kind** ("good", "great", "excellent"). Dev, test and unlabeled text
# use all of them ("superb", "dreadful", ...). A model trained on labels alone
# has never seen "superb". It can only learn that word from unlabeled text:
# through MLM pre-training, or through a teacher that labels a transfer set
# containing it.

# %% [markdown]
# ## 0 Setup

# %%
import numpy as np
import pandas as pd
from IPython.display import Image, display

from minilab import models, playground, world

# %% tags=["parameters"]
TEACHER_SIZE: str = "small"  # the teacher: L2_H128, MLM pre-trained briefly, then fine-tuned
STUDENT_SIZE: str = "tiny"  # the student: L1_H32 (mini-scale names or L<l>_H<h>)
TRANSFER_SIZE: int = 8000  # unlabeled reviews the teacher labels for the distilled student
TRANSFER_DOMAIN: str = "movies"  # movies (same as the labels), books, restaurants, hotels, electronics
TEMPERATURE: float = 1.0  # distillation temperature (Turc et al.: 1)
SEED: int = 0  # student initialisation and batch order
SMOKE: bool = False  # True: tiny data and models (tests), a few seconds

# %%
# derived settings (papermill only replaces the parameters cell)
base = playground.Settings(student_size=STUDENT_SIZE, teacher_size=TEACHER_SIZE,
                           transfer_size=TRANSFER_SIZE, transfer_domain=TRANSFER_DOMAIN,
                           temperature=TEMPERATURE, seed=SEED, epochs=10, distill_epochs=4,
                           evals_per_epoch=2)
if SMOKE:
    base = base.replace(train_size=64, dev_size=32, test_size=32, transfer_size=96,
                        pretrain_sentences=300, teacher_size='tiny', epochs=2,
                        distill_epochs=2, batch_size=16)
labels_only = base.replace(procedure='basic')
distilled = base.replace(procedure='D')
print(labels_only.describe())
print(distilled.describe())

# %% [markdown]
# A few labeled test reviews, and a few unlabeled transfer reviews, which
# the teacher will label:

# %%
for text, _, label in world.samples('sentiment', 4, split='test'):
    print(f'{label:>8}  {text}')
print()
for text in world.transfer_pool('sentiment', 3, TRANSFER_DOMAIN, seed=1000)['text']:
    print(f'{"?":>8}  {text}')

# %% [markdown]
# ## 1 Live: teacher, student on labels, student distilled
#
# The figure below redraws while the models train. **Left**: the training
# loss; **right**: dev accuracy. First the teacher is built. It is a 2-layer
# BERT, MLM pre-trained on 40,000 unlabeled world sentences for four epochs, then
# fine-tuned on the 2,000 labeled reviews: the stages of `wr_main`'s `quick`
# preset, built once and cached like every stage (records in
# `cache/playground-runs/`); its curve is replayed from its record. Then comes the student
# trained on the labels alone (basic), then the same student, from the same
# random start, trained on the teacher's outputs on the transfer set (D). The
# dashed line is the teacher's test accuracy.

# %%
live = playground.LivePlot('teacher, a student on labels alone, the same student distilled')
teacher = playground.teacher_for(distilled, on_row=live.callback('teacher'))
live.teacher_accuracy = teacher.test_accuracy
live.update()
basic_run = playground.run(labels_only, on_row=live.callback('student, labels alone'))
d_run = playground.run(distilled, on_row=live.callback('student, distilled'))

# %% [markdown]
# ## 2 The gap
#
# Test accuracy on the 2,000 test reviews. The last column is the share of the
# teacher–student gap that distillation closed.

# %%
gap = pd.DataFrame([
    {'model': teacher.label, 'parameters': models.count_parameters(teacher.model),
     'test accuracy': teacher.test_accuracy},
    {'model': 'student, labels alone (basic)', 'parameters': basic_run['params'],
     'test accuracy': basic_run['test_accuracy']},
    {'model': 'student, distilled (D)', 'parameters': d_run['params'],
     'test accuracy': d_run['test_accuracy']},
])
gain = d_run['test_accuracy'] - basic_run['test_accuracy']
room = teacher.test_accuracy - basic_run['test_accuracy']
print(f"distillation: {gain:+.1f} points over labels alone"
      + (f", {100 * gain / room:.0f} % of the teacher-student gap closed" if room > 1 else
         ' (the teacher is hardly better than the student here: little to pass on)')
      + f"; the student has {models.count_parameters(teacher.model) / d_run['params']:.0f}x "
      f"fewer parameters than the teacher")
gap.round(1)

# %% [markdown]
# ## 3 What the teacher passes on
#
# The labels never contain "superb" or "dreadful", but the unlabeled text
# does. Below is P(positive) for each model on four probe reviews, and the
# teacher's distribution at higher temperatures. Compare the columns. The
# student on labels alone has never met the rare words, so it sits near 0.5
# on them. The distilled student met them in the transfer set, labelled by the
# teacher, and follows the teacher's judgement, **right or wrong**: a student
# inherits its teacher's mistakes as well as its knowledge. (The teacher knows
# these words only from a short MLM pre-training, so it gets some of them
# wrong; the saved WR-F4 teacher, pre-trained longer, scores 65 % on reviews
# with an unseen adjective and 97 % on the others.) A higher T keeps the
# teacher's ranking but makes its doubts visible.

# %%
probes = ['i found the acting truly excellent .',    # seen in the labels
          'i found the acting truly superb .',       # never in the labels
          'i found the acting truly dreadful .',     # never in the labels
          'the plot was not superb .']               # never, and negated
positive = world.LABELS['sentiment'].index('positive')
table = pd.DataFrame({'review': probes})
for name, model in [('teacher', teacher.model), ('labels alone', basic_run['model']),
                    ('distilled', d_run['model'])]:
    table[f'P(positive) {name}'] = playground.probabilities(model, probes)[:, positive]
for t in (2.0, 5.0):
    table[f'teacher at T={t:g}'] = playground.probabilities(teacher.model, probes, t)[:, positive]
table.round(2)

# %%
logits = playground.probabilities(teacher.model, probes[1:2])[0]
display(Image(data=playground.figure_png(playground.temperature_figure(
    logits=list(np.log(logits)), temperatures=[1, 2, 5],
    labels=list(world.LABELS['sentiment']), title=f'teacher on "{probes[1]}"'))))

# %% [markdown]
# ## 4 The same question, answered with three seeds: the saved runs
#
# One run of each is a demonstration, not a measurement. In this world the gain
# from distillation for the tiny student moves by several points with the seed
# and with what the teacher happens to know: the quick teacher's labels on the
# transfer set are the student's only source for the rare words. The saved
# WR-F4 runs (`results/runs/turc2019`, `minilab run wr_main`) train every
# procedure at three sizes with three seeds and a bigger teacher (L6_H192, MLM
# pre-trained for longer). At the tiny size, D beats basic by about 4 points
# there. They also include PF and PD, which need a pre-trained student and are
# too slow for a tour. The `wr_f4_main_result` notebook draws the full figure;
# the playground trains any one of these cells live.

# %%
playground.compare(basic_run, d_run)

# %% [markdown]
# ## Where next
#
# - `playground.ipynb`: every knob (procedure, sizes, T, the three alphas,
#   transfer set size and domain) with live curves and a stop button.
# - `world_samples.ipynb`: what the world's data looks like, and its rules.
# - `wr_f4_main_result.ipynb`: Turc et al.'s main figure from the saved runs.
# - `docs/workshop.md`: the instructor's guide, with timings and exercises.
#
# ## References
#
# - Hinton, Vinyals, Dean (2015). *Distilling the Knowledge in a Neural Network.*
# - Turc, Chang, Lee, Toutanova (2019). *Well-Read Students Learn Better: On the
#   Importance of Pre-training Compact Models.* arXiv:1908.08962.
# - Sanh, Debut, Chaumond, Wolf (2019). *DistilBERT, a distilled version of BERT:
#   smaller, faster, cheaper and lighter.* arXiv:1910.01108.
# - Mukherjee, Hassan Awadallah (2019/2020). *Distilling BERT into Simple Neural
#   Networks with Unlabeled Transfer Data.* arXiv:1910.01769.
