"""The offline world: a synthetic English-like language where distillation matters.

No corpus or model can be downloaded here, so the kit generates its own data,
deterministically from a seed (same seed, same bytes), fast enough to make on
the fly: nothing generated is committed.

    from minilab import world
    world.lm_corpus(1000, seed=0)                      # unlabeled "LM data"
    world.task_split('sentiment', 'train', 2000)       # labeled examples
    world.transfer_pool('sentiment', 5000, domain='books')  # unlabeled task-like text

Rules of the world (what a workshop audience can check by reading samples):

1. Words come in meaning classes: positive / negative adjectives, hyponyms of
   "animal", "vehicle", ..., topic words of sports / politics / science /
   business. Inside a class, word frequency is Zipf-like.
2. Labeled TRAIN splits use only the *seen* members of each class (the most
   frequent few). Dev, test, transfer pools and the LM corpus use every
   member. So a model trained on labels alone has never met "superb" or
   "tractor"; it can only know them from unlabeled text:
   - the LM corpus links each word to its class by co-occurrence
     ("anna was delighted because the soup was superb", "the plot was
     superb , i mean really good", "a tractor is a kind of vehicle"),
     which is what MLM pre-training can pick up;
   - the transfer pools contain them too, which is what a teacher's labels
     on unlabeled data can pass on.
3. Labels depend on composition, so depth can matter:
   sentiment: a clause's polarity is its adjective's, flipped by negation
   ("was not good", "did not find the plot good"); "X but Y" and
   "although X , Y" take Y's polarity, "Y , even though X" too; when a
   review also reports someone else's opinion ("the critic loved the dull
   plot . i found the plot awful ."), only the reviewer's own ("i ...") counts;
   nli: premise/hypothesis relations through hypernyms ("the horse" ->
   "an animal": entailment), verb synonyms and antonyms ("bought" vs
   "sold"), negation, colour and place changes;
   topic: the topic with most topic words in two short sentences, one of
   which may borrow a word from another topic.
4. Domains: sentiment reviews come from movies, books, restaurants, hotels
   and electronics. Each domain has its own aspects and its own
   domain-specific adjectives, and neighbouring domains share aspects
   (movies ~ books, restaurants ~ hotels), so transfer pools can be ordered
   by similarity to the labeled task (see DOMAIN_ORDER).

Everything returns plain Python lists and dicts; `minilab.data` turns them
into `datasets.Dataset`s and trains the tokenizer.
"""
import hashlib
import random

# bump when a change to the rules changes what is generated: it is part of every
# run's config, so saved runs of an older world are never mistaken for new ones
WORLD_VERSION = 5

# -----------------------------------------------------------------------------
# lexicon. The first N_SEEN members of every class (the first one for the
# domain adjectives) are the ones labeled training data may use; the list order
# is also the frequency order.

N_SEEN = 3
N_SEEN_DOMAIN = 1  # of each domain's own adjectives, per polarity

POSITIVE = ['good', 'great', 'excellent', 'wonderful', 'superb', 'lovely',
            'brilliant', 'pleasant', 'fantastic', 'terrific', 'delightful',
            'splendid']
NEGATIVE = ['bad', 'awful', 'terrible', 'horrible', 'poor', 'dreadful',
            'lousy', 'unpleasant', 'mediocre', 'dismal', 'atrocious',
            'appalling']

# each domain: aspects, and its own positive / negative adjectives
DOMAINS = {
    'movies': dict(
        aspects=['plot', 'acting', 'ending', 'script', 'soundtrack', 'cast',
                 'dialogue', 'story', 'characters', 'director'],
        positive=['gripping', 'moving'],
        negative=['predictable', 'tedious']),
    'books': dict(
        aspects=['story', 'characters', 'ending', 'prose', 'chapters',
                 'author', 'plot', 'writing', 'cover', 'translation'],
        positive=['engaging', 'insightful'],
        negative=['boring', 'shallow']),
    'restaurants': dict(
        aspects=['food', 'service', 'soup', 'dessert', 'waiter', 'pasta',
                 'staff', 'breakfast', 'wine', 'menu'],
        positive=['delicious', 'tasty'],
        negative=['bland', 'greasy']),
    'hotels': dict(
        aspects=['room', 'bed', 'staff', 'lobby', 'pool', 'breakfast',
                 'bathroom', 'view', 'service', 'location'],
        positive=['spotless', 'cozy'],
        negative=['dirty', 'cramped']),
    'electronics': dict(
        aspects=['battery', 'screen', 'keyboard', 'speaker', 'camera',
                 'charger', 'software', 'case', 'display', 'sound'],
        positive=['durable', 'reliable'],
        negative=['flimsy', 'faulty']),
}
PLURAL_ASPECTS = {'characters', 'chapters'}
# transfer pools for the movie-review task, from most to least similar
DOMAIN_ORDER = ['movies', 'books', 'restaurants', 'hotels', 'electronics']

