"""The Evidently drift report on synthetic customers: calm vs drifted populations, HTML, refusals.

Runs twice: with the monitoring methods of configs/telco.yaml and with p-value tests (ks,
chisquare). Evidently's "chisquare" is a goodness-of-fit test against the reference frequencies:
calm samples flag ~16% of categorical columns (not 5%), and about one seed pair in ten shows
dataset drift at share 0.3; seeds 100/101 are a typical calm pair (2 of 19 columns).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from configs.schema import RunConfig, load_config
from data.generate import generate_customers
from tasks.adapters.drift_report import run_drift_report
from tasks.core.contract import validate_frame

ROOT = Path(__file__).resolve().parents[2]
ROWS = 3000
P_VALUES = {"numeric_method": "ks", "categorical_method": "chisquare"}


@pytest.fixture(scope="module")
def telco() -> RunConfig:
    return load_config(ROOT / "configs" / "telco.yaml")


@pytest.fixture(scope="module", params=["telco.yaml", "p-values"])
def config(request, telco) -> RunConfig:
    if request.param == "telco.yaml":
        return telco
    monitoring = telco.monitoring.model_copy(update=P_VALUES)
    return telco.model_copy(update={"monitoring": monitoring})


@pytest.fixture(scope="module")
def customers(telco):
    """Typed scoring frames: reference, a calm sample and a drifted sample."""

    def clean(seed: int, drift: bool = False):
        return validate_frame(generate_customers(ROWS, seed, drift=drift), telco, "scoring").clean

    return {"reference": clean(100), "calm": clean(101), "drifted": clean(102, drift=True)}


def _timed_report(reference, current, config, path):
    started = time.perf_counter()
    result = run_drift_report(reference, current, config, path)
    methods = f"{config.monitoring.numeric_method}/{config.monitoring.categorical_method}"
    print(f"\ndrift report {path.name} ({methods}): {time.perf_counter() - started:.2f}s")
    return result


def test_two_samples_of_one_population_do_not_drift(customers, config, tmp_path):
    html = tmp_path / "reports" / "calm.html"
    summary, path = _timed_report(customers["reference"], customers["calm"], config, html)
    assert path == html and html.is_file()
    assert summary.dataset_drift is False
    assert summary.drifted_share < config.monitoring.drift_share
    assert summary.drift_share_threshold == config.monitoring.drift_share
    assert len(summary.columns) == 19
    methods = {c.kind: c.method for c in summary.columns}
    assert methods == {
        "numeric": config.monitoring.numeric_method,
        "categorical": config.monitoring.categorical_method,
    }
    assert (summary.reference_rows, summary.current_rows) == (ROWS, ROWS)
    text = html.read_text(encoding="utf-8")
    assert "<html" in text[:500].lower() and len(text) > 100_000
    assert not re.search(r"<script[^>]+src=", text), "scripts must be inlined"
    assert not re.search(r"<link[^>]+href=[\"']https?:", text), "styles must be inlined"
    assert [p.name for p in html.parent.iterdir()] == ["calm.html"]  # no temporary left


def test_a_shifted_population_drifts_in_the_named_columns(customers, config, tmp_path):
    html = tmp_path / "drifted.html"
    summary, _ = _timed_report(customers["reference"], customers["drifted"], config, html)
    assert summary.dataset_drift is True
    assert summary.drifted_share >= config.monitoring.drift_share
    named = {"Contract", "MonthlyCharges", "tenure", "InternetService", "PaymentMethod"}
    assert named <= set(summary.drifted_columns)
    by_name = {c.column: c for c in summary.columns}
    assert by_name["tenure"].kind == "numeric" and by_name["Contract"].kind == "categorical"
    assert "Contract" in html.read_text(encoding="utf-8")


def test_untyped_input_is_coerced_first(customers, config, tmp_path):
    reference = customers["reference"].astype({"tenure": str, "MonthlyCharges": str})
    reference["SeniorCitizen"] = reference["SeniorCitizen"].astype(int)
    summary, _ = _timed_report(reference, customers["calm"], config, tmp_path / "typed.html")
    assert summary.dataset_drift is False
    assert "SeniorCitizen" not in summary.drifted_columns


def test_missing_monitored_columns_are_refused_by_name(customers, config, tmp_path):
    html = tmp_path / "never.html"
    current = customers["calm"].drop(columns=["Contract", "tenure"])
    with pytest.raises(ValueError, match=r"current data lacks monitored columns: \['tenure', "):
        run_drift_report(customers["reference"], current, config, html)
    with pytest.raises(ValueError, match=r"reference data lacks .*'Contract'"):
        run_drift_report(current, customers["calm"], config, html)
    assert not html.exists()
