import json

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import proportional_hazard_test
from matplotlib.figure import Figure

from configs.schema import Lifetime
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
    for key in (
        "duration_column",
        "value_column",
        "baseline_cumulative_hazard",
        "tail_hazard",
        "dropped",
    ):
        del old[key]
    h0 = np.asarray(model.baseline_cumulative_hazard)
    flat = np.full(120 - model.last_month, h0[-1])  # held flat up to max_months
    old |= {
        "tenure_column": "tenure",
        "monthly_charges_column": "MonthlyCharges",
        "baseline_survival": np.exp(-np.concatenate([h0, flat])).tolist(),
    }
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
    clean = telco_frame(config)
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
    duplicates = NO_INTERNET_DUPLICATES
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