PEOPLE = ['the man', 'the woman', 'anna', 'tom', 'my friend', 'my sister',
          'the critic', 'the guest', 'our neighbour', 'the boy', 'the girl']
EMOTION_POS = ['happy', 'glad', 'pleased', 'delighted', 'thrilled']
EMOTION_NEG = ['sad', 'upset', 'annoyed', 'angry', 'disappointed']
LIKE = ['liked', 'loved', 'enjoyed', 'praised', 'admired']
DISLIKE = ['hated', 'disliked', 'regretted', 'mocked', 'avoided']
ADVERBS = ['', '', '', 'very ', 'really ', 'truly ', 'rather ', 'quite ']

# nli: categories of things, the verbs that fit them, agents, colours, places
CATEGORIES = {
    'animal': ['dog', 'cat', 'horse', 'cow', 'sheep', 'rabbit', 'fox', 'duck',
               'goat', 'pig'],
    'vehicle': ['car', 'truck', 'bus', 'bike', 'van', 'tractor', 'boat',
                'scooter', 'taxi', 'train'],
    'fruit': ['apple', 'pear', 'banana', 'orange', 'peach', 'plum', 'lemon',
              'mango', 'cherry', 'melon'],
    'tool': ['hammer', 'saw', 'drill', 'shovel', 'wrench', 'ladder', 'rake',
             'axe', 'chisel', 'spade'],
    'instrument': ['guitar', 'piano', 'violin', 'drum', 'flute', 'trumpet',
                   'harp', 'cello', 'banjo', 'horn'],
}
# verb: (past, base, synonym past, antonym past or None); per category
VERBS = {
    'animal': [('fed', 'feed', 'gave food to', 'starved'),
               ('washed', 'wash', 'cleaned', None),
               ('chased', 'chase', 'ran after', None),
               ('bought', 'buy', 'purchased', 'sold')],
    'vehicle': [('drove', 'drive', 'steered', None),
                ('washed', 'wash', 'cleaned', None),
                ('fixed', 'fix', 'repaired', 'broke'),
                ('bought', 'buy', 'purchased', 'sold')],
    'fruit': [('ate', 'eat', 'consumed', None),
              ('cut', 'cut', 'sliced', None),
              ('bought', 'buy', 'purchased', 'sold'),
              ('found', 'find', 'discovered', 'lost')],
    'tool': [('used', 'use', 'worked with', None),
             ('fixed', 'fix', 'repaired', 'broke'),
             ('bought', 'buy', 'purchased', 'sold'),
             ('found', 'find', 'discovered', 'lost')],
    'instrument': [('played', 'play', 'performed on', None),
                   ('tuned', 'tune', 'adjusted', None),
                   ('bought', 'buy', 'purchased', 'sold'),
                   ('found', 'find', 'discovered', 'lost')],
}
AGENTS = ['man', 'woman', 'boy', 'girl', 'farmer', 'teacher', 'doctor',
          'student', 'chef', 'pilot']
COLOURS = ['red', 'blue', 'green', 'brown', 'black', 'white', 'yellow']
PLACES = ['park', 'garden', 'barn', 'kitchen', 'street', 'market', 'yard',
          'field']

