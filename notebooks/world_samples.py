# %% [markdown]
# # The offline world: what the data looks like, and why distillation matters in it
#
# No corpus or model can be downloaded here, so minilab generates a small
# English-like language (`minilab.world`; its module docstring has the rules).
# This notebook shows samples a workshop audience can read, and counts what a
# labeled training set cannot teach: the words it never contains.

# %% [markdown]
# ## 0 Setup

# %%
import pandas as pd

from minilab import world

# %% tags=["parameters"]
SEED: int = 0  # world seed: same seed, same bytes
N_SAMPLES: int = 6  # samples shown per task
DOMAIN: str = "movies"  # review domain of the sentiment task (movies, books, restaurants, hotels, electronics)
SMOKE: bool = False  # True: fewer examples (tests)

# %%
n_count = 500 if SMOKE else 5000

# %% [markdown]
# ## 1 Labeled tasks
#
# Sentiment: a clause's polarity is its adjective's, flipped by negation;
# "X but Y", "although X , Y" and "Y , even though X" take Y's polarity.

# %%
for task in world.TASKS:
    print(f'--- {task} ({", ".join(world.LABELS[task])})')
    for text, pair, label in world.samples(task, N_SAMPLES, seed=SEED, domain=DOMAIN):
        print(f'{label:>13}: {text}' + (f'  ||  {pair}' if pair else ''))

# %% [markdown]
# ## 2 Unlabeled text: the LM corpus and transfer pools
#
# The LM corpus ties every word to its class by co-occurrence ("anna was
# delighted because the soup was superb"); transfer pools are task-like inputs
# from a chosen domain, with no labels.

# %%
for sentence in world.lm_corpus(N_SAMPLES, seed=SEED):
    print(sentence)
print()
for domain in world.DOMAIN_ORDER:
    print(f'{domain:>12}: {world.transfer_pool("sentiment", 1, domain=domain, seed=SEED)["text"][0]}')

# %% [markdown]
# ## 3 What labels alone cannot teach
#
# Training splits use only the first few (most frequent) members of each word
# class; test splits use all of them. The share of test reviews that contain an
# adjective never seen in training is the room that pre-training and
# distillation on unlabeled data have to help.

# %%
adjectives = set(world.POSITIVE + world.NEGATIVE)
for d in world.DOMAINS.values():
    adjectives |= set(d['positive'] + d['negative'])
def words(texts):
    return {w for t in texts for w in t.split()}
train = world.task_split('sentiment', 'train', n_count, seed=SEED, domain=DOMAIN)
test = world.task_split('sentiment', 'test', n_count, seed=SEED, domain=DOMAIN)
seen = words(train['text']) & adjectives
unseen_share = sum(bool(set(t.split()) & (adjectives - seen)) for t in test['text']) / len(test['text'])
pd.Series({'adjectives in the world': len(adjectives), 'seen in labeled train': len(seen),
           'test reviews with an unseen adjective (%)': round(100 * unseen_share, 1)})
