"""The checks that decide whether a paper's claim holds on the kit's numbers.

Every verdict of the scorecard (results/findings.csv) comes from one of these
functions; the notebooks only choose which numbers to pass. Each takes plain
numbers, or a mapping / pandas Series of numbers by name (a procedure, a size),
and returns a bool (or, for ordering and smallest_within, what was measured).

    claims.follows(means, 'labeled < hard <= soft <= stagewise')   # True / False
    claims.ordering(means)                  # 'stagewise > soft = hard > labeled'
    claims.within(student, teacher, 1.0)    # at most 1 point below (or above)
    claims.rises_with(sizes, accuracy)      # grows with the size (Spearman >= 0.5)

Tie rules, one per kind of check, each said in its function:

- a claimed order (follows, is_best, above, below, at_least, increasing) is
  decided on the exact numbers given: '>' and '<' are strict, '>=' and '<='
  accept equality;
- the *written* order (ordering) ties two values that print the same at one
  decimal, the precision of the scorecard (TIE_DECIMALS);
- a margin or tolerance (within, near) includes its boundary;
- a claim about 'every' item never holds on no items (every).
"""
import numbers
import operator
import re

TIE_DECIMALS = 1  # ordering(): values equal at this many decimals are written 'a = b'

_OPERATORS = {'>': operator.gt, '>=': operator.ge, '<': operator.lt, '<=': operator.le}
_CHAIN = re.compile(r'\s*(>=|<=|>|<)\s*')


def _items(values):
    """(name, value) pairs of a mapping or a pandas Series, in their order."""
    return list(values.items())


def _numbers(values):
    """The values of a mapping or Series, or the items of a sequence, in order."""
    return [v for _, v in values.items()] if hasattr(values, 'items') else list(values)


def ordering(values, decimals=TIE_DECIMALS):
    """The measured order as text, largest first: 'a > b = c'.

    Tie rule: two neighbours are written 'a = b' when they are equal once
    rounded to `decimals` (1: the precision the scorecard prints), else
    'a > b'. Equal values keep the order in which they were given."""
    items = _items(values)
    ranked = sorted(items, key=lambda kv: -kv[1])  # stable: ties keep the given order
    text = str(ranked[0][0])
    for (_, a), (name, b) in zip(ranked, ranked[1:]):
        text += (' = ' if round(a, decimals) == round(b, decimals) else ' > ') + str(name)
    return text


def follows(values, chain):
    """True when `values` follow the claimed `chain`, e.g. 'PD > PF > D > basic'
    or 'labeled < hard <= soft <= stagewise' (names are keys of `values`).

    Each neighbouring pair is compared on the exact values: '>' and '<' are
    strict (a tie breaks the claim), '>=' and '<=' accept a tie. A missing
    value (NaN) breaks the claim."""
    parts = _CHAIN.split(chain.strip())
    names, ops = parts[0::2], parts[1::2]
    if not ops:
        raise ValueError(f'no comparison in {chain!r}: write e.g. "a > b >= c"')
    return all(bool(_OPERATORS[op](values[a], values[b]))
               for a, op, b in zip(names, ops, names[1:]))


def is_best(values, key, others=None):
    """True when values[key] >= every other value (of `others`, default: all
    the rest). A tie for the top counts as best."""
    others = [k for k, _ in _items(values) if k != key] if others is None else list(others)
    return all(bool(values[key] >= values[o]) for o in others)


def at_least(value, bar):
    """value >= bar: reaching the bar exactly counts."""
    return bool(value >= bar)


def above(value, bar):
    """value > bar, strictly: a tie does not count."""
    return bool(value > bar)


def below(value, bar):
    """value < bar, strictly: a tie does not count."""
    return bool(value < bar)


def within(value, reference, margin):
    """'At par': value is at most `margin` below `reference`, or above it
    (value >= reference - margin; exactly `margin` below counts)."""
    return bool(value >= reference - margin)


def smallest_within(values, reference, margin=1.0):
    """The first name of `values` (ordered smallest model first) whose value
    is within `margin` of `reference` (see within), or None. `reference` is a
    number, or a mapping by the same names."""
    for name, value in _items(values):
        ref = reference if isinstance(reference, numbers.Real) else reference[name]
        if within(value, ref, margin):
            return name
    return None


def near(value, target, tol=None, rel=None):
    """value matches target to an absolute tolerance (|value - target| <= tol)
    or a relative one (|value / target - 1| <= rel, e.g. 0.01 for a published
    count rounded to the million); the boundary counts as a match."""
    if (tol is None) == (rel is None):
        raise ValueError('give exactly one of tol (absolute) and rel (relative)')
    if tol is not None:
        return bool(abs(value - target) <= tol)
    return bool(abs(value / target - 1) <= rel)


def every(checks):
    """True when there is at least one check and every one holds: a claim
    about every size, pair or task does not hold on none."""
    checks = [bool(c) for c in checks]
    return bool(checks) and all(checks)


def increasing(values):
    """Strictly increasing in the given order (a tie or a NaN breaks it; one
    value is increasing)."""
    v = _numbers(values)
    return all(bool(b > a) for a, b in zip(v, v[1:]))


def equal_steps(values):
    """Linear in an evenly spaced x: every step between neighbours is the
    same (exactly: meant for counts such as parameters per added layer)."""
    v = _numbers(values)
    return len({b - a for a, b in zip(v, v[1:])}) <= 1


def value_range(values):
    """max - min of the values."""
    v = _numbers(values)
    return max(v) - min(v)


def flatter(values, than):
    """True when `values` vary less than `than` (range max - min, strictly
    smaller)."""
    return bool(value_range(values) < value_range(than))


def spearman(x, y):
    """Spearman's rank correlation of y with x (ties get average ranks); NaN
    with fewer than 3 points, where a rank correlation says nothing."""
    x, y = list(x), list(y)
    if len(x) < 3:
        return float('nan')
    from scipy.stats import spearmanr
    return float(spearmanr(x, y).statistic)


def rises_with(x, y, min_rho=0.5):
    """'y grows with x': y at the largest x is above y at the smallest x
    (strictly), and the rank correlation is not below `min_rho`. With fewer
    than 3 points there is no rank correlation and the end points decide."""
    pairs = sorted(zip(x, y), key=lambda p: p[0])
    if len(pairs) < 2:
        return False
    rho = spearman(*zip(*pairs))
    return bool(pairs[-1][1] > pairs[0][1]) and not rho < min_rho  # NaN: no rank test