# topic: subjects, verbs, objects per topic
TOPICS = {
    'sports': dict(
        nouns=['team', 'coach', 'striker', 'goalkeeper', 'referee', 'league',
               'club', 'athlete', 'champion', 'stadium'],
        verbs=['won', 'scored', 'defended', 'trained for', 'lost'],
        objects=['match', 'final', 'trophy', 'title', 'tournament', 'cup',
                 'season', 'race', 'game', 'medal']),
    'politics': dict(
        nouns=['minister', 'senator', 'parliament', 'government', 'party',
               'president', 'mayor', 'council', 'governor', 'voters'],
        verbs=['passed', 'proposed', 'rejected', 'debated', 'approved'],
        objects=['bill', 'law', 'budget', 'election', 'reform', 'treaty',
                 'policy', 'vote', 'campaign', 'tax']),
    'science': dict(
        nouns=['scientist', 'researcher', 'laboratory', 'biologist',
               'chemist', 'astronomer', 'physicist', 'professor', 'engineer',
               'institute'],
        verbs=['discovered', 'measured', 'published', 'studied', 'observed'],
        objects=['cells', 'molecule', 'experiment', 'planet', 'gene',
                 'particle', 'theory', 'virus', 'protein', 'galaxy']),
    'business': dict(
        nouns=['company', 'investors', 'bank', 'firm', 'ceo', 'startup',
               'retailer', 'shareholders', 'factory', 'broker'],
        verbs=['reported', 'raised', 'invested in', 'acquired', 'cut'],
        objects=['shares', 'profit', 'stocks', 'deal', 'revenue', 'loan',
                 'merger', 'prices', 'dividend', 'contract']),
}
TIMES = ['', '', 'on monday', 'last week', 'this year', 'after a long delay',
         'in the morning', 'yesterday']

LABELS = {
    'sentiment': ['negative', 'positive'],
    'nli': ['entailment', 'neutral', 'contradiction'],
    'topic': list(TOPICS),
}
TASKS = tuple(LABELS)
SPLITS = ('train', 'dev', 'test')
SPLIT_SIZES = {'train': 2000, 'dev': 1000, 'test': 2000}  # defaults

# -----------------------------------------------------------------------------
# sampling helpers


def seeded_rng(*key):
    """A random.Random seeded from a tuple; sha256 keeps it independent of
    PYTHONHASHSEED, so the same key gives the same bytes on every machine."""
    digest = hashlib.sha256(repr(key).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], 'little'))


def pick_word(rng, words, seen_only=False, zipf=1.0, n_seen=N_SEEN):
    """One word of a class: Zipf-weighted, or only the seen head of the list."""
    if seen_only:
        return rng.choice(words[:n_seen])
    weights = [1.0 / (i + 1) ** zipf for i in range(len(words))]
    return rng.choices(words, weights)[0]


def _a(word):
    return ('an ' if word[0] in 'aeiou' else 'a ') + word


def _was(noun):
    """'was', or 'were' after a plural aspect ("the characters were")."""
    return 'were' if noun in PLURAL_ASPECTS else 'was'


def check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f'unknown {name} {value!r}; valid: {", ".join(choices)}')


# -----------------------------------------------------------------------------
# sentiment: reviews made of clauses


def _adjective(rng, polarity, domain, seen_only):
    """A general or a domain-specific adjective of the given polarity."""
    general = POSITIVE if polarity else NEGATIVE
    special = DOMAINS[domain]['positive' if polarity else 'negative']
    if rng.random() < 0.3:  # domain words: one seen, one unseen per polarity
        return pick_word(rng, special, seen_only, zipf=0.5, n_seen=N_SEEN_DOMAIN)
    return pick_word(rng, general, seen_only, zipf=0.5)


def opinion_clause(rng, polarity, domain, seen_only):
    """A clause whose meaning has the given polarity (1 positive, 0 negative).
    Half the time the adjective has the opposite polarity and is negated."""
    negated = rng.random() < 0.35
    adj = _adjective(rng, polarity ^ negated, domain, seen_only)
    aspect = rng.choice(DOMAINS[domain]['aspects'])
    adv = rng.choice(ADVERBS)
    if negated:
        form = rng.randrange(3)
        if form == 0:
            return f'the {aspect} {_was(aspect)} not {adv}{adj}'
        if form == 1:
            return f'i did not find the {aspect} {adv}{adj}'
        return f'i did not think the {aspect} {_was(aspect)} {adj}'
    form = rng.randrange(3)
    if form == 0:
        return f'the {aspect} {_was(aspect)} {adv}{adj}'
    if form == 1:
        return f'i found the {aspect} {adv}{adj}'
    return f'i thought the {aspect} {_was(aspect)} {adj}'


def _reported(rng, polarity, domain, seen_only):
    """Someone else's opinion, which does not count towards the review's label."""
    adj = _adjective(rng, polarity, domain, seen_only)
    aspect = rng.choice(DOMAINS[domain]['aspects'])
    person = rng.choice(PEOPLE)
    form = rng.randrange(3)
    if form == 0:
        return f'{person} thought the {aspect} {_was(aspect)} {adj}'
    if form == 1:
        return f'{person} found the {aspect} {adj}'
    return f'{person} {rng.choice(LIKE if polarity else DISLIKE)} the {adj} {aspect}'


