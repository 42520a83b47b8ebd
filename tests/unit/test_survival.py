import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.statistics import proportional_hazard_test
from matplotlib.figure import Figure

from configs.schema import Lifetime, load_config
from data.generate import generate_customers
from tasks.core.contract import validate_frame
from tasks.core.cox_design import collinear_columns
from tasks.core.survival import (
    KM_COLUMNS,
    SurvivalModel,
    cox_design,
    expected_lifetime,
    fit_cox_fitter,
    fit_survival_model,
    kaplan_meier_figure,
    kaplan_meier_table,
    median_survival,
    proportional_hazards_check,
)

REPO = Path(__file__).resolve().parents[2]
TELCO_CSV = REPO.parent / "shared/data/telco-customer-churn.csv"


@pytest.fixture(scope="module")
def config():
    return load_config(REPO / "configs" / "telco.yaml")


@pytest.fixture(scope="module")
def customers(config):
    return validate_frame(generate_customers(3000, seed=11), config, "training").clean


@pytest.fixture(scope="module")
def fitted(customers, config):
    return fit_cox_fitter(customers, config), fit_survival_model(customers, config)


def _km_inputs(frame):
    return frame["tenure"], frame["Churn"] == "Yes", frame["Contract"]


def test_km_table_matches_lifelines_per_group(customers):
    durations, events, groups = _km_inputs(customers)
    table = kaplan_meier_table(durations, events, groups)
    assert list(table.columns) == KM_COLUMNS
    assert list(pd.unique(table["group"])) == ["Month-to-month", "One year", "Two year"]
    for group, rows in table.groupby("group"):
        mask = (groups == group).to_numpy()
        km = KaplanMeierFitter().fit(durations[mask], events[mask])
        ci = km.confidence_interval_survival_function_
        np.testing.assert_array_equal(rows["timeline"], km.survival_function_.index)
        np.testing.assert_allclose(rows["survival"], km.survival_function_.iloc[:, 0], rtol=1e-12)
        np.testing.assert_allclose(rows["ci_lower"], ci.iloc[:, 0], rtol=1e-12)
        np.testing.assert_allclose(rows["ci_upper"], ci.iloc[:, 1], rtol=1e-12)
        np.testing.assert_array_equal(rows["at_risk"], km.event_table["at_risk"])
        assert rows["at_risk"].iloc[0] == mask.sum()


def test_median_survival_matches_lifelines_and_none_when_never_reached(customers):
    durations, events, groups = _km_inputs(customers)
    medians = median_survival(kaplan_meier_table(durations, events, groups))
    for group, median in medians.items():
        mask = (groups == group).to_numpy()
        expected = KaplanMeierFitter().fit(durations[mask], events[mask]).median_survival_time_
        assert median == (None if np.isinf(expected) else expected)
    assert medians["Month-to-month"] is not None and medians["Two year"] is None
    assert median_survival(kaplan_meier_table([1, 2, 3, 4], [1, 0, 0, 0])) == {"all": None}
    assert median_survival(kaplan_meier_table([1, 2, 3, 4], [1, 1, 0, 0])) == {"all": 2.0}


def test_km_figure_draws_one_curve_and_band_per_group(customers):
    table = kaplan_meier_table(*_km_inputs(customers))
    figure = kaplan_meier_figure(table, "Retention by contract")
    axes = figure.axes[0]
    assert isinstance(figure, Figure) and axes.get_title() == "Retention by contract"
    assert [line.get_label() for line in axes.get_lines()] == list(pd.unique(table["group"]))
    assert len(axes.collections) == 3


def test_design_is_one_hot_without_the_first_category_and_standardised(fitted, customers):
    (_, design), model = fitted
    assert "Contract=One year" in design and "Contract=Two year" in design
    assert not any(c.startswith("Contract=Month-to-month") for c in design.columns)
    np.testing.assert_array_equal(design["Contract=Two year"], customers["Contract"] == "Two year")
    assert design["MonthlyCharges"].mean() == pytest.approx(0.0, abs=1e-9)
    assert design["MonthlyCharges"].std() == pytest.approx(1.0)
    assert model.categories["Contract"] == ("Month-to-month", "One year", "Two year")
    assert (customers["tenure"] == 0).any()  # zero durations are fitted as they are


