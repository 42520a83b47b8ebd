"""init-config: the drafted config's guesses, that it loads, and that it validates its table."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from configs.schema import RunConfig, YamlLoader, load_config
from tasks.core.contract import validate_frame
from tasks.core.draft_yaml import dataset_name, render_draft, scalar
from tasks.core.drafting import draft_config
from tasks.core.errors import ProfilingError
from tests.tables import SHAPES

TELCO = Path("/work/shared/data/telco-customer-churn.csv")
EXPECTED_ROLES = {
    "tv": {"duration": None, "value": None, "segment": "package"},
    "saas": {"duration": "months_active", "value": None, "segment": "plan"},
    "flat": {"duration": "tenure_months", "value": "monthly_fee", "segment": None},
}


def as_csv_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as read_source reads a CSV: every value text."""
    return pd.read_csv(io.StringIO(frame.to_csv(index=False)), dtype=str, keep_default_na=False)


def loaded(draft, tmp_path: Path) -> RunConfig:
    path = tmp_path / f"{draft.name}.yaml"
    path.write_text(render_draft(draft))
    return load_config(path)


@pytest.fixture(scope="module")
def telco() -> pd.DataFrame:
    if not TELCO.is_file():
        pytest.skip(f"Telco reference data not found at {TELCO}")
    return pd.read_csv(TELCO, dtype=str, keep_default_na=False)


def test_telco_draft_choices(telco, tmp_path):
    config = loaded(draft_config(telco, "Churn", "telco"), tmp_path)
    data = config.dataset
    assert data.id_column == "customerID"
    target = data.target
    assert (target.column, target.positive, target.negative) == ("Churn", "Yes", "No")
    assert (data.roles.duration, data.roles.value, data.roles.segment) == (
        "tenure",
        "MonthlyCharges",
        "Contract",
    )
    assert data.numeric["TotalCharges"].blank.model_dump() == {
        "when_column": "tenure",
        "equals": 0,
        "fill": 0,
    }
    assert data.numeric["tenure"].integer and data.numeric["tenure"].min == 0
    assert data.categorical["SeniorCitizen"] == ["0", "1"]
    assert set(data.categorical["Contract"]) == {"Month-to-month", "One year", "Two year"}
    assert "TotalCharges" not in config.survival.covariates
    assert config.survival.covariates[0] == "Contract"
    assert config.model.registered_name is None and config.registered_model == "retainai-telco"
    result = validate_frame(telco, config, "training")
    assert len(result.quarantined) == 0 and result.filled == {"TotalCharges": 11}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_generated_tables(shape, tmp_path):
    frame, hand = SHAPES[shape]()
    target = hand["dataset"]["target"]
    for table in (frame, as_csv_text(frame)):
        config = loaded(draft_config(table, target["column"], shape), tmp_path)
        data = config.dataset
        assert data.id_column == hand["dataset"].get("id_column")
        assert (data.target.positive, data.target.negative) == (
            str(target["positive"]),
            str(target["negative"]),
        )
        assert data.roles.model_dump() == EXPECTED_ROLES[shape]
        assert set(data.feature_columns) == set(hand["dataset"]["numeric"]) | set(
            hand["dataset"]["categorical"]
        )
        assert (config.survival is not None) == (data.roles.duration is not None)
        result = validate_frame(table, config, "training")
        assert len(result.clean) == len(table)


def test_flat_suggests_a_segment_in_a_comment():
    frame, _ = SHAPES["flat"]()
    text = render_draft(draft_config(frame, "cancelled", "flat"))
    assert "segment: null" in text and "# segment: channel" in text


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("retention_offer_cost", lambda churned, rng: rng.gamma(2.0, 5.0, len(churned))),
        ("status_code", lambda churned, rng: np.where(churned, "X9", "A1")),
        ("score_after", lambda churned, rng: churned * 10 + rng.random(len(churned))),
    ],
)
def test_leakage_is_left_out(column, values, tmp_path):
    frame, _ = SHAPES["flat"]()
    churned = frame["cancelled"].to_numpy() == 1
    frame[column] = values(churned, np.random.default_rng(1))
    draft = draft_config(frame, "cancelled", "flat")
    assert column in draft.left_out
    assert column not in loaded(draft, tmp_path).dataset.feature_columns
    assert column in render_draft(draft)  # flagged in a comment with its reason


def test_free_text_and_constants_are_left_out():
    frame, _ = SHAPES["saas"]()
    frame["note"] = [f"customer note {i}" for i in range(len(frame))]
    frame["country"] = "NZ"
    draft = draft_config(frame, "churned", "saas")
    assert draft.id_column.value is None  # free text, but not named like an id
    assert {"note", "country"} <= set(draft.left_out)


def test_blanks_without_a_rule_quarantine_or_leave_out():
    frame, _ = SHAPES["saas"]()
    few = frame["seats"].astype(object)
    few.iloc[:5] = ""
    many = frame["support_tickets"].astype(object)
    many.iloc[:300] = ""
    frame["seats"], frame["support_tickets"] = few, many
    draft = draft_config(frame, "churned", "saas")
    assert draft.numeric["seats"].blank is None and "quarantined" in draft.numeric["seats"].reason
    assert "support_tickets" in draft.left_out
    config = RunConfig.model_validate(draft.config())
    assert len(validate_frame(frame, config, "training").quarantined) == 5


@pytest.mark.parametrize(
    ("labels", "positive"),
    [
        (["YES", "no"], "YES"),
        (["True", "False"], "True"),
        (["1.0", "0.0"], "1"),
        (["stay", "gone"], "gone"),
    ],
)
def test_target_labels_keep_their_words(labels, positive, tmp_path):
    frame, _ = SHAPES["tv"]()
    frame["left"] = np.where(frame["left"] == 1, labels[0], labels[1])
    if labels[0] == "stay":  # no yes/no pair: the minority label
        frame["left"] = np.where(frame["left"] == "stay", "gone", "stay")
    config = loaded(draft_config(as_csv_text(frame), "left", "tv"), tmp_path)
    assert config.dataset.target.positive == positive
    validate_frame(as_csv_text(frame), config, "training")


def test_scalars_read_back_as_written():
    words = ["Yes", "no", "ON", "true", "null", "007", "1.50", "a: b", "# x", " pad", "", "1e5"]
    for word in words:
        assert yaml.load(f"k: {scalar(word)}", Loader=YamlLoader)["k"] == word, word
    assert scalar("Fiber optic") == "Fiber optic" and scalar(0.5) == "0.5"


def test_bad_target_and_name():
    frame, _ = SHAPES["tv"]()
    with pytest.raises(ProfilingError, match="not in the table"):
        draft_config(frame, "Left", "tv")
    with pytest.raises(ProfilingError, match="distinct labels"):
        draft_config(frame, "c1", "tv")
    with pytest.raises(ProfilingError, match="must match"):
        draft_config(frame, "left", "-bad name")
    assert dataset_name("s3://bucket/data/Telco Churn.csv.gz") == "Telco-Churn"
    assert dataset_name("postgresql://u:p@h/db", "public.customers") == "public.customers"