def _own(rng, polarity, domain, seen_only):
    """The reviewer's own opinion: a clause in the first person."""
    while True:
        clause = opinion_clause(rng, polarity, domain, seen_only)
        if clause.startswith('i '):
            return clause


def _review(rng, label, domain, seen_only):
    shape = rng.random()
    if shape < 0.2:  # whose opinion: only the reviewer's own ("i ...") counts, wherever it stands
        mine = _own(rng, label, domain, seen_only)
        theirs = _reported(rng, 1 - label, domain, seen_only)
        return f'{mine} . {theirs} .' if rng.random() < 0.5 else f'{theirs} . {mine} .'
    shape = rng.random()
    if shape < 0.3:
        return opinion_clause(rng, label, domain, seen_only) + ' .'
    if shape < 0.5:
        a, b = (opinion_clause(rng, label, domain, seen_only) for _ in range(2))
        return f'{a} and {b} .'
    other = opinion_clause(rng, 1 - label, domain, seen_only)
    main = opinion_clause(rng, label, domain, seen_only)
    if shape < 0.75:
        return f'{other} but {main} .'
    if shape < 0.93:
        return f'although {other} , {main} .'
    return f'{main} , even though {other} .'


# -----------------------------------------------------------------------------
# nli: premise / hypothesis pairs


def _thing(rng, seen_only):
    category = rng.choice(list(CATEGORIES))
    return category, pick_word(rng, CATEGORIES[category], seen_only, zipf=0.7)


def _pair(rng, label, seen_only):
    category, thing = _thing(rng, seen_only)
    past, base, synonym, antonym = rng.choice(VERBS[category])
    agent = pick_word(rng, AGENTS, seen_only, zipf=0.5)
    colour = rng.choice(COLOURS)
    place = rng.choice(PLACES)
    with_place = rng.random() < 0.6
    where = f' in the {place}' if with_place else ''
    premise = f'the {agent} {past} the {colour} {thing}{where} .'
    # hypothesis parts start as copies of the premise
    h_agent, h_verb, h_obj, h_where = f'the {agent}', past, f'the {colour} {thing}', where
    if label == 0:  # entailment: generalise one or two parts
        ops = rng.sample(['agent', 'object', 'verb', 'drop'], rng.choice([1, 2]))
        if 'agent' in ops:
            h_agent = 'a person'
        if 'object' in ops:
            h_obj = _a(category)
        if 'verb' in ops:
            h_verb = synonym
        if 'drop' in ops or not ops:
            h_obj = h_obj if 'object' in ops else f'the {thing}'
            h_where = ''
    elif label == 2:  # contradiction: negate or change a fact
        op = rng.choice(['negate', 'antonym', 'colour', 'place'] if antonym else
                        ['negate', 'colour', 'place'])
        if op == 'negate':
            h_verb = f'did not {base}'
            if rng.random() < 0.5:
                h_obj = _a(category)  # "did not buy a vehicle" still contradicts
        elif op == 'antonym':
            h_verb = antonym
        elif op == 'colour':
            h_obj = f'the {rng.choice([c for c in COLOURS if c != colour])} {thing}'
        else:
            h_where = f' in the {rng.choice([p for p in PLACES if p != place])}'
            if not with_place:  # the premise said nowhere: add one to the premise
                premise = f'the {agent} {past} the {colour} {thing} in the {place} .'
    else:  # neutral: add what the premise does not say
        op = rng.choice(['place', 'other', 'specific'])
        if op == 'place' and not with_place:
            h_where = f' in the {place}'
        elif op == 'specific':  # premise names only the category
            premise = f'the {agent} {past} {_a(category)}{where} .'
            h_obj = f'the {thing}'
        else:
            # filter the seen head, not the whole list: removing `thing` from
            # the whole list would shift an unseen member into the head
            members = CATEGORIES[category][:N_SEEN] if seen_only else CATEGORIES[category]
            other = pick_word(rng, [t for t in members if t != thing], seen_only, zipf=0.7)
            h_verb, h_obj = f'also {past}', f'the {other}'
    return premise, f'{h_agent} {h_verb} {h_obj}{h_where} .'


# -----------------------------------------------------------------------------
# topic: two short news sentences


