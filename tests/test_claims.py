"""The claim checks of minilab.claims on small hand-made tables, tie rules
included: these functions decide every verdict of the scorecard."""
import math

import pandas as pd
import pytest

from minilab import claims


# ------------------------------------------------------------------ ordering

def test_ordering_writes_largest_first():
    assert claims.ordering(pd.Series({'basic': 62.8, 'D': 76.4, 'PF': 64.7, 'PD': 82.0})) == \
        'PD > D > PF > basic'


def test_ordering_ties_values_that_print_the_same_at_one_decimal():
    # 96.91 and 96.94 both print 96.9: a tie, written '=', in the given order
    values = {'PF': 98.4, 'basic': 96.91, 'PD': 96.94, 'D': 92.3}
    assert claims.ordering(values) == 'PF > PD = basic > D'
    # 96.94 and 96.96 print 96.9 and 97.0: not a tie
    assert claims.ordering({'a': 96.94, 'b': 96.96}) == 'b > a'


def test_ordering_keeps_the_given_order_of_exact_ties():
    assert claims.ordering({'x': 1.0, 'y': 1.0, 'z': 2.0}) == 'z > x = y'
    assert claims.ordering({'y': 1.0, 'x': 1.0}) == 'y = x'


def test_ordering_decimals_is_the_tie_rule():
    assert claims.ordering({'a': 1.04, 'b': 1.01}, decimals=0) == 'a = b'
    assert claims.ordering({'a': 1.04, 'b': 1.01}, decimals=2) == 'a > b'


# ------------------------------------------------------------ comparisons

def test_at_least_above_below_tie_rules():
    assert claims.at_least(95.0, 95.0) and not claims.at_least(94.99, 95.0)
    assert claims.above(0.1, 0) and not claims.above(0.0, 0)
    assert claims.below(-0.1, 0) and not claims.below(0.0, 0)
    nan = float('nan')
    assert not (claims.at_least(nan, 0) or claims.above(nan, 0) or claims.below(nan, 0))
    assert isinstance(claims.above(pd.Series([1.0])[0], 0), bool)


# -------------------------------------------------------------------- within

def test_within_a_margin_below_or_above():
    assert claims.within(99.4, 99.8, 1.0)      # 0.4 below
    assert claims.within(96.1, 91.6, 1.0)      # above counts
    assert claims.within(98.5, 99.5, 1.0)      # exactly 1 below: the boundary counts
    assert not claims.within(98.4, 99.5, 1.0)
    assert not claims.within(float('nan'), 99.5, 1.0)


def test_smallest_within_is_the_first_size_within_the_margin():
    table = pd.DataFrame({'PD': [82.0, 91.0, 99.6], 'D': [76.4, 97.5, 98.7],
                          'teacher': [99.95] * 3}, index=['L1_H32', 'L2_H64', 'L2_H128'])
    assert claims.smallest_within(table['PD'], table['teacher']) == 'L2_H128'
    assert claims.smallest_within(table['D'], table['teacher']) is None
    assert claims.smallest_within(table['D'], table['teacher'], margin=2.5) == 'L2_H64'
    assert claims.smallest_within(table['D'], 98.0) == 'L2_H64'  # a number as reference
    # the boundary: exactly `margin` below counts
    assert claims.smallest_within({'a': 97.0, 'b': 98.5}, 99.5, margin=1.0) == 'b'


# ---------------------------------------------------------------------- near

def test_near_absolute_and_relative_include_the_boundary():
    assert claims.near(25.7, 26.0, tol=1.0)
    assert claims.near(25.0, 26.0, tol=1.0)
    assert not claims.near(24.9, 26.0, tol=1.0)
    assert claims.near(109.48, 110, rel=0.01)      # BERT-base: 0.47% off
    assert claims.near(75.0, 100.0, rel=0.25)      # exactly 25%: the boundary counts
    assert not claims.near(74.0, 100.0, rel=0.25)
    with pytest.raises(ValueError):
        claims.near(1, 1)
    with pytest.raises(ValueError):
        claims.near(1, 1, tol=1, rel=1)


