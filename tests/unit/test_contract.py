"""The data contract on small frames built in code: coercion, structural and row rules."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from configs.schema import RunConfig, load_config
from tasks.core.contract import (
    ContractResult,
    coerce_frame,
    expectation_suite_spec,
    find_row_problems,
    find_structural_problems,
    summarize_validation,
    validate_frame,
)
from tasks.core.errors import QuarantineLimitError, StructuralValidationError

TELCO = Path(__file__).resolve().parents[2] / "configs" / "telco.yaml"
COLUMNS = ["id", "tenure", "monthly", "total", "gender", "senior", "contract", "churn"]


def make_config(**validation) -> RunConfig:
    rules = {"min_rows": 10, "max_quarantine_share": 0.2, "max_unparseable_share": 0.5}
    return RunConfig.model_validate(
        {
            "dataset": {
                "name": "mini",
                "id_column": "id",
                "target": {"column": "churn", "positive": "Yes", "negative": "No"},
                "tenure_column": "tenure",
                "monthly_charges_column": "monthly",
                "segment_column": "contract",
                "numeric": {
                    "tenure": {"min": 0, "max": 120, "integer": True},
                    "monthly": {"min": 0, "max": 500},
                    "total": {"min": 0, "blank": {"when_column": "tenure", "equals": 0, "fill": 0}},
                },
                "categorical": {
                    "gender": ["Female", "Male"],
                    "senior": [0, 1],
                    "contract": ["Month-to-month", "One year", "Two year"],
                },
            },
            "model": {"families": {"logistic_regression": {}}},
            "validation": {**rules, **validation},
        }
    )


@pytest.fixture
def config() -> RunConfig:
    return make_config()


def make_frame(n: int = 20) -> pd.DataFrame:
    """A valid CSV-like frame (all text) of n rows."""
    i = np.arange(n)
    tenure = i % 60 + 1
    return pd.DataFrame(
        {
            "id": [f"C-{k:04d}" for k in i],
            "tenure": tenure.astype(str),
            "monthly": (20 + i % 7 * 10.5).astype(str),
            "total": (tenure * 30.25).astype(str),
            "gender": np.where(i % 2 == 0, "Female", "Male"),
            "senior": np.where(i % 3 == 0, "1", "0"),
            "contract": np.array(["Month-to-month", "One year", "Two year"])[i % 3],
            "churn": np.where(i % 4 == 0, "Yes", "No"),
        }
    ).astype(object)


def structural_message(raw: pd.DataFrame, config: RunConfig, kind: str = "training") -> str:
    with pytest.raises(StructuralValidationError) as caught:
        validate_frame(raw, config, kind)
    return str(caught.value)


# --- the suite spec ---------------------------------------------------------------------------


def test_suite_spec_is_derived_from_the_config(config):
    spec = expectation_suite_spec(config, "training")
    assert spec["name"] == "mini-training"
    assert spec["meta"]["kind"] == "training"
    json.dumps(spec)  # JSON-able as is
    by = {(e["type"], e["kwargs"].get("column")): e for e in spec["expectations"]}
    assert by[("expect_table_row_count_to_be_between", None)]["kwargs"] == {"min_value": 10}
    assert {c for t, c in by if t == "expect_column_to_exist"} == set(COLUMNS)
    assert ("expect_column_values_to_be_unique", "id") in by
    target = by[("expect_column_values_to_be_in_set", "churn")]
    assert target["kwargs"] == {"column": "churn", "value_set": ["Yes", "No"]}
    assert target["meta"]["severity"] == "structural"
    parsed = by[("expect_column_values_to_not_be_null", "total")]
    assert parsed["kwargs"]["mostly"] == 0.5
    assert parsed["meta"]["severity"] == "structural"
    between = by[("expect_column_values_to_be_between", "tenure")]
    assert between["kwargs"] == {
        "column": "tenure",
        "min_value": 0,
        "max_value": 120,
        "mostly": 0.8,
    }
    assert between["meta"]["severity"] == "row" and between["severity"] == "warning"
    assert by[("expect_column_values_to_be_between", "total")]["kwargs"].get("max_value") is None
    senior = by[("expect_column_values_to_be_in_set", "senior")]
    assert senior["kwargs"]["value_set"] == ["0", "1"]
    assert senior["meta"]["severity"] == "row"
    assert all(e["meta"]["severity"] in {"structural", "row"} for e in spec["expectations"])


def test_scoring_suite_has_no_target(config):
    spec = expectation_suite_spec(config, "scoring")
    assert spec["name"] == "mini-scoring"
    assert all(e["kwargs"].get("column") != "churn" for e in spec["expectations"])


def test_mostly_one_is_left_out_as_gx_writes_it():
    spec = expectation_suite_spec(make_config(max_quarantine_share=0.0), "training")
    row_rules = [e for e in spec["expectations"] if e["meta"]["severity"] == "row"]
    assert row_rules and all("mostly" not in e["kwargs"] for e in row_rules)


def test_telco_suite_and_unknown_kind():
    config = load_config(TELCO)
    spec = expectation_suite_spec(config, "training")
    assert spec["name"] == "telco-training"
    assert len(expectation_suite_spec(config, "scoring")["expectations"]) < len(
        spec["expectations"]
    )
    with pytest.raises(ValueError, match="kind"):
        expectation_suite_spec(config, "predict")


# --- coercion ---------------------------------------------------------------------------------


def test_coercion_types_text_and_leaves_the_input_alone(config):
    raw = make_frame(4)
    raw.loc[0, "gender"] = "  Female "
    raw.loc[1, "monthly"] = " 30.5 "
    before = raw.copy()
    coerced = coerce_frame(raw, config.dataset)
    pd.testing.assert_frame_equal(raw, before)
    frame = coerced.frame
    assert list(frame.columns) == ["id", "tenure", "monthly", "total", *COLUMNS[4:]]
    assert frame["gender"][0] == "Female"
    assert frame["monthly"][1] == 30.5
    assert frame["tenure"].dtype == "float64"
    assert frame["senior"].tolist() == ["1", "0", "0", "1"]


@pytest.mark.parametrize(
    "senior",
    [[0, 1, 1, 0], ["0", "1", "1", "0"], [0.0, 1.0, 1.0, 0.0], ["0.0", "1.0", " 1", "0"]],
)
def test_category_spellings_of_allowed_values(config, senior):
    raw = make_frame(4)
    raw["senior"] = senior
    assert coerce_frame(raw, config.dataset).frame["senior"].tolist() == ["0", "1", "1", "0"]


def test_typed_input_reads_like_text(config):
    text = make_frame(6)
    typed = text.copy()
    typed["id"] = range(6)
    for column in ("tenure", "monthly", "total"):
        typed[column] = pd.to_numeric(text[column])
    typed["senior"] = text["senior"].astype(int)
    typed.loc[2, "total"] = np.nan
    typed.loc[2, "tenure"] = 0
    coerced = coerce_frame(typed, config.dataset)
    frame = coerced.frame
    assert frame["id"].tolist() == ["0", "1", "2", "3", "4", "5"]
    assert frame["total"][2] == 0.0  # blank at tenure 0 filled
    assert coerced.filled["total"].tolist() == [False, False, True, False, False, False]
    expected = coerce_frame(text, config.dataset).frame
    for column in ("monthly", "senior", "gender", "contract"):
        assert frame[column].tolist() == expected[column].tolist()


def test_blank_rule_and_unparseable_text(config):
    """The Telco quirk: blank total accepted (filled 0) at tenure 0 only; 'abc' is unparseable."""
    raw = make_frame(4)
    raw.loc[0, ["tenure", "total"]] = ["0", " "]
    raw.loc[1, ["tenure", "total"]] = ["5", ""]
    raw.loc[2, "total"] = "abc"
    coerced = coerce_frame(raw, config.dataset)
    total = coerced.frame["total"]
    assert total[0] == 0.0
    assert np.isnan(total[1]) and np.isnan(total[2])
    assert coerced.unparseable["total"].tolist() == [False, False, True, False]
    assert coerced.filled["total"].tolist() == [True, False, False, False]


def test_coercion_skips_missing_columns(config):
    coerced = coerce_frame(make_frame(3).drop(columns=["contract", "tenure"]), config.dataset)
    assert "contract" not in coerced.frame and "tenure" not in coerced.frame
    assert "total" in coerced.frame  # its blank rule is skipped without tenure


# --- structural problems ----------------------------------------------------------------------


def test_empty_frame(config):
    message = structural_message(pd.DataFrame(columns=COLUMNS), config)
    assert "expect_table_row_count_to_be_between" in message
    assert "no rows" in message


def test_too_few_rows(config):
    message = structural_message(make_frame(3), config)
    assert "3 rows, need at least 10" in message


def test_every_missing_column_is_named(config):
    raw = make_frame().drop(columns=["contract", "monthly"]).rename(columns={"gender": "Gender"})
    message = structural_message(raw, config)
    for column in ("contract", "monthly", "gender"):
        assert f"column {column!r} expect_column_to_exist" in message
    assert "found 'Gender'" in message


def test_wrong_target_labels(config):
    raw = make_frame()
    raw.loc[[1, 2, 3, 4], "churn"] = ["maybe", "2", "churned", "maybe"]
    message = structural_message(raw, config)
    assert "column 'churn' expect_column_values_to_be_in_set" in message
    assert "4 rows with labels outside {'Yes', 'No'}" in message
    assert "['maybe', '2', 'churned']" in message


@pytest.mark.parametrize(
    ("yes", "no"), [("1", "0"), ("1.0", "0.0"), ("TRUE", "false"), ("yes", "NO"), (1.0, 0.0)]
)
def test_labels_read_the_same_in_every_spelling(config, yes, no):
    raw = make_frame().astype({"churn": object})
    raw["churn"] = [yes if i % 2 else no for i in range(len(raw))]
    clean = validate_frame(raw, config, "training").clean
    assert clean["churn"].tolist() == ["Yes" if i % 2 else "No" for i in range(len(raw))]


def test_scoring_needs_no_target_and_keeps_one_present(config):
    raw = make_frame()
    raw.loc[1, "churn"] = "maybe"
    assert "churn" in validate_frame(raw, config, "scoring").clean
    result = validate_frame(raw.drop(columns=["churn"]), config, "scoring")
    assert len(result.clean) == 20 and "churn" not in result.clean
    assert "churn" in structural_message(raw.drop(columns=["churn"]), config, "training")


def test_duplicate_and_blank_ids(config):
    raw = make_frame()
    raw.loc[[3, 4], "id"] = "C-0001"
    raw.loc[7, "id"] = "  "
    message = structural_message(raw, config)
    assert "column 'id' expect_column_values_to_be_unique" in message
    assert "['C-0001']" in message
    assert "column 'id' expect_column_values_to_not_be_null: 1 rows without an id" in message


def test_whole_table_id_check_reads_ids_as_the_row_rules_do(config):
    """Scoring checks a table's ids in Arrow: padded spellings of one id repeat it, blank
    and null ids are missing, whatever the column's type."""
    import pyarrow as pa

    from tasks.core.contract_chunks import table_problems

    raw = make_frame()
    columns, rows = list(raw.columns), len(raw)
    text = [" C1", "C1\u3000", "  ", None, "C2", *[f"D{i}" for i in range(rows - 5)]]
    problems = table_problems(columns, rows, pa.chunked_array([text]), config, "scoring")
    found = {p.expectation: p for p in problems}
    assert found["expect_column_values_to_be_unique"].samples == ["C1"]
    assert (
        "1 ids appear more than once (2 rows)" in found["expect_column_values_to_be_unique"].message
    )
    assert found["expect_column_values_to_not_be_null"].samples == ["2", "3"]
    numbers = pa.chunked_array([[1.0, 1, *range(2, rows)]], type=pa.float64())
    problems = table_problems(columns, rows, numbers, config, "scoring")
    assert [p.samples for p in problems] == [["1"]]
    unique = pa.chunked_array([pa.array([f"C{i}" for i in range(rows)]).dictionary_encode()])
    assert table_problems(columns, rows, unique, config, "scoring") == []


