"""The offline world (minilab.world): determinism, sizes, seen/unseen words,
domains, errors, and the label rules, checked by small independent readers."""
import hashlib
import os
import subprocess
import sys
import time
from collections import Counter

import pytest

from minilab import world as W

N = 600  # examples per split in most tests: enough to see every rule, fast


def words(texts):
    out = set()
    for t in texts:
        if t:
            out.update(t.split())
    return out


# -------------------------------------------------------------- determinism


@pytest.mark.parametrize('task', W.TASKS)
def test_same_seed_same_bytes(task):
    a = W.task_split(task, 'train', 200, seed=3)
    b = W.task_split(task, 'train', 200, seed=3)
    assert repr(a) == repr(b)
    assert repr(W.transfer_pool(task, 100, seed=3)) == repr(W.transfer_pool(task, 100, seed=3))


@pytest.mark.parametrize('task', W.TASKS)
def test_different_seed_split_or_domain_differs(task):
    base = repr(W.task_split(task, 'test', 200, seed=0))
    assert base != repr(W.task_split(task, 'test', 200, seed=1))
    assert base != repr(W.task_split(task, 'dev', 200, seed=0))
    if task == 'sentiment':
        assert base != repr(W.task_split(task, 'test', 200, seed=0, domain='books'))


def test_lm_corpus_deterministic():
    assert W.lm_corpus(300, seed=0) == W.lm_corpus(300, seed=0)
    assert W.lm_corpus(300, seed=0) != W.lm_corpus(300, seed=1)


def test_independent_of_hash_seed():
    """Same bytes in a fresh interpreter with another PYTHONHASHSEED (sha256 seeding)."""
    code = ('import hashlib; from minilab import world as W; '
            'print(hashlib.sha256(repr((W.task_split("nli", "test", 100, seed=5), '
            'W.lm_corpus(100, seed=5))).encode()).hexdigest())')
    here = hashlib.sha256(repr((W.task_split('nli', 'test', 100, seed=5),
                                W.lm_corpus(100, seed=5))).encode()).hexdigest()
    env = dict(os.environ, PYTHONHASHSEED='12345')
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout.strip()
    assert out == here


# -------------------------------------------------------------- sizes, labels


@pytest.mark.parametrize('task', W.TASKS)
@pytest.mark.parametrize('n', [1, 7, 250])
def test_sizes_exact(task, n):
    for split in W.SPLITS:
        d = W.task_split(task, split, n)
        assert set(d) == {'text', 'text_pair', 'label'}
        assert len(d['text']) == len(d['text_pair']) == len(d['label']) == n
    pool = W.transfer_pool(task, n)
    assert len(pool['text']) == len(pool['text_pair']) == n
    assert len(W.lm_corpus(n)) == n


def test_default_sizes():
    for split, n in W.SPLIT_SIZES.items():
        assert len(W.task_split('sentiment', split)['text']) == n


@pytest.mark.parametrize('task', W.TASKS)
def test_labels_balanced_and_valid(task):
    d = W.task_split(task, 'test', N)
    k = len(W.LABELS[task])
    counts = Counter(d['label'])
    assert set(counts) == set(range(k))
    assert max(counts.values()) - min(counts.values()) <= 1
    # shuffled, not in i % k order
    assert d['label'] != [i % k for i in range(N)]


def test_text_pair_only_for_nli():
    for task in W.TASKS:
        d = W.task_split(task, 'dev', 50)
        if task == 'nli':
            assert all(isinstance(p, str) and p for p in d['text_pair'])
        else:
            assert d['text_pair'] == [None] * 50


# -------------------------------------------------------------- rule 2: seen / unseen


def _unseen(task):
    S = W.N_SEEN
    if task == 'sentiment':
        out = set(W.POSITIVE[S:] + W.NEGATIVE[S:])
        for dom in W.DOMAINS.values():
            D = W.N_SEEN_DOMAIN
            out |= set(dom['positive'][D:] + dom['negative'][D:])
        return out
    if task == 'nli':
        out = set(W.AGENTS[S:])
        for members in W.CATEGORIES.values():
            out |= set(members[S:])
        return out
    out = set()
    for t in W.TOPICS.values():
        out |= set(t['nouns'][S:] + t['objects'][S:])
    return out


