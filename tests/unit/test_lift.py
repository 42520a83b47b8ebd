"""Newcombe lift intervals, p-values and revenue intervals; coverage on simulated campaigns."""

import math

import numpy as np
import pytest
from scipy import stats

from data.campaigns import simulate_campaigns
from tasks.core.lift import (
    FISHER,
    NEWCOMBE,
    POOLED_Z,
    lift_interval,
    lift_intervals,
    revenue_interval,
    revenue_intervals,
)
from tests.unit.campaign_data import scored_customers

Z = 1.959963984540054

# Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10.
NEWCOMBE_TABLE = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


def _wilson_by_hand(x, n):
    p = x / n
    centre = p + Z * Z / (2 * n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return (centre - half) / (1 + Z * Z / n), (centre + half) / (1 + Z * Z / n)


@pytest.mark.parametrize(("counts", "published"), NEWCOMBE_TABLE)
def test_newcombe_matches_the_published_examples_and_a_hand_computation(counts, published):
    x1, n1, x2, n2 = counts
    found = lift_interval(x1, n1, x2, n2)
    assert (round(found.low, 4), round(found.high, 4)) == published
    (l1, u1), (l2, u2) = _wilson_by_hand(x1, n1), _wilson_by_hand(x2, n2)
    p1, p2 = x1 / n1, x2 / n2
    assert found.low == pytest.approx(p1 - p2 - math.hypot(p1 - l1, u2 - p2), abs=1e-12)
    assert found.high == pytest.approx(p1 - p2 + math.hypot(u1 - p1, p2 - l2), abs=1e-12)
    assert found.lift == pytest.approx(p1 - p2)
    assert found.method == NEWCOMBE and found.level == 0.95


def test_empty_groups_and_impossible_counts_raise():
    with pytest.raises(ValueError, match="treated group is empty"):
        lift_interval(0, 0, 5, 10)
    with pytest.raises(ValueError, match="holdout group is empty"):
        lift_interval(5, 10, 0, 0)
    with pytest.raises(ValueError, match="between 0 and the group size"):
        lift_interval(11, 10, 5, 10)
    with pytest.raises(ValueError, match="between 0 and the group size"):
        lift_interval(-1, 10, 5, 10)
    with pytest.raises(ValueError, match="whole numbers"):
        lift_interval(2.5, 10, 5, 10)
    with pytest.raises(ValueError, match="level"):
        lift_interval(5, 10, 5, 10, level=1.0)


def test_zero_and_full_retention_give_valid_intervals():
    none = lift_interval(0, 40, 0, 60)
    assert none.lift == 0 and -1 < none.low < 0 < none.high < 1 and none.p_value == 1.0
    full = lift_interval(40, 40, 60, 60)
    assert full.lift == 0 and full.low < 0 < full.high and full.p_value == 1.0


def test_wider_level_gives_a_wider_interval():
    narrow, wide = lift_interval(300, 400, 270, 400, 0.90), lift_interval(300, 400, 270, 400, 0.99)
    assert wide.low < narrow.low < narrow.lift < narrow.high < wide.high


def test_large_counts_use_the_pooled_z_test():
    found = lift_interval(820, 1000, 780, 1000)
    table = [[820, 180], [780, 220]]
    chi2 = stats.chi2_contingency(table, correction=False)
    assert found.test == POOLED_Z
    assert found.p_value == pytest.approx(chi2.pvalue, rel=1e-9)  # z^2 is the chi-square
    assert lift_interval(500, 1000, 500, 1000).p_value == pytest.approx(1.0)


def test_small_counts_use_fisher_exact():
    found = lift_interval(9, 10, 3, 10)
    assert found.test == FISHER
    assert found.p_value == pytest.approx(stats.fisher_exact([[9, 1], [3, 7]]).pvalue)
    assert 0.01 < found.p_value < 0.05


def test_vectorised_form_matches_the_single_campaign():
    counts = np.array([(56, 70, 48, 80), (820, 1000, 780, 1000), (0, 10, 0, 20)])
    found = lift_intervals(*counts.T)
    for row, (x1, n1, x2, n2) in enumerate(counts):
        one = lift_interval(x1, n1, x2, n2)
        assert (found.low[row], found.high[row]) == pytest.approx((one.low, one.high))
    assert found.p_value[1] == pytest.approx(lift_interval(820, 1000, 780, 1000).p_value)


def test_lift_interval_covers_the_true_lift_in_95_percent_of_campaigns():
    customers = scored_customers(2000, 11)
    batch = simulate_campaigns(customers, campaigns=2000, treated_n=1000, seed=5)
    found = lift_intervals(
        batch.treated_retained, batch.treated_n, batch.holdout_retained, batch.holdout_n
    )
    covered = (found.low <= batch.true_lift) & (batch.true_lift <= found.high)
    assert 0.93 <= covered.mean() <= 0.97, covered.mean()
    assert abs(found.lift.mean() - batch.true_lift) < 0.002


def test_revenue_point_estimate_by_hand():
    retained = np.array([1, 1, 0, 1])
    value = np.array([100.0, 200.0, 300.0, 400.0])
    accepted = np.array([1, 0, 1, 0])
    holdout = np.array([1, 0, 0, 1, 0])
    found = revenue_interval(retained, value, holdout, accepted, 20.0, 2.0, resamples=500)
    expected = (0.75 - 0.4) * 1000.0 - 20.0 * 2 - 2.0 * 4
    assert found.net_revenue == pytest.approx(expected)
    assert found.incremental_revenue == pytest.approx(350.0)
    assert (found.offer_costs, found.contact_costs) == (40.0, 8.0)
    assert found.low < found.net_revenue < found.high
    assert found.resamples == 500 and found.method == "percentile_bootstrap"
    again = revenue_interval(retained, value, holdout, accepted, 20.0, 2.0, resamples=500)
    assert (again.low, again.high) == (found.low, found.high)


def test_revenue_interval_rejects_empty_groups():
    with pytest.raises(ValueError, match="empty"):
        revenue_interval([], [], [1, 0], [], 1.0, 1.0)
    with pytest.raises(ValueError, match="empty"):
        revenue_interval([1], [10.0], [], [0], 1.0, 1.0)
    with pytest.raises(ValueError, match="missing"):
        revenue_interval([1, 0], [10.0, np.nan], [1], [0, 0], 1.0, 1.0)


def test_revenue_interval_covers_the_true_net_revenue_in_95_percent_of_campaigns():
    customers = scored_customers(800, 13)
    batch = simulate_campaigns(
        customers, campaigns=1000, treated_n=400, seed=8, value_column="MonthlyCharges"
    )
    offer_cost, contact_cost = 30.0, 1.5
    treated_value = batch.group(batch.value, treated=True)
    found = revenue_intervals(
        batch.group(batch.retained, treated=True),
        treated_value,
        batch.group(batch.retained, treated=False),
        batch.group(batch.accepted, treated=True),
        offer_cost,
        contact_cost,
        resamples=300,
        seed=1,
    )
    # Contacting 400 customers drawn from this base: expected lift x value, minus costs.
    per_customer = (
        batch.true_lift * batch.value.mean()
        - offer_cost * batch.true_acceptance_rate
        - contact_cost
    )
    truth = 400 * per_customer
    covered = (found.low <= truth) & (truth <= found.high)
    assert 0.93 <= covered.mean() <= 0.97, covered.mean()
    assert found.resamples == 300