def test_stored_model_predicts_lifelines_survival(fitted, customers):
    (fitter, design), model = fitted
    observed = fitter.baseline_cumulative_hazard_.index.to_numpy()
    months = np.array([m for m in range(model.last_month + 1) if m in observed])
    assert len(months) > 60
    rows = slice(0, 300)
    expected = fitter.predict_survival_function(design.iloc[rows], times=months).T.to_numpy()
    ours = model.predict_survival(customers.iloc[rows])[:, months]
    assert np.abs(ours - expected).max() < 1e-6
    covariates = design[fitter.params_.index]  # lifelines centres x at these means
    np.testing.assert_allclose(
        model.predict_log_hazard(customers.iloc[rows]),
        fitter.predict_log_partial_hazard(design.iloc[rows]) + fitter.params_ @ covariates.mean(),
        atol=1e-9,
    )


def test_hazard_ratios_and_concordance(fitted):
    (fitter, _), model = fitted
    table = model.hazard_ratio_table().set_index("covariate")
    summary = fitter.summary
    assert list(table.index) == list(summary.index)
    np.testing.assert_allclose(table["hazard_ratio"], np.exp(summary["coef"]), rtol=1e-12)
    np.testing.assert_allclose(table["ci_lower"], summary["exp(coef) lower 95%"], rtol=1e-12)
    np.testing.assert_allclose(table["ci_upper"], summary["exp(coef) upper 95%"], rtol=1e-12)
    np.testing.assert_allclose(table["p"], summary["p"], rtol=1e-12)
    assert table.loc["Contract=Two year", "hazard_ratio"] < 1
    assert model.concordance == pytest.approx(fitter.concordance_index_)
    assert 0.6 < model.concordance < 1.0


def test_json_round_trip(fitted, customers):
    model = fitted[1]
    restored = SurvivalModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert restored == model
    np.testing.assert_array_equal(
        restored.predict_survival(customers.iloc[:50]), model.predict_survival(customers.iloc[:50])
    )


def test_models_saved_with_a_survival_grid_still_load(fitted, customers, config):
    model = fitted[1]
    old = model.to_dict()
    for key in ("duration_column", "value_column", "baseline_cumulative_hazard", "tail_hazard",
                "dropped"):  # fmt: skip
        del old[key]
    h0 = np.asarray(model.baseline_cumulative_hazard)
    flat = np.full(120 - model.last_month, h0[-1])  # held flat up to max_months
    old |= {"tenure_column": "tenure", "monthly_charges_column": "MonthlyCharges",
            "baseline_survival": np.exp(-np.concatenate([h0, flat])).tolist()}  # fmt: skip
    restored = SurvivalModel.from_dict(json.loads(json.dumps(old)))
    assert restored.last_month == model.last_month
    assert restored.tail_hazard == pytest.approx(model.tail_hazard)
    rows = customers.iloc[:50]
    np.testing.assert_allclose(
        expected_lifetime(restored, rows, config.lifetime),
        expected_lifetime(model, rows, config.lifetime),
        rtol=1e-9,
    )


def test_unknown_or_missing_category_scores_as_the_baseline(fitted, customers):
    model = fitted[1]
    rows = customers.iloc[:5].copy()
    odd = rows.assign(Contract=["Three year", None, np.nan, "", "Month-to-month"])
    np.testing.assert_allclose(
        model.predict_log_hazard(odd), model.predict_log_hazard(rows.assign(Contract=M2M))
    )
    result = expected_lifetime(model, odd.assign(MonthlyCharges=np.nan), Lifetime())
    assert np.isfinite(result["expected_remaining_months"]).all()
    with pytest.raises(ValueError, match="Contract"):
        model.predict_log_hazard(rows.drop(columns="Contract"))


M2M = "Month-to-month"


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


