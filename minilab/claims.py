"""The checks that decide whether a paper's claim holds on the kit's numbers.

Every verdict of the scorecard (results/findings.csv) comes from these
functions; the notebooks only choose which numbers to pass.

The project's evidence rules (second half of this module): each claimed
difference is two procedures' scores paired by seed, reported as mean ± std
and a t-based 95% interval; its verdict is 'holds', 'does not hold' or
'inconclusive' (the interval covers the claimed bound), and a cell at the
ceiling (>= 99%) or at chance (100 / classes) never decides a claim.

    d = claims.paired(pd_by_seed, pf_by_seed)    # Difference: n, mean, std, low, high
    claims.verdict(d, cells=[99.6, 73.7], num_classes=2)      # 'inconclusive' (ceiling)
    c = claims.compare(pd_by_seed, pf_by_seed, 'PD - PF', num_classes=2)
    str(c)   # 'PD - PF +25.8±1.3 [+22.6, +29.1]: inconclusive (at the ceiling)'
    claims.chain({'PD': ..., 'PF': ..., 'D': ...}, 'PD > PF > D')   # one per step
    claims.all_of([c, ...])                      # every part: Kleene's 'and'

The first half holds the two-way checks of numbers without seeds (parameter
counts, timings), each returning a bool, and the measured text:

    claims.near(count / 1e6, 110, rel=0.01)    # a published count, to 1%
    claims.ordering(means)                    # 'stagewise > soft = hard > labeled'
    claims.smallest_within(pd_by_size, teacher, 1.0)   # 'L2_H128'

Tie rules, one per kind of check, each said in its function:

- an order of exact numbers (above, below, at_least, increasing) is decided on
  the numbers given: 'above' and 'below' are strict, 'at_least' accepts
  equality;
- the *written* order (ordering) ties two values that print the same at one
  decimal, the precision of the scorecard (TIE_DECIMALS);
- a margin or tolerance (within, near) includes its boundary;
- a claim about 'every' item never holds on no items (every);
- a paired difference (compare, chain, rises) decides only when its 95%
  interval lies wholly on one side of the claimed bound: an interval that
  touches or covers it is 'inconclusive'; '>' and '>=' are decided alike.
"""
import math
import numbers
import re
from dataclasses import dataclass

TIE_DECIMALS = 1  # ordering(): values equal at this many decimals are written 'a = b'

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


def spearman(x, y):
    """Spearman's rank correlation of y with x (ties get average ranks); NaN
    with fewer than 3 points, where a rank correlation says nothing."""
    x, y = list(x), list(y)
    if len(x) < 3:
        return float('nan')
    from scipy.stats import spearmanr
    return float(spearmanr(x, y).statistic)


# -----------------------------------------------------------------------------
# the project's evidence rules: each claimed difference is a difference of two
# procedures' scores paired by seed, with its mean ± std over seeds and a
# t-based 95% interval; its verdict is 'holds' (the interval is above the
# claimed bound), 'does not hold' (below it) or 'inconclusive' (it covers the
# bound). A cell at the ceiling (>= 99%) or at chance (100 / classes) never
# decides: a comparison with such a cell is inconclusive.

HOLDS, FAILS, INCONCLUSIVE = 'holds', 'does not hold', 'inconclusive'
VERDICTS = (HOLDS, FAILS, INCONCLUSIVE)
CONFIDENCE = 0.95
CEILING = 99.0       # % (accuracy, F1): a cell at or above it is at the ceiling
CHANCE_MARGIN = 2.0  # points: a cell at most this far above chance is at chance


def t_quantile(df, confidence=CONFIDENCE):
    """The two-sided Student t quantile for `df` degrees of freedom
    (t_quantile(2) = 4.303, t_quantile(4) = 2.776 at 95%)."""
    from scipy.stats import t
    return float(t.ppf((1 + confidence) / 2, df))


