"""Reasons in business words: one reason per business column, labels, units, direction."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from configs.dataset import ColumnLabel
from configs.schema import RunConfig, load_config
from tasks.core.families import LOG_ODDS
from tasks.core.inference import Contributions, fold_engineered
from tasks.core.reasons import business_reasons, reason_texts, shown_value

REPO = Path(__file__).resolve().parents[2]
CONFIG = load_config(REPO / "configs" / "telco.yaml")
TODAY = [  # what a customer's reasons read before: one cause twice, in column slugs
    {"feature": "tenure", "value": 1.0, "contribution": 0.61},
    {"feature": "log_tenure", "value": 0.693147, "contribution": 0.22},
    {"feature": "Contract", "value": "Month-to-month", "contribution": 0.7},
]


def test_engineered_features_of_one_column_merge_into_it():
    found = business_reasons(json.dumps(TODAY), CONFIG)
    assert [r.column for r in found] == ["tenure", "Contract"]  # summed: 0.83 > 0.7
    assert found[0].contribution == pytest.approx(0.83)
    assert [r.text for r in found] == ["Tenure: 1 month", "Contract: Month-to-month"]
    assert reason_texts(TODAY, CONFIG, limit=1) == ["Tenure: 1 month (raises risk)"]


def test_an_engineered_feature_alone_reads_back_its_column():
    alone = [
        {"feature": "log_tenure", "value": 3.258097, "contribution": -0.4},
        {"feature": "tenure_band", "value": "48-1000", "contribution": -0.3},
        {"feature": "avg_monthly_spend", "value": 55.5, "contribution": 0.2},
    ]
    found = business_reasons(alone, CONFIG)
    assert [r.text for r in found] == [
        "Tenure: 25 months",
        "Average monthly spend: 55.50 per month",
    ]
    assert found[0].contribution == pytest.approx(-0.7)
    band_only = business_reasons([alone[1]], CONFIG)
    assert band_only[0].text == "Tenure: 48+ months"


def test_direction_labels_and_shown_values():
    found = business_reasons(
        [
            {"feature": "SeniorCitizen", "value": 1, "contribution": 0.3},
            {"feature": "TechSupport", "value": "Yes", "contribution": -0.2},
            {"feature": "customerID", "value": "7590-VHVEG", "contribution": 0.9},
            {"feature": "Churn", "value": "Yes", "contribution": 0.9},
            {"feature": "PaymentMethod", "value": "Mailed check", "contribution": 0.0},
        ],
        CONFIG,
    )
    assert [(r.text, r.direction) for r in found] == [
        ("Senior citizen: Yes", "raises risk"),
        ("Tech support: Yes", "lowers risk"),
    ]
    assert found[1].as_dict()["direction"] == "lowers risk"


def test_units_singular_plural_and_unlabelled_columns():
    month = ColumnLabel(label="Tenure", unit="month")
    assert shown_value(1, month) == "1 month"
    assert shown_value(24.0, month) == "24 months"
    assert shown_value(2.5, month) == "2.50 months"
    assert shown_value(1234.5, ColumnLabel(label="Total")) == "1,234.50"
    assert shown_value(float("nan"), month) is None
    bare = RunConfig.model_validate(
        {**CONFIG.model_dump(), "dataset": {**CONFIG.dataset.model_dump(), "labels": {}}}
    )
    assert business_reasons(TODAY, bare)[1].text == "Contract: Month-to-month"
    assert business_reasons(TODAY, bare)[0].text == "Tenure: 1"  # no unit configured


def test_labels_must_name_feature_columns():
    raw = CONFIG.model_dump()
    raw["dataset"]["labels"] = {"Churn": "Churned"}
    with pytest.raises(ValueError, match=r"dataset\.labels 'Churn'"):
        RunConfig.model_validate(raw)


def test_unreadable_stored_reasons_are_no_reasons():
    assert business_reasons("not json", CONFIG) == []
    assert business_reasons(None, CONFIG) == []
    assert business_reasons([{"feature": "tenure", "contribution": "x"}], CONFIG) == []


def test_folding_keeps_the_score_and_sums_onto_the_column():
    values = pd.DataFrame(
        {"tenure": [0.5, -0.1], "Contract": [0.2, 0.3], "log_tenure": [0.25, -0.05]}
    )
    found = Contributions(values, np.array([-1.0, -2.0]), LOG_ODDS)
    specs = [f.model_dump() for f in CONFIG.features]
    folded = fold_engineered(found, specs)
    assert list(folded.values.columns) == ["tenure", "Contract"]
    assert folded.values["tenure"].tolist() == pytest.approx([0.75, -0.15])
    assert folded.scores() == pytest.approx(found.scores(), abs=1e-12)


def test_init_config_drafts_labels_that_load():
    import yaml

    from configs.schema import YamlLoader
    from data.generate import generate_customers
    from tasks.core.draft_yaml import render_draft
    from tasks.core.drafting import draft_config

    text = render_draft(draft_config(generate_customers(300, seed=5), "Churn", "drafted"))
    drafted = RunConfig.model_validate(yaml.load(text, Loader=YamlLoader)).dataset.labels
    assert drafted["MonthlyCharges"].label == "Monthly charges"
    assert drafted["tenure"].unit == "month"  # the duration role, in months
