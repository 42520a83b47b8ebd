import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from configs.schema import Lifetime, Segments, load_config
from tasks.core.kpis import assign_risk_segments, compute_kpis, horizon_factor

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "telco.yaml"
M2M, ONE, TWO = "Month-to-month", "One year", "Two year"
CONTRACTS = [M2M, M2M, ONE, ONE, TWO, M2M]  # c1..c6


@pytest.fixture(scope="module")
def config():
    base = load_config(CONFIG)  # segments high 0.6, medium 0.3
    return base.model_copy(
        update={"lifetime": Lifetime(annual_discount_rate=0.10, horizon_months=3)}
    )


@pytest.fixture
def scores():
    return pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3", "c4", "c5", "c6"],
            "churn_probability": [0.9, 0.6, 0.3, 0.5, 0.1, 0.2999],
            "risk_segment": ["high", "high", "medium", "medium", "low", "low"],
            "monthly_value": [100.0, 50.0, 80.0, 40.0, 20.0, 60.0],
            "segment_value": CONTRACTS,
            "expected_remaining_months": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
            "lifetime_value": [800.0, 900.0, 2000.0, 1500.0, 1000.0, 1200.0],
        }
    )


def test_segments_are_inclusive_at_the_cut_offs():
    cuts = Segments(high=0.6, medium=0.3)
    probabilities = [0.6, 0.5999999, 0.3, 0.2999999, 1.0, 0.0]
    assert assign_risk_segments(probabilities, cuts).tolist() == [
        "high",
        "medium",
        "medium",
        "low",
        "high",
        "low",
    ]
    with pytest.raises(ValueError, match="missing"):
        assign_risk_segments([0.5, np.nan], cuts)


def test_fixture_segments_follow_the_config(scores, config):
    assigned = assign_risk_segments(scores["churn_probability"], config.segments)
    assert assigned.tolist() == scores["risk_segment"].tolist()


def test_kpis_match_hand_computed_values(scores, config):
    kpis = compute_kpis(scores, config)
    rate = 1.10 ** (1 / 12) - 1  # monthly rate from the 10% annual rate
    at_risk = 0.9 * 100 + 0.6 * 50 + 0.3 * 80 + 0.5 * 40 + 0.1 * 20 + 0.2999 * 60  # 183.994
    horizon = at_risk / (1 + rate) + at_risk / (1 + rate) ** 2 + at_risk / (1 + rate) ** 3
    assert kpis["customers_scored"] == 6
    assert kpis["observed_churn_rate"] is None
    assert kpis["average_score"] == pytest.approx((0.9 + 0.6 + 0.3 + 0.5 + 0.1 + 0.2999) / 6)
    assert kpis["segments"] == {
        "high": {"count": 2, "share": round(2 / 6, 6)},
        "medium": {"count": 2, "share": round(2 / 6, 6)},
        "low": {"count": 2, "share": round(2 / 6, 6)},
    }
    assert kpis["revenue_at_risk_monthly"] == pytest.approx(183.994, abs=1e-9)
    assert kpis["revenue_at_risk_horizon"] == pytest.approx(horizon, abs=1e-6)
    assert 3 * at_risk * 0.97 < horizon < 3 * at_risk  # discounting takes a little off
    assert kpis["average_lifetime_value"] == pytest.approx(7400 / 6, abs=1e-6)
    assert kpis["average_expected_remaining_months"] == pytest.approx(35.0)
    assert horizon_factor(0.10, 3) == pytest.approx(horizon / at_risk)
    assert horizon_factor(0.0, 12) == 12.0
    json.dumps(kpis, allow_nan=False)  # JSON-able, no NaN
    assert isinstance(kpis["segments"]["high"]["count"], int)


def test_kpis_per_contract_type(scores, config):
    by = compute_kpis(scores, config)["by_segment"]
    rate = 1.10 ** (1 / 12) - 1
    factor = sum((1 + rate) ** -m for m in (1, 2, 3))
    assert by["column"] == "Contract"
    assert list(by["values"]) == ["Month-to-month", "One year", "Two year"]
    monthly = by["values"]["Month-to-month"]  # c1, c2, c6
    assert monthly["customers_scored"] == 3
    assert monthly["average_score"] == pytest.approx(round((0.9 + 0.6 + 0.2999) / 3, 6))
    assert monthly["revenue_at_risk_monthly"] == pytest.approx(90 + 30 + 17.994)
    assert monthly["revenue_at_risk_horizon"] == pytest.approx(137.994 * factor, abs=1e-6)
    assert monthly["average_lifetime_value"] == pytest.approx((800 + 900 + 1200) / 3, abs=1e-6)
    assert monthly["segments"]["medium"] == {"count": 0, "share": 0.0}
    two_year = by["values"]["Two year"]  # c5 only: high and medium are empty, still reported
    assert two_year["segments"] == {
        "high": {"count": 0, "share": 0.0},
        "medium": {"count": 0, "share": 0.0},
        "low": {"count": 1, "share": 1.0},
    }
    assert two_year["revenue_at_risk_monthly"] == pytest.approx(2.0)


def test_labels_give_observed_churn_rates(scores, config):
    text = pd.Series(["Yes", "No", "Yes", "No", "No", "No"])
    kpis = compute_kpis(scores, config, labels=text)
    assert kpis["observed_churn_rate"] == round(2 / 6, 6)
    assert kpis["by_segment"]["values"]["One year"]["observed_churn_rate"] == 0.5
    assert kpis["by_segment"]["values"]["Two year"]["observed_churn_rate"] == 0.0
    as_bool = compute_kpis(scores, config, labels=text.eq("Yes"))
    assert as_bool["observed_churn_rate"] == kpis["observed_churn_rate"]
    with pytest.raises(ValueError, match="labels"):
        compute_kpis(scores, config, labels=text.iloc[:3])


def test_absent_contract_type_and_empty_scores(scores, config):
    kpis = compute_kpis(scores[scores["segment_value"] != "Two year"], config)
    absent = kpis["by_segment"]["values"]["Two year"]
    assert absent["customers_scored"] == 0
    assert absent["average_score"] is None and absent["average_lifetime_value"] is None
    assert absent["revenue_at_risk_monthly"] == 0.0
    assert absent["segments"]["low"] == {"count": 0, "share": 0.0}
    empty = compute_kpis(scores.iloc[:0], config, labels=pd.Series([], dtype=object))
    assert empty["customers_scored"] == 0 and empty["observed_churn_rate"] is None
    assert empty["segments"]["high"] == {"count": 0, "share": 0.0}


def test_unexpected_segment_value_is_reported_and_columns_are_checked(scores, config):
    odd = scores.assign(segment_value=scores["segment_value"].replace("Two year", "Three year"))
    values = compute_kpis(odd, config)["by_segment"]["values"]
    assert values["Three year"]["customers_scored"] == 1
    assert values["Two year"]["customers_scored"] == 0
    with pytest.raises(ValueError, match="lifetime_value"):
        compute_kpis(scores.drop(columns="lifetime_value"), config)