@pytest.mark.parametrize('task', W.TASKS)
def test_train_uses_only_seen_members(task):
    unseen = _unseen(task)
    for domain in (['movies', 'electronics'] if task == 'sentiment' else ['movies']):
        d = W.task_split(task, 'train', N, domain=domain)
        leaked = (words(d['text']) | words(d['text_pair'])) & unseen
        assert not leaked, f'{task}/{domain} train uses unseen words {sorted(leaked)}'


@pytest.mark.parametrize('task', W.TASKS)
def test_test_and_transfer_contain_unseen_members(task):
    unseen = _unseen(task)
    d = W.task_split(task, 'test', N)
    assert len((words(d['text']) | words(d['text_pair'])) & unseen) >= 5
    pool = W.transfer_pool(task, N)
    assert (words(pool['text']) | words(pool['text_pair'])) & unseen


def test_lm_corpus_contains_unseen_adjectives_and_category_links():
    corpus = W.lm_corpus(3000)
    assert words(corpus) & set(W.POSITIVE[W.N_SEEN:])
    assert words(corpus) & set(W.NEGATIVE[W.N_SEEN:])
    assert any(' is a kind of ' in s for s in corpus)


# -------------------------------------------------------------- transfer pools, domains


@pytest.mark.parametrize('task', W.TASKS)
def test_transfer_pool_has_no_label(task):
    pool = W.transfer_pool(task, 20)
    assert set(pool) == {'text', 'text_pair'}


def test_domains_differ():
    elec = words(W.transfer_pool('sentiment', 400, domain='electronics')['text'])
    assert elec & set(W.DOMAINS['electronics']['aspects'])
    assert not elec & set(W.DOMAINS['movies']['aspects'])
    movies = words(W.transfer_pool('sentiment', 400, domain='movies')['text'])
    assert not movies & set(W.DOMAINS['electronics']['aspects'])
    # neighbouring domains share aspects (movies ~ books)
    books = words(W.transfer_pool('sentiment', 400, domain='books')['text'])
    assert books & movies & set(W.DOMAINS['movies']['aspects'])
    # labeled data follows the domain too
    train = words(W.task_split('sentiment', 'train', 200, domain='electronics')['text'])
    assert train & set(W.DOMAINS['electronics']['aspects'])
    assert not train & set(W.DOMAINS['movies']['aspects'])


def test_lm_transfer_pool():
    pool = W.transfer_pool('sentiment', 30, domain='lm')
    assert len(pool['text']) == 30 and pool['text_pair'] == [None] * 30


def test_domain_order_covers_domains():
    assert sorted(W.DOMAIN_ORDER) == sorted(W.DOMAINS) and W.DOMAIN_ORDER[0] == 'movies'


# -------------------------------------------------------------- errors


@pytest.mark.parametrize('call, bad, valid', [
    (lambda: W.task_split('poetry', 'train', 5), 'poetry', 'sentiment'),
    (lambda: W.task_split('sentiment', 'validation', 5), 'validation', 'dev'),
    (lambda: W.task_split('sentiment', 'train', 5, domain='cars'), 'cars', 'electronics'),
    (lambda: W.transfer_pool('poetry', 5), 'poetry', 'nli'),
    (lambda: W.transfer_pool('sentiment', 5, domain='cars'), 'cars', 'lm'),
])
def test_unknown_names_raise_value_error_with_choices(call, bad, valid):
    with pytest.raises(ValueError) as err:
        call()
    msg = str(err.value)
    assert repr(bad) in msg and valid in msg and 'valid' in msg and '\n' not in msg


# -------------------------------------------------------------- rule 3: labels


POS = set(W.POSITIVE) | {a for d in W.DOMAINS.values() for a in d['positive']}
NEG = set(W.NEGATIVE) | {a for d in W.DOMAINS.values() for a in d['negative']}


