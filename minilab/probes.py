"""Probes of what MLM pre-training taught: run them before spending a batch.

The offline world hides most adjectives from labeled training data (world rule
2): a student can only know "superb" or "dismal" from unlabeled text. The
adjective probe asks whether pre-training placed those unseen adjectives
nearer their own class in the word-embedding space:

    from minilab.probes import adjective_probe
    adjective_probe(model, tokenizer)   # {'correct': 27, 'total': 28, 'accuracy': 96.4}

For each unseen adjective, the cosine similarity of its (input, and tied
output) embedding to the mean embedding of the *seen* positive adjectives is
compared with that to the seen negative ones; the probe counts the adjectives
that sit nearer their own polarity. Chance is half (14 of 28). Measured
(2026-11-30): the world-4 pre-trainings saved on main score 14, 16 and 12 of
28, i.e. chance; on world 5 with shuffled batches and 40% masking the L6_H192
teacher reaches 28/28 by step 1000 (notes in minilab.papers.turc2019.WR_MAIN_MINI).
"""
import torch

from minilab import world


def seen_and_unseen_adjectives():
    """(seen positive, seen negative, [(unseen word, polarity 1/0)]) by world rule 2."""
    domains = world.DOMAINS.values()
    seen_pos = world.POSITIVE[:world.N_SEEN] + [d['positive'][0] for d in domains]
    seen_neg = world.NEGATIVE[:world.N_SEEN] + [d['negative'][0] for d in domains]
    unseen = ([(w, 1) for w in world.POSITIVE[world.N_SEEN:]]
              + [(w, 0) for w in world.NEGATIVE[world.N_SEEN:]]
              + [(w, 1) for d in domains for w in d['positive'][world.N_SEEN_DOMAIN:]]
              + [(w, 0) for d in domains for w in d['negative'][world.N_SEEN_DOMAIN:]])
    return seen_pos, seen_neg, unseen


@torch.no_grad()
def adjective_probe(model, tokenizer):
    """How many unseen adjectives are nearer their own polarity's seen centroid.

    Returns None when the tokenizer splits any probe word into pieces (a hub
    tokenizer on real text: the probe is for the offline world)."""
    seen_pos, seen_neg, unseen = seen_and_unseen_adjectives()
    vocab = tokenizer.get_vocab()
    if any(w not in vocab for w in seen_pos + seen_neg + [w for w, _ in unseen]):
        return None
    embeddings = model.get_input_embeddings().weight.detach().float()
    row = lambda words: embeddings[[vocab[w] for w in words]]
    positive, negative = row(seen_pos).mean(0), row(seen_neg).mean(0)
    vectors = row([w for w, _ in unseen])
    cos = torch.nn.functional.cosine_similarity
    nearer_positive = cos(vectors, positive[None], dim=-1) > cos(vectors, negative[None], dim=-1)
    correct = sum(int(p) == y for p, (_, y) in zip(nearer_positive.tolist(), unseen))
    return {'correct': correct, 'total': len(unseen), 'accuracy': 100 * correct / len(unseen)}
