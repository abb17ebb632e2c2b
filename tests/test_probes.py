"""The adjective probe, on embeddings built by hand."""
import torch

from minilab import data
from minilab.probes import adjective_probe, seen_and_unseen_adjectives


class Embeddings(torch.nn.Module):
    def __init__(self, weight):
        super().__init__()
        self.embedding = torch.nn.Embedding.from_pretrained(weight)

    def get_input_embeddings(self):
        return self.embedding


def _model(tokenizer, sign):
    """Every positive adjective along +e0, every negative one along -e0 (times `sign`
    for the unseen ones), the rest of the vocabulary along e1."""
    vocab = tokenizer.get_vocab()
    weight = torch.zeros(len(vocab), 4)
    weight[:, 1] = 1.0
    seen_pos, seen_neg, unseen = seen_and_unseen_adjectives()
    for w in seen_pos:
        weight[vocab[w]] = torch.tensor([1.0, 0, 0, 0])
    for w in seen_neg:
        weight[vocab[w]] = torch.tensor([-1.0, 0, 0, 0])
    for w, y in unseen:
        weight[vocab[w]] = torch.tensor([sign * (1.0 if y else -1.0), 0.3, 0, 0])
    return Embeddings(weight)


def test_probe_counts_adjectives_nearer_their_own_class():
    tokenizer = data.load_tokenizer('world')
    n_unseen = len(seen_and_unseen_adjectives()[2])
    assert n_unseen == 28
    assert adjective_probe(_model(tokenizer, +1), tokenizer) == {
        'correct': 28, 'total': 28, 'accuracy': 100.0}
    assert adjective_probe(_model(tokenizer, -1), tokenizer)['correct'] == 0


def test_probe_is_none_when_words_are_not_whole_tokens():
    tokenizer = data.train_wordpiece(['good bad'], vocab_size=40)
    assert adjective_probe(Embeddings(torch.zeros(40, 4)), tokenizer) is None
