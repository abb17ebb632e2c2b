"""Two more tasks of the offline world, for DistilBERT's Table 2 (Sanh et al. 2019):
long reviews (the IMDb analog) and span-extraction QA (the SQuAD v1.1 analog).

    from minilab import world_spans
    world_spans.long_reviews('train', 100)      # dict of lists: text, text_pair, label
    world_spans.span_qa('dev', 100)             # question, context, answer, answer_start
    task = world_spans.load_task('world/span_qa', train_size=2000)

Both follow the world's rule 2 (minilab.world): training splits use only the
*seen* members of each word class, dev and test every member, so what a model
knows about "superb" or "tractor" comes from pre-training on the LM corpus.

long_reviews  3 or 5 review sentences of mixed polarity (each one world sentiment
              clause, negations included); the label is the polarity of the
              majority, so the whole text counts. About 2.5 times as long as a
              world/sentiment example (IMDb reviews are ~10x SST-2 sentences;
              here the teacher's 48 positions set the limit).
span_qa       a context of three sentences ("the farmer bought the red tractor
              in the barn .") about different agents, things of different
              categories, colours and places, and one question whose answer is a
              span of the context. Half of the questions name a category
              instead of the thing ("where was the vehicle"), so answering them
              on dev/test needs the hypernyms the LM corpus teaches.

Generated deterministically from the seed, like the rest of the world (this
module only reads minilab.world's word lists and helpers).
"""
import collections
import re
import string

from minilab import world

LONG_CLAUSES = (3, 5)             # one-clause sentences per long review (odd: no ties)
QA_SENTENCES = 3                  # context sentences per question
QA_KINDS = ('who', 'what', 'where', 'where_category', 'which_category')
TASKS = {'world/long_reviews': 'cls', 'world/span_qa': 'span'}
LABELS = {'world/long_reviews': list(world.LABELS['sentiment']), 'world/span_qa': []}


# -----------------------------------------------------------------------------
# long reviews


