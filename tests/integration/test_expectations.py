"""Golden tests of the Great Expectations adapter, the stored suites and the real Telco file."""

from __future__ import annotations

import copy
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from configs.schema import RunConfig, load_config
from tasks.adapters.expectations import load_suite, run_suite, save_suite, write_suites
from tasks.core.contract import KINDS, coerce_frame, expectation_suite_spec, validate_frame
from tasks.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
TELCO_CONFIG = ROOT / "configs" / "telco.yaml"
TELCO_CSV = ROOT / ".." / "shared" / "data" / "telco-customer-churn.csv"


def make_config(max_quarantine_share: float) -> RunConfig:
    return RunConfig.model_validate(
        {
            "dataset": {
                "name": "mini",
                "id_column": "id",
                "target": {"column": "churn", "positive": "Yes", "negative": "No"},
                "tenure_column": "tenure",
                "monthly_charges_column": "monthly",
                "segment_column": "contract",
                "numeric": {"tenure": {"min": 0, "max": 120}, "monthly": {"min": 0}},
                "categorical": {"contract": ["Month-to-month", "One year", "Two year"]},
            },
            "model": {"families": {"logistic_regression": {}}},
            "validation": {"min_rows": 50, "max_quarantine_share": max_quarantine_share},
        }
    )


def make_frame(n: int = 100) -> pd.DataFrame:
    i = np.arange(n)
    return pd.DataFrame(
        {
            "id": [f"C-{k}" for k in i],
            "tenure": (i % 72).astype(str),
            "monthly": (19.5 + i % 9).astype(str),
            "contract": np.array(["Month-to-month", "One year", "Two year"])[i % 3],
            "churn": np.where(i % 4 == 0, "Yes", "No"),
        }
    )


def outcome(outcomes, kind, column):
    return next(o for o in outcomes if o.type == kind and o.column == column)


def test_valid_frame_meets_every_expectation():
    config = make_config(0.05)
    spec = expectation_suite_spec(config, "training")
    outcomes = run_suite(coerce_frame(make_frame(), config.dataset).frame, spec)
    assert [o.type for o in outcomes] == [e["type"] for e in spec["expectations"]]  # suite order
    assert all(o.success for o in outcomes), [o for o in outcomes if not o.success]
    assert outcome(outcomes, "expect_table_row_count_to_be_between", None).observed_value == 100
    assert {o.severity for o in outcomes} == {"structural", "row"}


@pytest.mark.parametrize(("share", "success"), [(0.0, False), (0.05, True)])
def test_one_unknown_category_in_a_hundred(share, success):
    config = make_config(share)
    raw = make_frame()
    raw.loc[42, "contract"] = "Weekly"
    spec = expectation_suite_spec(config, "training")
    outcomes = run_suite(coerce_frame(raw, config.dataset).frame, spec)
    in_set = outcome(outcomes, "expect_column_values_to_be_in_set", "contract")
    assert in_set.success is success  # mostly=1.0 fails, mostly=0.95 tolerates 1%
    assert in_set.unexpected_count == 1
    assert in_set.unexpected_percent == pytest.approx(1.0)
    assert in_set.partial_unexpected_list == ["Weekly"]
    assert in_set.severity == "row"


def test_missing_column_and_json_safe_outcomes():
    config = make_config(0.05)
    frame = coerce_frame(make_frame(), config.dataset).frame.drop(columns=["contract"])
    frame.loc[3, "monthly"] = np.nan
    outcomes = run_suite(frame, expectation_suite_spec(config, "training"))
    exists = outcome(outcomes, "expect_column_to_exist", "contract")
    assert not exists.success and exists.severity == "structural"
    in_set = outcome(outcomes, "expect_column_values_to_be_in_set", "contract")
    assert not in_set.success and "contract" in in_set.exception
    not_null = outcome(outcomes, "expect_column_values_to_not_be_null", "monthly")
    assert not_null.success and not_null.unexpected_count == 1  # mostly 0.5
    json.dumps([asdict(o) for o in outcomes])


def test_suite_round_trips_through_gx():
    import great_expectations as gx

    config = load_config(TELCO_CONFIG)
    for kind in KINDS:
        spec = expectation_suite_spec(config, kind)
        back = gx.ExpectationSuite(**copy.deepcopy(spec)).to_json_dict()
        assert back.pop("id") is None and back.pop("notes") is None
        assert back["meta"].pop("great_expectations_version")
        assert back == spec


@pytest.mark.parametrize("kind", KINDS)
def test_stored_suites_match_the_config(kind):
    """Regenerate with tasks.adapters.expectations.write_suites after changing telco.yaml."""
    stored = load_suite(ROOT / "expectations" / f"telco-{kind}.json")
    assert stored == expectation_suite_spec(load_config(TELCO_CONFIG), kind)


def test_save_is_stable_and_write_suites_writes_both(tmp_path):
    spec = expectation_suite_spec(make_config(0.05), "scoring")
    path = save_suite(spec, tmp_path / "suite.json")
    text = path.read_text()
    assert text == json.dumps(spec, indent=2, sort_keys=True) + "\n"
    save_suite(load_suite(path), path)
    assert path.read_text() == text
    written = write_suites(make_config(0.05), tmp_path / "suites")
    assert [p.name for p in written] == ["mini-training.json", "mini-scoring.json"]
    names = sorted(p.name for p in (tmp_path / "suites").iterdir())
    assert names == ["mini-scoring.json", "mini-training.json"]  # no temporary files left


def test_load_suite_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_suite(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_suite(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(ConfigError, match="not an expectation suite"):
        load_suite(tmp_path / "list.json")


def test_run_suite_is_quiet(capfd):
    config = load_config(TELCO_CONFIG)
    rng = np.random.default_rng(0)
    n = 7043
    frame = pd.DataFrame(
        {
            "customerID": [f"{k:04d}-X" for k in range(n)],
            "tenure": rng.integers(0, 72, n).astype(float),
            "MonthlyCharges": rng.uniform(18, 119, n).round(2),
        }
    )
    frame["TotalCharges"] = (frame["tenure"] * frame["MonthlyCharges"]).round(2)
    for name, allowed in config.dataset.categorical.items():
        frame[name] = rng.choice(allowed, n)
    frame["Churn"] = rng.choice(["Yes", "No"], n)
    spec = expectation_suite_spec(config, "training")
    outcomes = run_suite(frame, spec)
    assert all(o.success for o in outcomes)
    captured = capfd.readouterr()
    assert "Calculating Metrics" not in captured.err + captured.out


@pytest.mark.telco
@pytest.mark.skipif(not TELCO_CSV.is_file(), reason=f"{TELCO_CSV} is absent")
def test_real_telco_file_meets_the_contract():
    config = load_config(TELCO_CONFIG)
    raw = pd.read_csv(TELCO_CSV, dtype=str, keep_default_na=False)
    result = validate_frame(raw, config, "training")
    assert len(result.quarantined) == 0
    assert len(result.clean) == 7043
    at_start = result.clean["tenure"] == 0
    assert at_start.sum() == 11 and (result.clean.loc[at_start, "TotalCharges"] == 0).all()
    assert (result.clean["TotalCharges"] == 0).sum() == 11
    assert result.filled == {"TotalCharges": 11}
    outcomes = run_suite(result.clean, expectation_suite_spec(config, "training"))
    assert all(o.success for o in outcomes), [o for o in outcomes if not o.success]