# --------------------------------------------------------------------- every

def test_every_refuses_an_empty_claim():
    assert claims.every([True, True])
    assert not claims.every([True, False])
    assert not claims.every([])
    assert claims.every(x > 0 for x in [1, 2])  # a generator
    assert not claims.every(x > 0 for x in [])


# ----------------------------------------------------------- trends, ranges

def test_increasing_is_strict():
    assert claims.increasing(pd.Series({'tiny': 81.4, 'mini': 85.7, 'small': 86.1, 'medium': 99.1}))
    assert not claims.increasing([81.4, 85.7, 85.7, 99.1])  # a tie breaks it
    assert not claims.increasing([1.0, 3.0, 2.0])
    assert not claims.increasing([1.0, float('nan'), 2.0])
    assert claims.increasing([5.0])


def test_equal_steps_is_linear_in_an_even_x():
    assert claims.equal_steps([100, 150, 200, 250])
    assert not claims.equal_steps([100, 150, 201])
    assert claims.equal_steps([7])
    assert claims.equal_steps(pd.Series([3, 6, 9], index=[1, 2, 3]))


def test_value_range():
    assert claims.value_range([50.0, 97.5, 91.8]) == 47.5
    assert claims.value_range({'a': 50.9, 'b': 92.8}) == pytest.approx(41.9)


def test_spearman_hand_computed():
    assert claims.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert claims.spearman([1, 2, 3, 4], [40, 30, 20, 10]) == pytest.approx(-1.0)
    # ranks of y: 1, 3, 2 -> d = 0, 1, -1 -> 1 - 6 * 2 / (3 * 8) = 0.5
    assert claims.spearman([1, 2, 3], [5, 9, 7]) == pytest.approx(0.5)
    # a tie in y gets the average rank: y ranks 1, 2.5, 2.5, 4 -> Pearson of ranks
    assert claims.spearman([1, 2, 3, 4], [1, 2, 2, 3]) == pytest.approx(0.9486833, abs=1e-6)
    assert math.isnan(claims.spearman([1, 2], [1, 2]))




# ======================================================= the evidence rules
# paired differences by seed, t intervals, three-way verdicts; every number
# below is computed by hand (t(0.975, 2) = 4.302653, t(0.975, 1) = 12.706205)

T2 = 4.302653


def test_t_quantile_matches_the_table():
    assert claims.t_quantile(2) == pytest.approx(T2, abs=1e-6)
    assert claims.t_quantile(1) == pytest.approx(12.706205, abs=1e-6)
    assert claims.t_quantile(4) == pytest.approx(2.776445, abs=1e-6)
    assert claims.t_quantile(30) == pytest.approx(2.042272, abs=1e-6)


def test_paired_difference_by_seed():
    # d = 2, 3, 4: mean 3, std 1, half-width 4.302653 / sqrt(3) = 2.484138
    d = claims.paired({0: 3.0, 1: 4.0, 2: 5.0}, {0: 1.0, 1: 1.0, 2: 1.0})
    assert (d.n, d.mean, d.std) == (3, 3.0, 1.0)
    assert d.low == pytest.approx(3 - 2.484138, abs=1e-6)
    assert d.high == pytest.approx(3 + 2.484138, abs=1e-6)
    assert str(d) == '+3.0±1.0 [+0.5, +5.5]'
    # a Series indexed by seed is the same
    s = claims.paired(pd.Series([3.0, 4.0, 5.0], index=[0, 1, 2]), pd.Series([1.0, 1.0, 1.0]))
    assert s == d


def test_paired_uses_only_the_seeds_both_have():
    # seeds 1 and 2: d = 1, 3: mean 2, std sqrt(2), half-width 12.706205 * sqrt(2) / sqrt(2)
    d = claims.paired({0: 10.0, 1: 11.0, 2: 13.0}, {1: 10.0, 2: 10.0, 3: 99.0})
    assert (d.n, d.mean) == (2, 2.0)
    assert d.std == pytest.approx(math.sqrt(2))
    assert (d.low, d.high) == (pytest.approx(2 - 12.706205, abs=1e-6), pytest.approx(2 + 12.706205, abs=1e-6))
    # a NaN score is no score
    assert claims.paired({0: 1.0, 1: float('nan'), 2: 2.0}, {0: 0.0, 1: 0.0, 2: 0.0}).n == 2


