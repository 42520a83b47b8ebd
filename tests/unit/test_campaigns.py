"""The campaign simulator's known answers."""

import itertools

import numpy as np
import pytest

from data.campaigns import (
    DEFAULT,
    NO_UPLIFT,
    simulate_campaign,
    simulate_campaigns,
    true_uplift,
    type_probabilities,
)
from tests.unit.campaign_data import scored_customers


@pytest.fixture(scope="module")
def customers():
    return scored_customers(20000, 7)


def test_type_probabilities_are_a_distribution_with_medium_risk_persuadables(customers):
    probs = type_probabilities(customers)
    assert (probs >= 0).all() and np.allclose(probs.sum(axis=1), 1.0)
    assert np.allclose(probs[:, 0] + probs[:, 2], customers["churn_probability"])
    segment = customers["risk_segment"].to_numpy()
    share = {s: probs[segment == s, 0].mean() for s in ("high", "medium", "low")}
    assert share["medium"] > 2 * max(share["high"], share["low"])


def test_large_samples_reproduce_the_true_lift(customers):
    batch = simulate_campaigns(customers, campaigns=20, treated_n=10000, seed=1)
    lifts = batch.treated_retained / batch.treated_n - batch.holdout_retained / batch.holdout_n
    assert batch.true_lift > 0.02
    assert abs(lifts.mean() - batch.true_lift) < 0.003  # standard error about 0.0013
    accepted = (batch.accepted & batch.treated).sum() / batch.treated.sum()
    assert accepted == pytest.approx(batch.true_acceptance_rate, abs=0.002)


def test_no_uplift_setting_changes_nothing(customers):
    assert np.all(true_uplift(customers, NO_UPLIFT) == 0)
    batch = simulate_campaigns(
        customers, campaigns=20, treated_n=10000, seed=2, parameters=NO_UPLIFT
    )
    lifts = batch.treated_retained / batch.treated_n - batch.holdout_retained / batch.holdout_n
    assert batch.true_lift == 0
    assert abs(lifts.mean()) < 0.003


def test_single_campaign_events_follow_the_funnel(customers):
    part = customers.iloc[:3000]
    treated = np.arange(3000) % 3 != 0
    campaign = simulate_campaign(part, treated, seed=4, value_column="MonthlyCharges")
    events = campaign.events
    steps = ["treated", "delivered", "opened", "clicked", "accepted"]
    for earlier, later in itertools.pairwise(steps):
        assert not (events[later] & ~events[earlier]).any()
    assert set(events["true_type"]) <= {"persuadable", "sure_thing", "lost_cause", "sleeping_dog"}
    sure = events["true_type"] == "sure_thing"
    assert events.loc[sure, "retained"].all()
    assert not events.loc[events["true_type"] == "lost_cause", "retained"].any()
    persuaded = events["true_type"] == "persuadable"
    assert (events.loc[persuaded, "retained"] == events.loc[persuaded, "delivered"]).all()
    assert np.allclose(events["value"], part["MonthlyCharges"] * DEFAULT.horizon_months)
    assert campaign.true_lift == pytest.approx(true_uplift(part).mean())
    again = simulate_campaign(part, treated, seed=4, value_column="MonthlyCharges")
    assert again.events.equals(events)


def test_bad_inputs_raise(customers):
    with pytest.raises(ValueError, match="treated mask"):
        simulate_campaign(customers, np.ones(3, dtype=bool), seed=0)
    with pytest.raises(ValueError, match="lack columns"):
        type_probabilities(customers.drop(columns=["Contract"]))
    with pytest.raises(ValueError, match="treated_n"):
        simulate_campaigns(customers, campaigns=2, treated_n=0, seed=0)
