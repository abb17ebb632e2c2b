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


# ------------------------------------------------------------------- follows

MH = pd.Series({'labeled': 94.5, 'hard': 99.4, 'soft': 99.7, 'stagewise': 99.8})


def test_follows_a_chain_of_strict_and_non_strict_comparisons():
    assert claims.follows(MH, 'labeled < hard <= soft <= stagewise')
    assert claims.follows(MH, 'stagewise >= soft > hard > labeled')
    assert not claims.follows(MH, 'hard < labeled')
    topic = {'labeled': 98.2, 'hard': 96.1, 'soft': 97.1, 'stagewise': 96.6}
    assert not claims.follows(topic, 'labeled < hard <= soft <= stagewise')


def test_follows_tie_rule_strict_breaks_non_strict_accepts():
    tied = {'a': 99.9, 'b': 99.9}
    assert not claims.follows(tied, 'a > b')
    assert not claims.follows(tied, 'a < b')
    assert claims.follows(tied, 'a >= b')
    assert claims.follows(tied, 'a <= b')
    # exact numbers, not the printed ones: 99.94 > 99.91 although both print 99.9
    assert claims.follows({'a': 99.94, 'b': 99.91}, 'a > b')


def test_follows_names_with_spaces_and_missing_values():
    assert claims.follows({'random init': 12.9, 'no L_ce': -1.9}, 'random init > no L_ce')
    assert not claims.follows({'a': float('nan'), 'b': 1.0}, 'a > b')
    assert not claims.follows({'a': float('nan'), 'b': 1.0}, 'a <= b')
    with pytest.raises(ValueError, match='no comparison'):
        claims.follows({'a': 1}, 'a')
    with pytest.raises(KeyError):
        claims.follows({'a': 1}, 'a > b')


def test_follows_on_a_table_row_ignores_other_columns():
    row = pd.Series({'params': 1e6, 'basic': 70.0, 'D': 80.0, 'PF': 75.0, 'PD': 90.0, 'teacher': 99.0})
    assert not claims.follows(row, 'PD > PF > D > basic')
    assert claims.follows(row, 'PD > D > PF > basic')


# ------------------------------------------------------ is_best, comparisons

def test_is_best_counts_a_tie_for_the_top():
    arms = pd.Series({'mse': 99.8, 'kl': 99.2, 'cosine': 99.5, 'joint': 100.0})
    assert claims.is_best(arms, 'mse', ['kl', 'cosine'])
    assert not claims.is_best(arms, 'mse', ['joint'])
    assert not claims.is_best(arms, 'mse')  # default: against all the rest
    assert claims.is_best({'a': 2.0, 'b': 2.0, 'c': 1.0}, 'a')
    assert claims.is_best({'a': 2.0}, 'a')  # nothing to beat


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


def test_value_range_and_flatter():
    assert claims.value_range([50.0, 97.5, 91.8]) == 47.5
    assert claims.flatter({'a': 50.9, 'b': 92.8}, [50.0, 97.5])        # 41.9 < 47.5
    assert not claims.flatter([1.0, 3.0], [0.0, 2.0])                  # equal ranges: not flatter


def test_spearman_hand_computed():
    assert claims.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert claims.spearman([1, 2, 3, 4], [40, 30, 20, 10]) == pytest.approx(-1.0)
    # ranks of y: 1, 3, 2 -> d = 0, 1, -1 -> 1 - 6 * 2 / (3 * 8) = 0.5
    assert claims.spearman([1, 2, 3], [5, 9, 7]) == pytest.approx(0.5)
    # a tie in y gets the average rank: y ranks 1, 2.5, 2.5, 4 -> Pearson of ranks
    assert claims.spearman([1, 2, 3, 4], [1, 2, 2, 3]) == pytest.approx(0.9486833, abs=1e-6)
    assert math.isnan(claims.spearman([1, 2], [1, 2]))


def test_rises_with_needs_the_end_points_and_the_rank_trend():
    sizes = [250, 1000, 2000, 4000]
    assert claims.rises_with(sizes, [51.4, 58.4, 99.8, 99.8])     # a tie at the top: rho 0.95
    assert not claims.rises_with(sizes, [60.0, 50.0, 55.0, 59.0])  # last below first
    # last above first, but no rank trend: d = 0, -3, -1, 1, 3 -> rho = 1 - 6 * 20 / 120 = 0
    assert not claims.rises_with([1, 2, 3, 4, 5], [1.0, 5.0, 4.0, 3.0, 2.0])
    assert claims.rises_with([1, 2, 3, 4, 5], [1.0, 5.0, 4.0, 3.0, 2.0], min_rho=-0.5)
    # the order of the points does not matter, x does
    assert claims.rises_with([4000, 250, 1000], [99.0, 50.0, 60.0])
    # two points: no rank test, the end points decide (equal: does not rise)
    assert claims.rises_with([100, 300], [50.0, 51.0])
    assert not claims.rises_with([100, 300], [50.0, 50.0])
    assert not claims.rises_with([100], [50.0])