def test_paired_against_a_single_run():
    # the teacher is one run: every seed is compared with it. d = -1.5, -0.5, +0.5
    d = claims.paired({0: 98.0, 1: 99.0, 2: 100.0}, 99.5)
    assert (d.n, d.mean, d.std) == (3, -0.5, 1.0)
    assert d.low == pytest.approx(-0.5 - 2.484138, abs=1e-6)
    assert claims.paired(99.5, {0: 98.0, 1: 99.0, 2: 100.0}).mean == 0.5


def test_paired_without_an_interval():
    one = claims.paired(5.0, 3.0)
    assert (one.n, one.mean) == (1, 2.0) and math.isnan(one.low) and math.isnan(one.high)
    assert str(one) == '+2.0 (one seed, no interval)'
    assert claims.decide(one) == claims.INCONCLUSIVE
    none = claims.paired({0: 1.0}, {1: 1.0})
    assert none.n == 0 and str(none) == 'no paired seeds'
    assert claims.decide(none) == claims.INCONCLUSIVE


def test_decide_reads_the_interval_against_the_bound():
    d = claims.paired({0: 3.0, 1: 4.0, 2: 5.0}, {0: 1.0, 1: 1.0, 2: 1.0})  # [+0.52, +5.48]
    assert claims.decide(d) == 'holds'
    assert claims.decide(d, bound=-1.0) == 'holds'          # 'within 1 point'
    assert claims.decide(d, bound=1.0) == 'inconclusive'    # covers 1
    assert claims.decide(d, bound=6.0) == 'does not hold'
    lower = claims.paired({0: 1.0, 1: 2.0, 2: 3.0}, {0: 0.0, 1: 0.0, 2: 0.0})  # [-0.48, +4.48]
    assert claims.decide(lower) == 'inconclusive'
    minus = claims.paired({0: 0.0, 1: 0.0, 2: 0.0}, {0: 2.0, 1: 3.0, 2: 4.0})  # [-5.48, -0.52]
    assert claims.decide(minus) == 'does not hold'


def test_decide_an_interval_ending_on_the_bound_is_inconclusive():
    assert claims.decide(claims.Difference(3, 1.0, 0.5, 0.0, 2.0)) == 'inconclusive'
    assert claims.decide(claims.Difference(3, -1.0, 0.5, -2.0, 0.0)) == 'inconclusive'


def test_saturated_ceiling_and_chance():
    assert claims.saturated([99.0, 80.0]) == 'at the ceiling'        # >= 99 counts
    assert claims.saturated([98.99, 80.0]) == ''
    assert claims.saturated([52.0, 80.0], num_classes=2) == 'at chance'  # 50 + 2: the boundary counts
    assert claims.saturated([52.01, 80.0], num_classes=2) == ''
    assert claims.saturated([52.0, 80.0]) == ''                      # no chance level given
    assert claims.saturated([35.0], num_classes=3) == 'at chance'    # 33.3 + 2
    assert claims.saturated([35.0], chance=100 / 3) == 'at chance'   # a chance given directly
    assert claims.saturated([99.5, 50.0], num_classes=2) == 'at the ceiling and at chance'
    assert claims.saturated([float('nan'), 80.0], num_classes=2) == ''