@dataclass(frozen=True)
class Difference:
    """A paired difference a - b: n pairs, their mean and standard deviation
    (ddof 1), and the t interval mean ± t(n-1) * std / sqrt(n) (NaN for n < 2)."""
    n: int
    mean: float
    std: float
    low: float
    high: float

    def __str__(self):
        if self.n == 0:
            return 'no paired seeds'
        if self.n == 1:
            return f'{self.mean:+.1f} (one seed, no interval)'
        return f'{self.mean:+.1f}±{self.std:.1f} [{self.low:+.1f}, {self.high:+.1f}]'


def _by_seed(values):
    """{seed: value} of a mapping or Series, NaNs left out; None for a number."""
    if isinstance(values, numbers.Real):
        return None
    return {s: float(v) for s, v in values.items() if v == v}


def _mean(values):
    by_seed = _by_seed(values)
    if by_seed is None:
        return float(values)
    return sum(by_seed.values()) / len(by_seed) if by_seed else float('nan')


def paired(a, b, confidence=CONFIDENCE):
    """The difference a - b paired by seed: a and b are {seed: score} (a dict
    or a Series indexed by seed), or a number for a single run that every seed
    is compared with (a teacher, a bar). Only seeds present in both count."""
    sa, sb = _by_seed(a), _by_seed(b)
    if sa is None and sb is None:
        diffs = [float(a) - float(b)]
    elif sa is None:
        diffs = [float(a) - v for _, v in sorted(sb.items())]
    elif sb is None:
        diffs = [v - float(b) for _, v in sorted(sa.items())]
    else:
        diffs = [sa[s] - sb[s] for s in sorted(set(sa) & set(sb))]
    n = len(diffs)
    if n == 0:
        nan = float('nan')
        return Difference(0, nan, nan, nan, nan)
    mean = sum(diffs) / n
    if n == 1:
        nan = float('nan')
        return Difference(1, mean, nan, nan, nan)
    std = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1))
    half = t_quantile(n - 1, confidence) * std / math.sqrt(n)
    return Difference(n, mean, std, mean - half, mean + half)


def saturated(cells, num_classes=None, chance=None, ceiling=CEILING, margin=CHANCE_MARGIN):
    """Why these cells (mean scores in %, e.g. the two compared) cannot decide
    a claim: 'at the ceiling' when one is >= `ceiling`, 'at chance' when one is
    at most `margin` points above chance (100 / num_classes, or `chance` given
    directly, e.g. 100/3 for a three-sentence span guess); both, joined by
    'and', when one cell is at each; '' when they can decide."""
    cells = [c for c in cells if c == c]
    level = 100 / num_classes if num_classes else chance
    why = ['at the ceiling'] if any(c >= ceiling for c in cells) else []
    if level is not None and any(c <= level + margin for c in cells):
        why.append('at chance')
    return ' and '.join(why)


def decide(diff, bound=0.0):
    """The verdict of the claim 'a - b > bound' from the interval alone:
    'holds' when its lower end is above `bound`, 'does not hold' when its
    upper end is below it, else 'inconclusive' (the interval covers the bound,
    or there is no interval: fewer than 2 seeds). bound is 0 for 'a > b' and
    'a >= b' alike, -margin for 'a within margin of b'."""
    if diff.low > bound:
        return HOLDS
    if diff.high < bound:
        return FAILS
    return INCONCLUSIVE


def verdict(diff, cells=(), bound=0.0, num_classes=None, chance=None):
    """The three-way verdict of one claimed difference: 'inconclusive' when a
    cell is at the ceiling or at chance (see saturated), else decide(diff, bound)."""
    return INCONCLUSIVE if saturated(cells, num_classes, chance) else decide(diff, bound)