def _long_review(rng, label, domain, seen_only):
    # one clause per sentence keeps a 5-sentence review inside the 48 positions
    # the kit's teacher is pre-trained with (the LM corpus has short sentences)
    k = rng.choice(LONG_CLAUSES)
    majority = rng.randint(k // 2 + 1, k)
    polarities = [label] * majority + [1 - label] * (k - majority)
    rng.shuffle(polarities)
    return ' '.join(world.opinion_clause(rng, p, domain, seen_only) + ' .' for p in polarities)


def long_reviews(split, n, seed=0, domain='movies'):
    """n labeled long reviews (balanced labels), dict of lists text/text_pair/label."""
    world.check_choice('split', split, world.SPLITS)
    rng = world.seeded_rng('long_reviews', split, domain, seed)
    seen_only = split == 'train'
    rows = [(_long_review(rng, i % 2, domain, seen_only), i % 2) for i in range(n)]
    rng.shuffle(rows)
    return {'text': [t for t, _ in rows], 'text_pair': [None] * n, 'label': [y for _, y in rows]}


# -----------------------------------------------------------------------------
# span QA


def _qa_example(rng, seen_only):
    categories = rng.sample(list(world.CATEGORIES), QA_SENTENCES)
    agents = rng.sample(world.AGENTS, QA_SENTENCES)
    colours = rng.sample(world.COLOURS, QA_SENTENCES)
    places = rng.sample(world.PLACES, QA_SENTENCES)
    facts, sentences, spans = [], [], []
    offset = 0
    for category, agent, colour, place in zip(categories, agents, colours, places):
        thing = world.pick_word(rng, world.CATEGORIES[category], seen_only, zipf=0.7)
        past, base, _, _ = rng.choice(world.VERBS[category])
        head = f'the {agent} {past} the '
        sentence = f'{head}{colour} {thing} in the {place} .'
        # character spans of the three answerable phrases in this sentence
        where = offset + len(sentence) - len(f'{place} .')
        spans.append({'agent': (offset + 4, agent), 'object': (offset + len(head), f'{colour} {thing}'),
                      'place': (where, place)})
        facts.append(dict(category=category, agent=agent, thing=thing, past=past, base=base))
        sentences.append(sentence)
        offset += len(sentence) + 1
    i = rng.randrange(QA_SENTENCES)
    f, kind = facts[i], rng.choice(QA_KINDS)
    if kind == 'who':
        question, slot = f"who {f['past']} the {f['thing']}", 'agent'
    elif kind == 'what':
        question, slot = f"what did the {f['agent']} {f['base']}", 'object'
    elif kind == 'where':
        question, slot = f"where did the {f['agent']} {f['base']} the {f['thing']}", 'place'
    elif kind == 'where_category':
        question, slot = f"where was the {f['category']}", 'place'
    else:
        question, slot = f"which {f['category']} did the {f['agent']} {f['base']}", 'object'
    start, answer = spans[i][slot]
    return question, ' '.join(sentences), answer, start, kind


def span_qa(split, n, seed=0):
    """n questions: dict of lists question, context, answer, answer_start (a char
    offset into context), kind (which question template)."""
    world.check_choice('split', split, world.SPLITS)
    rng = world.seeded_rng('span_qa', split, seed)
    seen_only = split == 'train'
    rows = [_qa_example(rng, seen_only) for _ in range(n)]
    keys = ('question', 'context', 'answer', 'answer_start', 'kind')
    out = {k: [r[j] for r in rows] for j, k in enumerate(keys)}
    for c, a, s in zip(out['context'], out['answer'], out['answer_start']):
        assert c[s:s + len(a)] == a  # the generator's own invariant
    return out


# -----------------------------------------------------------------------------
# as tasks (the shape minilab.data.load_task returns)


def load_task(spec, train_size=None, dev_size=None, test_size=None, seed=0, domain='movies'):
    """A TaskData for 'world/long_reviews' or 'world/span_qa'. Span QA rows are
    question -> text, context -> text_pair (BERT's SQuAD input order), plus
    answer and answer_start; label_names is empty (num_labels 0)."""
    from datasets import Dataset

    from minilab.data import DataError, TaskData
    if spec not in TASKS:
        raise DataError(f'unknown span-world task {spec!r}; valid: {", ".join(TASKS)}')
    splits = {}
    for split, n in [('train', train_size), ('dev', dev_size), ('test', test_size)]:
        n = world.SPLIT_SIZES[split] if n is None else n
        if spec == 'world/long_reviews':
            rows = long_reviews(split, n, seed=seed, domain=domain)
        else:
            qa = span_qa(split, n, seed=seed)
            rows = {'text': qa['question'], 'text_pair': qa['context'], 'answer': qa['answer'],
                    'answer_start': qa['answer_start'], 'kind': qa['kind']}
        splits[split] = Dataset.from_dict(rows)
    return TaskData(spec, splits['train'], splits['dev'], splits['test'], LABELS[spec])


# -----------------------------------------------------------------------------
# span features and SQuAD metrics


def tokenize_spans(dataset, tokenizer, max_length=64):
    """Question/context pairs -> input ids, plus label = [start token, end token]
    of the answer (two ints in the one 'label' column, so the kit's collator
    stacks them as a [B, 2] tensor), offsets and a context mask for decoding.
    An answer cut off by truncation points at [CLS] (0, 0), as in SQuAD."""
    def encode(batch):
        enc = tokenizer(batch['text'], batch['text_pair'], truncation='only_second',
                        max_length=max_length, return_offsets_mapping=True)
        labels, context = [], []
        for i, offsets in enumerate(enc['offset_mapping']):
            seq = enc.sequence_ids(i)
            start_char = batch['answer_start'][i]
            end_char = start_char + len(batch['answer'][i])
            s = e = 0
            for t, ((a, b), sid) in enumerate(zip(offsets, seq)):
                if sid != 1:
                    continue
                if a <= start_char < b:
                    s = t
                if a < end_char <= b:
                    e = t
            if e < s:
                s = e = 0
            labels.append([s, e])
            context.append([int(sid == 1) for sid in seq])
        return {'input_ids': enc['input_ids'], 'attention_mask': enc['attention_mask'],
                'token_type_ids': enc['token_type_ids'], 'offset_mapping': enc['offset_mapping'],
                'context_mask': context, 'label': labels}
    return dataset.map(encode, batched=True,
                       remove_columns=[c for c in dataset.column_names
                                       if c not in ('text_pair', 'answer', 'kind')])


def best_span(start_logits, end_logits, context_mask, max_answer_tokens=8):
    """argmax of start + end logit over start <= end < start + max_answer_tokens,
    both inside the context (the SQuAD decoding of BERT and DistilBERT)."""
    best, where = None, (0, 0)
    positions = [t for t, m in enumerate(context_mask) if m]
    for s in positions:
        for e in positions:
            if s <= e < s + max_answer_tokens:
                score = float(start_logits[s] + end_logits[e])
                if best is None or score > best:
                    best, where = score, (s, e)
    return where


def normalize_answer(text):
    """SQuAD v1.1 evaluate-v1.1.py: lower, drop punctuation and articles, squeeze spaces."""
    text = ''.join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r'\b(a|an|the)\b', ' ', text)
    return ' '.join(text.split())


def f1_score(prediction, truth):
    """SQuAD token-overlap F1 between two answer strings (0..1)."""
    pred, gold = normalize_answer(prediction).split(), normalize_answer(truth).split()
    common = collections.Counter(pred) & collections.Counter(gold)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction, truth):
    return float(normalize_answer(prediction) == normalize_answer(truth))