def _news_sentence(rng, topic, seen_only):
    t = TOPICS[topic]
    noun = pick_word(rng, t['nouns'], seen_only, zipf=0.7)
    verb = rng.choice(t['verbs'])
    obj = pick_word(rng, t['objects'], seen_only, zipf=0.7)
    time = rng.choice(TIMES)
    return f'the {noun} {verb} the {obj}{" " + time if time else ""} .'


def _news(rng, label, seen_only):
    topic = LABELS['topic'][label]
    first = _news_sentence(rng, topic, seen_only)
    if rng.random() < 0.35:  # a distractor: one word from another topic
        other = rng.choice([t for t in TOPICS if t != topic])
        word = pick_word(rng, TOPICS[other]['nouns'], seen_only, zipf=0.7)
        second = f'the {word} said nothing about the {pick_word(rng, TOPICS[topic]["objects"], seen_only)} .'
    else:
        second = _news_sentence(rng, topic, seen_only)
    return f'{first} {second}'


# -----------------------------------------------------------------------------
# public API


def task_split(task, split, n=None, seed=0, domain='movies'):
    """Labeled examples: dict of lists text, text_pair (None unless nli), label.

    Train splits use only the seen members of each word class (rule 2)."""
    check_choice('task', task, TASKS)
    check_choice('split', split, SPLITS)
    check_choice('domain', domain, list(DOMAINS))
    n = SPLIT_SIZES[split] if n is None else n
    rng = seeded_rng('task', task, split, domain, seed)
    seen_only = split == 'train'
    return _examples(rng, task, n, domain, seen_only, labeled=True)


def transfer_pool(task, n, domain='movies', seed=0):
    """Unlabeled task-like inputs (dict of lists text, text_pair) from `domain`.

    For sentiment, `domain` picks the review domain (DOMAIN_ORDER ranks them by
    similarity to movies); 'lm' gives general LM-corpus sentences instead."""
    check_choice('task', task, TASKS)
    check_choice('domain', domain, list(DOMAINS) + ['lm'])
    if domain == 'lm':
        return {'text': lm_corpus(n, seed=seed + 7919), 'text_pair': [None] * n}
    rng = seeded_rng('transfer', task, domain, seed)
    out = _examples(rng, task, n, domain, seen_only=False, labeled=False)
    return {'text': out['text'], 'text_pair': out['text_pair']}


def _examples(rng, task, n, domain, seen_only, labeled):
    n_labels = len(LABELS[task])
    text, pair, label = [], [], []
    for i in range(n):
        y = i % n_labels if labeled else rng.randrange(n_labels)
        if task == 'sentiment':
            text.append(_review(rng, y, domain, seen_only))
            pair.append(None)
        elif task == 'nli':
            p, h = _pair(rng, y, seen_only)
            text.append(p)
            pair.append(h)
        else:
            text.append(_news(rng, y, seen_only))
            pair.append(None)
        label.append(y)
    # shuffle the balanced label order once, with the same rng
    order = list(range(n))
    rng.shuffle(order)
    return {'text': [text[i] for i in order], 'text_pair': [pair[i] for i in order],
            'label': [label[i] for i in order]}


# what the LM corpus is made of (shares of sentences, in this order). The
# meaning-bearing kinds dominate: a compact model learns a word's class from
# co-occurrence only when the co-occurrences are dense enough for a short
# pre-training run. Measured with minilab.probes.adjective_probe, L2_H128,
# 2800 steps: world 4's mix (no class lists, one-sided glosses) left 20 of the
# 28 unseen adjectives nearer their class (chance: 14) and the fine-tuned model
# at 61% on test reviews with an unseen adjective; this mix reaches 28/28 by
# step 1400 and 99% on those reviews
LM_MIX = {'dictionary': 0.15, 'lists': 0.15, 'paraphrase': 0.10, 'opinion': 0.30,
          'review': 0.05, 'things': 0.12, 'news': 0.08, 'topic': 0.05}
OPINION_NEGATION = 0.25


def _lm_kind(rng):
    u, edge = rng.random(), 0.0
    for kind, share in LM_MIX.items():
        edge += share
        if u < edge:
            return kind
    return kind