def test_verdict_a_saturated_cell_never_decides():
    clear = claims.paired({0: 3.0, 1: 4.0, 2: 5.0}, {0: 1.0, 1: 1.0, 2: 1.0})   # holds on its own
    assert claims.verdict(clear, cells=[80.0, 77.0], num_classes=2) == 'holds'
    assert claims.verdict(clear, cells=[99.2, 96.0], num_classes=2) == 'inconclusive'
    assert claims.verdict(clear, cells=[51.0, 60.0], num_classes=2) == 'inconclusive'
    against = claims.paired({0: 0.0, 1: 0.0, 2: 0.0}, {0: 2.0, 1: 3.0, 2: 4.0})
    assert claims.verdict(against, cells=[80.0, 83.0], num_classes=2) == 'does not hold'
    assert claims.verdict(against, cells=[97.0, 99.0], num_classes=2) == 'inconclusive'


def test_compare_states_the_difference_its_interval_and_verdict():
    a, b = {0: 83.0, 1: 84.0, 2: 85.0}, {0: 81.0, 1: 81.0, 2: 81.0}
    c = claims.compare(a, b, 'PD - PF', num_classes=2)
    assert c.verdict == 'holds' and c.why == ''
    assert str(c) == 'PD - PF +3.0±1.0 [+0.5, +5.5]: holds'
    par = claims.compare(a, b, 'hard - teacher', bound=-1.0)
    assert str(par) == 'hard - teacher +3.0±1.0 [+0.5, +5.5], claimed > -1: holds'
    top = claims.compare({0: 99.5, 1: 99.6, 2: 99.9}, 97.0, 'PD - D', num_classes=2)
    assert top.verdict == 'inconclusive' and str(top).endswith(': inconclusive (at the ceiling)')
    # derived scores (drops): the cells are given, not the means of a and b
    drops = claims.compare({0: 3.0, 1: 4.0, 2: 5.0}, {0: 1.0, 1: 1.0, 2: 1.0}, 'drop', num_classes=2,
                           cells=[90.0, 87.0])
    assert drops.verdict == 'holds'
    assert claims.compare({0: 3.0, 1: 4.0, 2: 5.0}, {0: 1.0, 1: 1.0, 2: 1.0}, 'drop',
                          num_classes=2).why == 'at chance'  # 4 and 1 read as scores


SCORES = {'PD': {0: 90.0, 1: 91.0, 2: 92.0}, 'PF': {0: 80.0, 1: 80.0, 2: 81.0},
          'D': {0: 85.0, 1: 84.0, 2: 86.0}}


def test_chain_compares_neighbours_in_the_claimed_direction():
    steps = claims.chain(SCORES, 'PD > PF > D', num_classes=2)
    assert [s.name for s in steps] == ['PD - PF', 'PF - D']
    # PD - PF = 10, 11, 11: mean 10.67, std 0.58; PF - D = -5, -4, -5
    assert steps[0].verdict == 'holds' and steps[0].diff.mean == pytest.approx(32 / 3)
    assert steps[1].verdict == 'does not hold' and steps[1].diff.mean == pytest.approx(-14 / 3)
    assert claims.all_of(steps) == 'does not hold'
    up = claims.chain(SCORES, 'PF < D <= PD')
    assert [s.name for s in up] == ['D - PF', 'PD - D'] and claims.all_of(up) == 'holds'
    with pytest.raises(ValueError):
        claims.chain(SCORES, 'PD')


def test_rises_needs_the_end_points_and_the_rank_trend():
    up = {1: {0: 60.0, 1: 61.0, 2: 62.0}, 2: {0: 70.0, 1: 72.0, 2: 71.0}, 3: {0: 80.0, 1: 82.0, 2: 81.0}}
    c = claims.rises([3, 1, 2], up, num_classes=2)
    assert c.name == '3 - 1' and c.verdict == 'holds' and c.why == 'Spearman 1.00'
    # 20, 21, 19: mean 20, std 1
    assert (c.diff.mean, c.diff.std) == (20.0, 1.0)
    # last above first, but the means' ranks 1, 5, 4, 3, 2: rho 0 < 0.5
    hump = {x: {0: m, 1: m + 1, 2: m - 1} for x, m in zip(range(1, 6), [60.0, 90.0, 85.0, 75.0, 65.0])}
    flat = claims.rises(range(1, 6), hump, num_classes=2)
    assert flat.verdict == 'does not hold' and flat.why == 'Spearman 0.00 < 0.5'
    capped = {1: {0: 60.0, 1: 61.0, 2: 62.0}, 2: {0: 99.0, 1: 99.5, 2: 99.9}}
    assert claims.rises([1, 2], capped, num_classes=2).verdict == 'inconclusive'  # ceiling; no rho


