import numpy as np
import pandas as pd
import pytest

from tasks.core.audience import (
    HOLDOUT,
    Offer,
    assign_holdout,
    choose_audience,
    expected_profit,
    profit_curve,
    rank_candidates,
)
from tasks.core.errors import ConflictError, InvalidInputError

OFFER = Offer(
    "discount",
    cost_per_acceptance=20.0,
    cost_per_contact=1.0,
    acceptance_rate=0.3,
    channels=("email",),
)


def _candidates(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    probability = rng.uniform(0, 1, n)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(n)],
            "churn_probability": probability,
            "risk_segment": np.where(
                probability >= 0.6, "high", np.where(probability >= 0.3, "medium", "low")
            ),
            "lifetime_value": rng.uniform(50, 2000, n),
        }
    )


def test_expected_profit_by_hand():
    one = pd.DataFrame({"churn_probability": [0.5], "lifetime_value": [1000.0]})
    # 0.5 x 1000 x 0.3 - 1 - 0.3 x 20 = 150 - 1 - 6
    assert expected_profit(one, OFFER)[0] == pytest.approx(143.0)


def test_profit_curve_peaks_where_marginal_profit_turns_negative():
    ranked = rank_candidates(_candidates(), OFFER, by_value=True)
    curve = profit_curve(ranked)
    gains = ranked["expected_profit"].to_numpy()
    assert curve.best_size == int((gains > 0).sum())
    assert curve.best_profit == pytest.approx(gains[gains > 0].sum())
    assert choose_audience(ranked, None, by_value=True)["expected_profit"].min() > 0


def test_without_a_value_role_the_audience_ranks_by_risk():
    ranked = rank_candidates(_candidates(), OFFER, by_value=False)
    assert ranked["churn_probability"].is_monotonic_decreasing
    assert ranked["expected_profit"].isna().all()
    assert len(choose_audience(ranked, 50, by_value=False)) == 50


def test_an_audience_of_no_one_is_refused():
    with pytest.raises(ConflictError, match="matches no one"):
        choose_audience(rank_candidates(_candidates().head(0), OFFER, True), 10, True)


@pytest.mark.parametrize("share", [0.1, 0.25, 0.5])
def test_holdout_shares_are_exact_per_segment_and_reproducible(share):
    audience = _candidates(997)
    groups = assign_holdout(audience, campaign_id=7, share=share)
    for segment, rows in audience.groupby("risk_segment"):
        held = int((groups[rows.index] == HOLDOUT).sum())
        assert held == int(np.floor(share * len(rows) + 0.5)), segment
    assert groups.equals(assign_holdout(audience, campaign_id=7, share=share))
    shuffled = audience.sample(frac=1.0, random_state=1)
    again = assign_holdout(shuffled, campaign_id=7, share=share)
    assert again.loc[groups.index].equals(groups)  # row order does not matter
    other = assign_holdout(audience, campaign_id=8, share=share)
    assert not other.equals(groups)  # each campaign draws its own holdout


@pytest.mark.parametrize("share", [0.0, 0.51, -0.1])
def test_holdout_share_outside_the_range_is_refused(share):
    with pytest.raises(InvalidInputError, match="outside"):
        assign_holdout(_candidates(), 1, share)
