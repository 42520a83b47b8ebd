import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import proportional_hazard_test
from matplotlib.figure import Figure

from configs.schema import Lifetime, load_config
from data.generate import generate_customers
from tasks.core.contract import validate_frame
from tasks.core.survival import (
    KM_COLUMNS,
    SurvivalModel,
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
    months = np.array([m for m in range(model.max_months + 1) if m in observed])
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
    """S0(u) = q**u: every month survives with ratio q (q**exp(beta * z) with covariate z)."""
    return SurvivalModel(
        tenure_column="tenure",
        monthly_charges_column="MonthlyCharges",
        categories={},
        scaling={"z": (0.0, 1.0)},
        coefficients={"z": beta},
        baseline_survival=tuple(q**u for u in range(top + 1)),
        concordance=0.5,
        hazard_ratios=(),
    )


def test_expected_lifetime_geometric_closed_form():
    q, rate = 0.9, (1.10) ** (1 / 12) - 1
    frame = pd.DataFrame({"tenure": [2.0, 2.7, 11.0, 12.0, 40.0], "MonthlyCharges": 50.0, "z": 0.0})
    result = expected_lifetime(_geometric_model(q), frame, Lifetime(annual_discount_rate=0.10))
    a = q / (1 + rate)
    months = 10  # tenure 2 (and 2.7, floored) of max 12: m = 1..10
    expected = [q * (1 - q**months) / (1 - q)] * 2 + [q, 1.0, 1.0]
    np.testing.assert_allclose(result["expected_remaining_months"], expected, rtol=1e-12)
    assert result["lifetime_value"].iloc[0] == pytest.approx(50 * a * (1 - a**months) / (1 - a))
    assert result["lifetime_value"].iloc[2] == pytest.approx(50 * a)  # one month left
    assert result["lifetime_value"].iloc[4] == pytest.approx(50 / (1 + rate))  # S0 held flat
    undiscounted = expected_lifetime(_geometric_model(q), frame, Lifetime(annual_discount_rate=0))
    np.testing.assert_allclose(
        undiscounted["lifetime_value"], 50 * undiscounted["expected_remaining_months"]
    )
    riskier = expected_lifetime(
        _geometric_model(q, beta=np.log(2)), frame.assign(z=1.0), Lifetime()
    )
    assert riskier["expected_remaining_months"].iloc[0] == pytest.approx(
        q**2 * (1 - q ** (2 * months)) / (1 - q**2)
    )


def test_expected_lifetime_matches_a_row_by_row_sum_across_blocks(fitted, customers, config):
    model, lifetime = fitted[1], config.lifetime
    rows = customers.iloc[:40]
    result = expected_lifetime(model, rows, lifetime, block_rows=7)
    curves = model.predict_survival(rows)
    rate = (1 + lifetime.annual_discount_rate) ** (1 / 12) - 1
    top = model.max_months
    for i, (tenure, monthly) in enumerate(zip(rows["tenure"], rows["MonthlyCharges"], strict=True)):
        t = int(tenure)
        ratio = np.array([curves[i, t + m] / curves[i, t] for m in range(1, max(top - t, 1) + 1)])
        discount = (1 + rate) ** -np.arange(1, len(ratio) + 1)
        assert result["expected_remaining_months"].iloc[i] == pytest.approx(ratio.sum())
        assert result["lifetime_value"].iloc[i] == pytest.approx(monthly * (ratio * discount).sum())
    assert result.index.equals(rows.index)


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
    if not TELCO_CSV.is_file():
        pytest.skip(f"Telco reference file not found at {TELCO_CSV}")
    raw = pd.read_csv(TELCO_CSV, dtype=str, keep_default_na=False)
    clean = validate_frame(raw, config, "training").clean
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
    assert (lifetimes["expected_remaining_months"] <= config.survival.max_months).all()