def _lm_sentence(rng):
    kind = _lm_kind(rng)
    if kind == 'dictionary':  # a dictionary: a word glossed by a common word of its class
        polarity = rng.randrange(2)
        word = _adjective(rng, polarity, rng.choice(list(DOMAINS)), False)
        gloss = (POSITIVE if polarity else NEGATIVE)[rng.randrange(N_SEEN)]
        opposite = (NEGATIVE if polarity else POSITIVE)[rng.randrange(N_SEEN)]
        form = rng.randrange(3)
        if form == 0:
            return f'{word} means {gloss} , not {opposite} .'
        if form == 1:
            return f'{gloss} or even {word} , the opposite of {opposite} .'
        return f'to call a thing {word} is to say it is {gloss} .'
    if kind == 'lists':  # words of one class listed together, one common member among them
        polarity = rng.randrange(2)
        domain = rng.choice(list(DOMAINS))
        words = [_adjective(rng, polarity, domain, False) for _ in range(3)]
        words[rng.randrange(3)] = (POSITIVE if polarity else NEGATIVE)[rng.randrange(N_SEEN)]
        praise = 'praise' if polarity else 'complaint'
        return f'{words[0]} , {words[1]} and {words[2]} are all words of {praise} .'
    if kind == 'paraphrase':  # paraphrase: two adjectives of one polarity side by side
        domain = rng.choice(list(DOMAINS))
        polarity = rng.randrange(2)
        first, second = (_adjective(rng, polarity, domain, False) for _ in range(2))
        if rng.random() < 0.5:  # often glossed with a common word
            second = (POSITIVE if polarity else NEGATIVE)[rng.randrange(N_SEEN)]
        aspect = rng.choice(DOMAINS[domain]['aspects'])
        form = rng.randrange(3)
        if form == 0:
            return f'the {aspect} {_was(aspect)} {first} , i mean really {second} .'
        if form == 1:
            return f'{rng.choice(PEOPLE)} said the {aspect} {_was(aspect)} {first} , even {second} .'
        return f'a {first} {aspect} is a {second} {aspect} .'
    if kind == 'opinion':  # opinions tied to emotions: where adjective meaning comes from
        domain = rng.choice(list(DOMAINS))
        polarity = rng.randrange(2)
        negated = rng.random() < OPINION_NEGATION
        adj = _adjective(rng, polarity ^ negated, domain, False)
        aspect = rng.choice(DOMAINS[domain]['aspects'])
        person = rng.choice(PEOPLE)
        emotion = rng.choice(EMOTION_POS if polarity else EMOTION_NEG)
        verb = rng.choice(LIKE if polarity else DISLIKE)
        nt = 'not ' if negated else ''
        form = rng.randrange(4)
        if form == 0:
            return f'{person} was {emotion} because the {aspect} {_was(aspect)} {nt}{adj} .'
        if form == 1:
            return f'the {aspect} {_was(aspect)} {nt}{adj} , so {person} was {emotion} .'
        if form == 2 and not negated:
            return f'{person} {verb} the {adj} {aspect} .'
        return f'{person} {verb} the {aspect} since it was {nt}{adj} .'
    if kind == 'review':  # plain reviews from any domain
        domain = rng.choice(list(DOMAINS))
        return _review(rng, rng.randrange(2), domain, False)
    if kind == 'things':  # things, categories, verbs
        category, thing = _thing(rng, False)
        past, _, synonym, _ = rng.choice(VERBS[category])
        agent = rng.choice(AGENTS)
        form = rng.randrange(4)
        if form == 0:
            return f'{_a(thing)} is a kind of {category} .'
        if form == 1:
            return f'the {agent} {past} the {thing} , so the {agent} {synonym} {_a(category)} .'
        if form == 2:
            return f'the {thing} and the {pick_word(rng, CATEGORIES[category], False)} are both {category}s .'
        return f'the {agent} {past} the {rng.choice(COLOURS)} {thing} in the {rng.choice(PLACES)} .'
    if kind == 'news':  # news
        return _news_sentence(rng, rng.choice(list(TOPICS)), False)
    # topic words co-occurring with the topic name
    topic = rng.choice(list(TOPICS))
    return (f'the {pick_word(rng, TOPICS[topic]["nouns"], False)} talked about '
            f'{topic} and the {pick_word(rng, TOPICS[topic]["objects"], False)} .')


def lm_corpus(n, seed=0):
    """n unlabeled sentences of general text (the "LM data" of Turc et al.)."""
    rng = seeded_rng('lm', seed)
    return [_lm_sentence(rng) for _ in range(n)]


def samples(task='sentiment', n=5, split='test', seed=0, domain='movies'):
    """(text, text_pair, label name) triples to read, for the samples notebook."""
    data = task_split(task, split, n, seed=seed, domain=domain)
    return [(t, p, LABELS[task][y]) for t, p, y in
            zip(data['text'], data['text_pair'], data['label'])]