def clause_polarity(clause):
    """1/0 from the clause's one adjective, flipped by 'not'."""
    toks = clause.split()
    adjs = [t for t in toks if t in POS or t in NEG]
    assert len(adjs) == 1, clause
    return int(adjs[0] in POS) ^ int('not' in toks)


def review_polarity(review):
    r = review.removesuffix(' .')
    if ' . ' in r:  # two sentences: only the reviewer's own ("i ...") counts
        mine = [s for s in r.split(' . ') if s.startswith('i ')]
        assert len(mine) == 1, review
        return clause_polarity(mine[0])
    if ' but ' in r:
        return clause_polarity(r.split(' but ')[1])
    if r.startswith('although '):
        return clause_polarity(r.split(' , ', 1)[1])
    if ' , even though ' in r:
        return clause_polarity(r.split(' , even though ')[0])
    if ' and ' in r:
        a, b = (clause_polarity(c) for c in r.split(' and '))
        assert a == b, review
        return a
    return clause_polarity(r)


def test_sentiment_rules_hold():
    for split, domain in [('train', 'movies'), ('test', 'movies'), ('test', 'hotels')]:
        d = W.task_split('sentiment', split, N, domain=domain)
        for text, y in zip(d['text'], d['label']):
            assert review_polarity(text) == y, (text, W.LABELS['sentiment'][y])
    shapes = Counter('whose' if ' . ' in t.removesuffix(' .') else 'but' if ' but ' in t else 'although' if t.startswith('although ')
                     else 'even' if 'even though' in t else 'and' if ' and ' in t else 'one'
                     for t in W.task_split('sentiment', 'test', N)['text'])
    assert set(shapes) == {'whose', 'but', 'although', 'even', 'and', 'one'}


def test_sentiment_checker_on_hand_picked_examples():
    assert review_polarity('the plot was not good but the acting was superb .') == 1
    assert review_polarity('although the ending was great , i did not find the cast good .') == 0
    assert review_polarity('i found the room really spotless and the bed was not dirty .') == 1
    assert review_polarity('the screen was durable , even though the battery was not reliable .') == 1
    assert review_polarity('the critic hated the tedious plot . i found the acting superb .') == 1
    assert review_polarity('i did not find the cast good . anna thought the ending was great .') == 0


def test_nli_rules_hold():
    d = W.task_split('nli', 'test', N)
    names = W.LABELS['nli']
    seen = Counter()
    for p, h, y in zip(d['text'], d['text_pair'], d['label']):
        label = names[y]
        seen[label] += 1
        assert p.endswith(' .') and h.endswith(' .')
        if ' did not ' in h:
            assert label == 'contradiction', (p, h)
        if ' also ' in h:
            assert label == 'neutral', (p, h)
        if h.startswith('a person '):
            assert label == 'entailment', (p, h)
        if label == 'entailment':
            # a generalisation never adds a place the premise does not name
            if ' in the ' in h:
                assert h.split(' in the ')[1] == p.split(' in the ')[1], (p, h)
            assert ' not ' not in h
        if label == 'contradiction' and ' not ' not in h:
            assert p != h
    assert set(seen) == set(names)


def test_topic_rules_hold():
    d = W.task_split('topic', 'test', N)
    names = W.LABELS['topic']
    vocab = {t: set(v['nouns'] + v['objects']) for t, v in W.TOPICS.items()}
    for text, y in zip(d['text'], d['label']):
        toks = text.split()
        counts = {t: sum(w in vocab[t] for w in toks) for t in names}
        best = max(counts.values())
        assert counts[names[y]] == best and list(counts.values()).count(best) == 1, (text, names[y])


def test_samples_are_readable_triples():
    s = W.samples('nli', 4, seed=1)
    assert len(s) == 4 and all(lab in W.LABELS['nli'] and p for _, p, lab in s)


# -------------------------------------------------------------- speed


def test_lm_corpus_speed():
    start = time.perf_counter()
    corpus = W.lm_corpus(100_000, seed=0)
    seconds = time.perf_counter() - start
    print(f'lm_corpus(100_000): {seconds:.2f} s')
    assert len(corpus) == 100_000
    assert seconds < 20, f'{seconds:.1f} s (expected < 5 s on an idle core)'
