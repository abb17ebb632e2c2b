"""predict runs rows longest first (little padding) and returns them in the
dataset's order: each row's outputs are what it gets alone."""
import numpy as np
import torch
from datasets import Dataset

from minilab import data, inference, models


def test_predict_returns_rows_in_order_whatever_order_they_ran_in():
    tok = data.load_tokenizer('world')
    texts = ['good .', 'the film was long and the actors were dull , i thought .', 'bad',
             'i liked it', 'a b c d e f g h i j k', 'fine .']
    ds = data.tokenize(Dataset.from_dict({'text': texts, 'label': [0] * len(texts)}), tok, 24)
    lengths = np.array([len(ids) for ids in ds['input_ids']])  # 4, 20, 3, 5, 13, 5 word pieces
    order = inference.length_order(ds)
    assert sorted(order) == list(range(len(texts))) and list(order[:2]) == [1, 4]
    assert all(np.diff(lengths[order]) <= 0)  # longest first
    torch.manual_seed(0)
    model = models.new_classifier(models.bert_config(2, 32, len(tok)), 3).eval()
    together = inference.predict(model, ds, tok, batch_size=4, outputs=('logits', 'cls'))
    for i in range(len(texts)):
        alone = inference.predict(model, ds.select([i]), tok, outputs=('logits', 'cls'))
        for kind in ('logits', 'cls'):
            np.testing.assert_allclose(together[kind][i], alone[kind][0], atol=1e-5)