def test_non_numeric_charges_in_most_rows_is_structural(config):
    raw = make_frame()
    raw.loc[:14, "total"] = "n/a"
    raw.loc[15, "total"] = ""
    message = structural_message(raw, config)
    assert "column 'total' expect_column_values_to_not_be_null" in message
    assert "16 of 20 rows (80%) are not numbers" in message
    assert "['n/a', '']" in message


def test_structural_problems_are_all_listed(config):
    raw = make_frame(5).drop(columns=["gender"])
    raw.loc[0, "churn"] = "x"
    coerced = coerce_frame(raw, config.dataset)
    problems = find_structural_problems(raw, coerced, config, "training")
    assert [p.expectation for p in problems] == [
        "expect_table_row_count_to_be_between",
        "expect_column_to_exist",
        "expect_column_values_to_be_in_set",
    ]
    assert problems[2].samples == ["x"]


# --- row problems and quarantine --------------------------------------------------------------


def test_row_reasons(config):
    raw = make_frame()
    raw.loc[0, "contract"] = "Weekly"
    raw.loc[1, "tenure"] = "-3"
    raw.loc[2, "total"] = "abc"
    raw.loc[3, ["tenure", "total"]] = ["5", ""]
    raw.loc[4, "tenure"] = "2.5"
    raw.loc[5, "gender"] = ""
    raw.loc[6, ["monthly", "contract"]] = ["900", "Weekly"]
    raw.loc[7, "monthly"] = None
    reasons = find_row_problems(raw, coerce_frame(raw, config.dataset), config)
    assert reasons[:8].tolist() == [
        "contract: unknown category 'Weekly'",
        "tenure: -3 below min 0",
        "total: not a number 'abc'",
        "total: blank while tenure is 5",
        "tenure: 2.5 not an integer",
        "gender: missing",
        "monthly: 900 above max 500; contract: unknown category 'Weekly'",
        "monthly: missing",
    ]
    assert (reasons[8:] == "").all()