@dataclass(frozen=True)
class Comparison:
    """One claimed difference, decided: 'name' is what is subtracted
    ('PD - PF'), bound the claimed lower bound of the difference."""
    name: str
    diff: Difference
    bound: float
    verdict: str
    why: str = ''

    def __str__(self):
        claim = f', claimed > {self.bound:+g}' if self.bound else ''
        why = f' ({self.why})' if self.why else ''
        return f'{self.name} {self.diff}{claim}: {self.verdict}{why}'


def compare(a, b, name='a - b', bound=0.0, cells=None, num_classes=None, chance=None):
    """The claim 'a - b > bound' on scores paired by seed (see paired),
    decided by verdict(). cells: the mean scores the ceiling/chance rule looks
    at (default: the means of a and b; pass the underlying scores when a and b
    are derived, such as drops or ranges)."""
    cells = [_mean(a), _mean(b)] if cells is None else list(cells)
    diff = paired(a, b)
    why = saturated(cells, num_classes, chance)
    return Comparison(name, diff, bound, INCONCLUSIVE if why else decide(diff, bound), why)


def chain(scores, claimed, **rules):
    """The comparisons of a claimed order, one per neighbouring pair:
    chain(scores, 'PD > PF > D') compares PD - PF and PF - D; '<' and '<='
    read the other way ('a < b' compares b - a). '>=' and '>' are decided
    alike: an interval covering 0 is inconclusive either way. scores: {name:
    {seed: score}}; rules go to compare (num_classes, chance)."""
    parts = _CHAIN.split(claimed.strip())
    names, ops = parts[0::2], parts[1::2]
    if not ops:
        raise ValueError(f'no comparison in {claimed!r}: write e.g. "a > b >= c"')
    out = []
    for a, op, b in zip(names, ops, names[1:]):
        hi, lo = (a, b) if op in ('>', '>=') else (b, a)
        out.append(compare(scores[hi], scores[lo], f'{hi} - {lo}', **rules))
    return out


def rises(x, scores, min_rho=0.5, **rules):
    """'The score grows with x': the paired difference between the largest
    and the smallest x is above 0 (compare), and the rank correlation of the
    mean scores with x is not below `min_rho` (else 'does not hold').
    scores: {x value: {seed: score}}. Returns a Comparison whose why names
    Spearman's rho."""
    xs = sorted(x)
    first, last = xs[0], xs[-1]
    rho = spearman(xs, [_mean(scores[v]) for v in xs])
    c = compare(scores[last], scores[first], f'{last} - {first}', **rules)
    note = f'Spearman {rho:.2f}'
    if rho < min_rho:
        return Comparison(c.name, c.diff, c.bound, FAILS, f'{note} < {min_rho:g}')
    return Comparison(c.name, c.diff, c.bound, c.verdict, f'{c.why}; {note}' if c.why else note)


def all_of(verdicts):
    """Every part of a claim (Kleene's 'and'): 'does not hold' if a part does
    not hold, else 'inconclusive' if a part is, else 'holds'. No parts:
    'inconclusive' (nothing was tested). Accepts verdicts, bools and
    Comparisons."""
    vs = [_verdict_of(v) for v in verdicts]
    if not vs:
        return INCONCLUSIVE
    if FAILS in vs:
        return FAILS
    return INCONCLUSIVE if INCONCLUSIVE in vs else HOLDS


def negation(v):
    """'holds' <-> 'does not hold'; 'inconclusive' stays."""
    v = _verdict_of(v)
    return {HOLDS: FAILS, FAILS: HOLDS}.get(v, INCONCLUSIVE)


def _verdict_of(v):
    if isinstance(v, Comparison):
        return v.verdict
    if isinstance(v, bool):
        return HOLDS if v else FAILS
    if v not in VERDICTS:
        raise ValueError(f'unknown verdict {v!r}; valid: {", ".join(VERDICTS)}')
    return v


def as_verdict(holds):
    """A scorecard verdict from a bool (a deterministic check: counts,
    timings) or a three-way verdict string."""
    return _verdict_of(holds)
