"""Expected remaining months and lifetime value from a stored Cox model."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from configs.schema import Lifetime
from tasks.core.survival import (
    SurvivalModel,
    expected_lifetime,
    fit_cox_fitter,
    fit_survival_model,
)
from tests.unit.survival_data import (
    M2M,
    NO_INTERNET_DUPLICATES,
    generated_customers,
    telco_config,
    telco_frame,
)


@pytest.fixture(scope="module")
def config():
    return telco_config()


@pytest.fixture(scope="module")
def customers(config):
    return generated_customers(config)


@pytest.fixture(scope="module")
def fitted(customers, config):
    return fit_cox_fitter(customers, config), fit_survival_model(customers, config)


def _geometric_model(q: float, top: int = 12, beta: float = 0.0) -> SurvivalModel:
    """S0(u) = q**u: every month survives with ratio q (q**exp(beta * z) with covariate z),
    on the observed grid and on the tail alike."""
    return SurvivalModel(
        duration_column="tenure",
        value_column="MonthlyCharges",
        categories={},
        scaling={"z": (0.0, 1.0)},
        coefficients={"z": beta},
        baseline_cumulative_hazard=tuple(-np.log(q) * u for u in range(top + 1)),
        tail_hazard=-np.log(q),
        dropped={},
        concordance=0.5,
        hazard_ratios=(),
    )


def test_expected_lifetime_geometric_closed_form():
    q, rate, horizon = 0.9, (1.10) ** (1 / 12) - 1, 12
    tenures = [2.0, 2.7, 11.0, 12.0, 40.0]  # past the grid (12) the same constant hazard holds
    frame = pd.DataFrame({"tenure": tenures, "MonthlyCharges": 50.0, "z": 0.0})
    lifetime = Lifetime(annual_discount_rate=0.10, horizon_months=horizon)
    result = expected_lifetime(_geometric_model(q), frame, lifetime)
    a = q / (1 + rate)
    np.testing.assert_allclose(
        result["expected_remaining_months"], q * (1 - q**horizon) / (1 - q), rtol=1e-12
    )
    np.testing.assert_allclose(result["lifetime_value"], 50 * a * (1 - a**horizon) / (1 - a))
    undiscounted = expected_lifetime(
        _geometric_model(q), frame, Lifetime(annual_discount_rate=0, horizon_months=horizon)
    )
    np.testing.assert_allclose(
        undiscounted["lifetime_value"], 50 * undiscounted["expected_remaining_months"]
    )
    riskier = expected_lifetime(_geometric_model(q, beta=np.log(2)), frame.assign(z=1.0), lifetime)
    assert riskier["expected_remaining_months"].iloc[0] == pytest.approx(
        q**2 * (1 - q ** (2 * horizon)) / (1 - q**2)
    )


def test_expected_lifetime_by_hand_on_a_tiny_model():
    model = SurvivalModel(
        duration_column="tenure",
        value_column="value",
        categories={"plan": ("basic", "plus")},
        scaling={},
        coefficients={"plan=plus": np.log(2.0)},
        baseline_cumulative_hazard=(0.0, 0.1, 0.3),
        tail_hazard=0.2,
        dropped={},
        concordance=0.5,
        hazard_ratios=(),
    )
    frame = pd.DataFrame({"tenure": [1, 5], "value": [30.0, 10.0], "plan": ["plus", "basic"]})
    result = expected_lifetime(model, frame, Lifetime(annual_discount_rate=0.2, horizon_months=3))
    d = 1.2 ** (1 / 12)  # one month of discount
    # tenure 1, hazard x 2: H0(2) - H0(1) = 0.2, H0(3) - H0(1) = 0.4, H0(4) - H0(1) = 0.6
    ratios = [np.exp(-0.4), np.exp(-0.8), np.exp(-1.2)]
    assert result["expected_remaining_months"][0] == pytest.approx(sum(ratios), rel=1e-12)
    ltv = 30 * (ratios[0] / d + ratios[1] / d**2 + ratios[2] / d**3)
    assert result["lifetime_value"][0] == pytest.approx(ltv, rel=1e-12)
    # tenure 5 lies past the grid: 0.2 per month, hazard x 1
    ratios = [np.exp(-0.2), np.exp(-0.4), np.exp(-0.6)]
    assert result["expected_remaining_months"][1] == pytest.approx(sum(ratios), rel=1e-12)
    ltv = 10 * (ratios[0] / d + ratios[1] / d**2 + ratios[2] / d**3)
    assert result["lifetime_value"][1] == pytest.approx(ltv, rel=1e-12)


def test_without_a_value_column_only_remaining_months(fitted, customers, config):
    model = dataclasses.replace(fitted[1], value_column=None)
    result = expected_lifetime(model, customers.iloc[:100], config.lifetime)
    assert result["lifetime_value"].isna().all()
    assert np.isfinite(result["expected_remaining_months"]).all()
    restored = SurvivalModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert restored == model


def test_expected_lifetime_matches_a_row_by_row_sum_across_blocks(fitted, customers, config):
    model, lifetime = fitted[1], config.lifetime
    rows = customers.iloc[:40].copy()
    rows.iloc[:3, rows.columns.get_loc("tenure")] = [model.last_month, 100, 250]
    result = expected_lifetime(model, rows, lifetime, block_rows=7)
    horizon = lifetime.horizon_months
    curves = model.predict_survival(rows, months=np.arange(250 + horizon + 1))
    rate = (1 + lifetime.annual_discount_rate) ** (1 / 12) - 1
    discount = (1 + rate) ** -np.arange(1, horizon + 1)
    for i, (tenure, monthly) in enumerate(zip(rows["tenure"], rows["MonthlyCharges"], strict=True)):
        t = int(tenure)
        ratio = curves[i, t + 1 : t + horizon + 1] / curves[i, t]
        assert result["expected_remaining_months"].iloc[i] == pytest.approx(ratio.sum())
        assert result["lifetime_value"].iloc[i] == pytest.approx(monthly * (ratio * discount).sum())
    assert result.index.equals(rows.index)


def test_tail_past_the_last_observed_month_keeps_falling(fitted, customers, config):
    model = fitted[1]
    top = model.last_month
    assert top == int(customers["tenure"].max())
    h0 = np.asarray(model.baseline_cumulative_hazard)
    assert model.tail_hazard == pytest.approx((h0[top] - h0[top - 12]) / 12)
    assert model.tail_hazard > 0
    rows = customers.iloc[:20].assign(tenure=top)
    horizon = config.lifetime.horizon_months
    for tenure in (top, top + 1, 100):
        months = expected_lifetime(model, rows.assign(tenure=tenure), config.lifetime)
        assert (months["expected_remaining_months"] < horizon).all()
        curves = model.predict_survival(rows, months=[tenure, tenure + 1])
        assert (curves[:, 1] / curves[:, 0] < 1).all()


def test_tail_falls_back_to_the_mean_hazard_when_the_last_months_have_none(customers, config):
    frame = customers.copy()
    late = frame["tenure"] > frame["tenure"].max() - 12
    frame.loc[late, "Churn"] = "No"  # no events in the last 12 months
    model = fit_survival_model(frame, config)
    h0 = np.asarray(model.baseline_cumulative_hazard)
    assert model.tail_hazard == pytest.approx((h0[-1] - h0[0]) / model.last_month)
    assert model.tail_hazard > 0


def test_a_protective_covariate_never_lowers_the_figures(fitted, customers, config):
    model = fitted[1]
    assert model.coefficients["Contract=Two year"] < 0
    rows = customers.iloc[:200]
    base = expected_lifetime(model, rows.assign(Contract=M2M), config.lifetime)
    safer = expected_lifetime(model, rows.assign(Contract="Two year"), config.lifetime)
    assert (safer["expected_remaining_months"] > base["expected_remaining_months"]).all()
    assert (safer["lifetime_value"] > base["lifetime_value"]).all()


@settings(max_examples=60, deadline=None)
@given(
    increments=st.lists(st.floats(0.0, 0.5), min_size=1, max_size=30),
    tail=st.floats(0.0, 0.5),
    beta=st.floats(-3.0, 3.0),
    z=st.lists(st.floats(-3.0, 3.0), min_size=2, max_size=2),
    tenure=st.integers(0, 80),
    horizon=st.integers(1, 48),
    rate=st.floats(0.0, 0.5),
)
def test_figures_never_fall_when_the_hazard_falls(increments, tail, beta, z, tenure, horizon, rate):
    model = dataclasses.replace(
        _geometric_model(0.9, beta=beta),
        baseline_cumulative_hazard=tuple(np.concatenate([[0.0], np.cumsum(increments)])),
        tail_hazard=tail,
    )
    frame = pd.DataFrame({"tenure": tenure, "MonthlyCharges": 40.0, "z": z})
    lifetime = Lifetime(annual_discount_rate=rate, horizon_months=horizon)
    result = expected_lifetime(model, frame, lifetime)
    lower = int(np.argmin(model.predict_log_hazard(frame)))  # the row with the lower hazard
    for column in ("expected_remaining_months", "lifetime_value"):
        values = result[column].to_numpy()
        assert values[lower] >= values[1 - lower] - 1e-12
        assert (values >= 0).all()
    assert (result["expected_remaining_months"] <= horizon + 1e-9).all()


@pytest.mark.telco
def test_telco_lifetimes_rise_with_contract_length(config):
    clean = telco_frame(config)
    model = fit_survival_model(clean, config)
    duplicates = NO_INTERNET_DUPLICATES
    assert model.dropped == duplicates
    assert not set(duplicates) & set(model.hazard_ratio_table()["covariate"])
    assert model.last_month == 72 and model.tail_hazard > 0
    lifetimes = expected_lifetime(model, clean, config.lifetime)
    means = lifetimes.groupby(clean["Contract"].to_numpy()).mean()
    order = ["Month-to-month", "One year", "Two year"]
    for column in ("expected_remaining_months", "lifetime_value"):
        values = means.loc[order, column].to_numpy()
        assert (np.diff(values) > 0).all(), (column, values)
    longest = expected_lifetime(model, clean.assign(tenure=72), config.lifetime)
    assert (longest["expected_remaining_months"] < config.lifetime.horizon_months).all()