def test_quarantine_keeps_raw_rows_with_reasons(config):
    raw = make_frame()
    raw.index = [f"row{k}" for k in range(20)]
    raw.loc["row2", "contract"] = "Weekly"
    raw.loc["row5", "tenure"] = "-3"
    raw.loc["row9", "total"] = "abc"
    result = validate_frame(raw, config, "training")
    assert isinstance(result, ContractResult)
    assert len(result.clean) == 17
    assert result.quarantined.index.tolist() == ["row2", "row5", "row9"]
    assert result.quarantined.loc["row5", "tenure"] == "-3"  # raw value kept
    assert result.quarantined["quarantine_reason"].tolist() == [
        "contract: unknown category 'Weekly'",
        "tenure: -3 below min 0",
        "total: not a number 'abc'",
    ]
    assert result.reason_counts == {
        "tenure: below min 0": 1,
        "total: not a number": 1,
        "contract: unknown category": 1,
    }
    unknown = next(p for p in result.problems if p.column == "contract")
    assert unknown.expectation == "expect_column_values_to_be_in_set"
    assert unknown.samples == ["Weekly"] and unknown.rows == 1


def test_clean_frame_is_typed_in_config_order(config):
    raw = make_frame()
    raw["extra"] = "x"
    raw = raw[["churn", "extra", *COLUMNS[:-1]]]
    clean = validate_frame(raw, config, "training").clean
    assert list(clean.columns) == COLUMNS
    assert clean["tenure"].dtype == "float64"  # numbers are doubles, like the model signature
    assert clean["monthly"].dtype == "float64" and clean["total"].dtype == "float64"
    assert clean["contract"].dtype == object and clean["id"].dtype == object