def test_all_of_and_negation_are_three_valued():
    H, F, I = claims.HOLDS, claims.FAILS, claims.INCONCLUSIVE
    assert claims.all_of([H, H]) == H
    assert claims.all_of([H, I]) == I
    assert claims.all_of([I, F, H]) == F
    assert claims.all_of([]) == I                       # nothing tested
    assert claims.all_of([True, 'holds']) == H and claims.all_of([True, False]) == F
    assert claims.all_of(claims.chain(SCORES, 'PD > PF')) == H
    assert [claims.negation(v) for v in (H, F, I)] == [F, H, I]
    with pytest.raises(ValueError, match='unknown verdict'):
        claims.all_of(['yes'])
    assert claims.as_verdict(True) == H and claims.as_verdict('inconclusive') == I


def test_the_scorecard_takes_three_verdicts(tmp_path):
    import csv
    from minilab import report
    path = tmp_path / 'findings.csv'
    for fid, holds in (('A', 'holds'), ('B', 'inconclusive'), ('C', False), ('D', True)):
        report.record_finding(fid, 'p', 'claim', 'measured', holds, 'nb', 'mini', path=path)
    with open(path, newline='') as f:
        assert [r['holds'] for r in csv.DictReader(f)] == ['holds', 'inconclusive', 'does not hold', 'holds']
    with pytest.raises(ValueError):
        report.record_finding('E', 'p', 'claim', 'measured', 'yes', 'nb', 'mini', path=path)


# ------------------------------------------- the scores by seed claims pair

RUNS = pd.DataFrame([
    {'procedure': p, 'size': s, 'task': t, 'seed': seed, 'test_accuracy': acc}
    for p, s, t, seed, acc in [
        ('PD', 'tiny', 'a', 0, 80.0), ('PD', 'tiny', 'a', 1, 82.0), ('PD', 'tiny', 'b', 0, 60.0),
        ('PD', 'tiny', 'b', 1, 64.0), ('PF', 'tiny', 'a', 0, 70.0), ('PF', 'tiny', 'a', 1, 71.0),
        ('PF', 'tiny', 'b', 0, 50.0), ('PD', 'mini', 'a', 0, 90.0)]])


def test_per_seed_scores_by_and_macro_per_seed():
    from minilab import analysis
    assert analysis.per_seed(RUNS, procedure='PF', task='a').to_dict() == {0: 70.0, 1: 71.0}
    # several runs of a seed (two tasks) are averaged
    assert analysis.per_seed(RUNS, procedure='PD', size='tiny').to_dict() == {0: 70.0, 1: 73.0}
    by = analysis.scores_by(RUNS, 'procedure', size='tiny', task='a')
    assert list(by) == ['PD', 'PF'] and by['PD'].to_dict() == {0: 80.0, 1: 82.0}
    # the macro over tasks a and b, seed by seed; PF has no task b at seed 1: left out
    assert analysis.macro_per_seed(RUNS, ['a', 'b'], metric='test_accuracy', procedure='PD',
                                   size='tiny').to_dict() == {0: 70.0, 1: 73.0}
    assert analysis.macro_per_seed(RUNS, ['a', 'b'], metric='test_accuracy',
                                   procedure='PF').to_dict() == {0: 60.0}


def test_num_classes():
    from minilab import analysis
    assert analysis.num_classes('world/sentiment') == 2
    assert analysis.num_classes('world/nli') == 3
    assert analysis.num_classes('world/long_reviews') == 2
    assert analysis.num_classes('world/span_qa') is None      # spans, not classes
    assert analysis.num_classes('glue/mnli') == analysis.num_classes('sick') == 3
    assert analysis.num_classes('some/local.csv') is None