def test_proportional_hazards_check_reports_each_covariate(fitted, customers, config):
    (fitter, design), _ = fitted
    check = proportional_hazards_check(customers, config)
    direct = proportional_hazard_test(fitter, design, time_transform="rank").summary
    assert list(check.columns) == ["covariate", "test_statistic", "p", "breaks_assumption"]
    assert list(check["covariate"]) == [str(c) for c in direct.index]
    np.testing.assert_allclose(check["p"], direct["p"], rtol=1e-9)
    assert ((check["p"] >= 0) & (check["p"] <= 1)).all()


@pytest.mark.telco
def test_telco_medians_and_concordance(config):
    clean = _telco(config)
    durations, events, groups = _km_inputs(clean)
    medians = median_survival(kaplan_meier_table(durations, events, groups))
    for group, median in medians.items():
        mask = (groups == group).to_numpy()
        expected = KaplanMeierFitter().fit(durations[mask], events[mask]).median_survival_time_
        assert median == (None if np.isinf(expected) else expected)
    # Measured with lifelines 0.30.3: Month-to-month 35 months, the others never reach 0.5.
    assert medians == {"Month-to-month": 35.0, "One year": None, "Two year": None}
    model = fit_survival_model(clean, config)
    # With the config covariates and penalizer we measure 0.856 on the training data.
    assert model.concordance == pytest.approx(0.856, abs=0.02)
    ratios = model.hazard_ratio_table().set_index("covariate")["hazard_ratio"]
    assert ratios["Contract=Two year"] < ratios["Contract=One year"] < 1
    lifetimes = expected_lifetime(model, clean, config.lifetime)
    assert lifetimes.notna().all().all()
    assert (lifetimes["expected_remaining_months"] <= config.lifetime.horizon_months).all()


def test_collinear_columns_on_a_hand_made_frame():
    rng = np.random.default_rng(3)
    x, y = (rng.random(500) < 0.4).astype(float), (rng.random(500) < 0.3).astype(float)
    x *= 1 - y  # x and y never both 1: 1 - x - y is a third indicator
    frame = pd.DataFrame(
        {
            "x": x,
            "y": y,
            "copy_of_x": x,
            "neither": 1 - x - y,
            "always": 1.0,
            "never": 0.0,
            "half_x": 0.5 * x + 2.0,
            "noisy_x": x + rng.normal(0, 1e-3, 500),
            "z": rng.normal(size=500),
        }
    )
    assert collinear_columns(frame) == {
        "copy_of_x": "x",
        "neither": "1 - x - y",
        "always": "1",
        "never": "0",
        "half_x": "2 + 0.5 * x",
    }
    assert collinear_columns(frame[["x", "y", "noisy_x", "z"]]) == {}


def test_design_drops_duplicated_indicators(fitted, customers, config):
    (_, design), model = fitted
    duplicates = {f"{c}=No internet service": "InternetService=No" for c in
                  ("TechSupport", "OnlineSecurity")}  # fmt: skip
    assert model.dropped == duplicates
    assert not set(duplicates) & set(design.columns)
    assert not set(duplicates) & set(model.hazard_ratio_table()["covariate"])
    assert not set(duplicates) & set(proportional_hazards_check(customers, config)["covariate"])
    assert cox_design(customers, config)[1] == duplicates
    assert list(model.dropped_table().columns) == ["covariate", "duplicates"]
    # the dropped indicators score through the column they duplicate
    rows = customers[customers["InternetService"] == "No"].iloc[:5]
    assert (rows["TechSupport"] == "No internet service").all()
    expected = model.predict_log_hazard(rows.assign(TechSupport="Yes", OnlineSecurity="Yes"))
    np.testing.assert_allclose(model.predict_log_hazard(rows), expected)


def _telco(config):
    if not TELCO_CSV.is_file():
        pytest.skip(f"Telco reference file not found at {TELCO_CSV}")
    raw = pd.read_csv(TELCO_CSV, dtype=str, keep_default_na=False)
    return validate_frame(raw, config, "training").clean


@pytest.mark.telco
def test_telco_lifetimes_rise_with_contract_length(config):
    clean = _telco(config)
    model = fit_survival_model(clean, config)
    duplicates = {f"{c}=No internet service": "InternetService=No" for c in
                  ("TechSupport", "OnlineSecurity")}  # fmt: skip
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