def test_telco_quirk_blank_total_charges(config):
    raw = make_frame()
    raw.loc[[0, 1], ["tenure", "total"]] = ["0", ""]
    raw.loc[2, ["tenure", "total"]] = ["5", ""]
    result = validate_frame(raw, config, "training")
    assert result.clean.loc[[0, 1], "total"].tolist() == [0.0, 0.0]
    assert result.quarantined.index.tolist() == [2]
    assert result.quarantined["quarantine_reason"][2] == "total: blank while tenure is 5"
    assert result.filled == {"total": 2}


def test_quarantine_over_the_limit(config):
    raw = make_frame()
    raw.loc[:4, "contract"] = "Weekly"
    raw.loc[5, "tenure"] = "-1"
    with pytest.raises(QuarantineLimitError) as caught:
        validate_frame(raw, config, "training")
    message = str(caught.value)
    assert "6 of 20 rows (30.0%)" in message and "limit of 20.0%" in message
    assert "contract: unknown category (5), tenure: below min 0 (1)" in message


def test_summary_is_json(config):
    raw = make_frame()
    raw.loc[0, "contract"] = "Weekly"
    summary = summarize_validation(validate_frame(raw, config, "training"))
    assert json.loads(json.dumps(summary)) == summary
    assert summary["rows_in"] == 20 and summary["rows_clean"] == 19
    assert summary["rows_quarantined"] == 1 and summary["quarantined_share"] == 0.05
    assert summary["quarantine_reasons"] == {"contract: unknown category": 1}
    assert summary["expectations"]["evaluated"] == 0


def test_row_rules_are_vectorised(config):
    raw = pd.concat([make_frame(1000)] * 200, ignore_index=True)
    raw["id"] = raw["id"] + "-" + raw.index.astype(str)
    raw.loc[::100, "contract"] = "Weekly"
    raw.loc[::70, "tenure"] = "-4"
    started = time.perf_counter()
    result = validate_frame(raw, config, "training")
    assert time.perf_counter() - started < 5  # a per-row Python loop would take far longer
    assert len(result.quarantined) == 2000 + 2858 - 286
