"""The logged sklearn pipeline is the reference: on every generated table shape and on the
Telco reference file, each family's compiled `predict` and the probability its contributions
add up to equal `predict_proba`."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tasks.core.contract import validate_frame
from tasks.core.inference import compile_model
from tests.tables import SHAPES
from tests.unit.conftest import CONFIG, FAMILIES, customers, estimators, fit

PARITY = 1e-9


def _check(pipeline, frame: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*feature names.*")
        expected = pipeline.predict_proba(frame)[:, 1]
    model = compile_model(pipeline)
    assert np.max(np.abs(model.predict(frame) - expected)) <= PARITY
    found = model.contributions(frame)
    total = found.values.to_numpy().sum(axis=1) + found.bias
    scores = total if found.units == "probability" else 1.0 / (1.0 + np.exp(-total))
    assert np.max(np.abs(scores - expected)) <= PARITY
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    assert np.max(np.abs(model.predict(records) - expected)) <= PARITY
    compact = frame.astype({c: "category" for c in frame.columns if frame[c].dtype == object})
    assert np.max(np.abs(model.contributions(compact).scores() - expected)) <= PARITY


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_generated_tables(tables, shape, family):
    config, pipeline, scored = tables[shape, family]
    _check(pipeline, scored[config.dataset.feature_columns])


@pytest.mark.parametrize("family", FAMILIES)
def test_telco_reference_file(telco_csv, family):
    raw = pd.read_csv(telco_csv, dtype=str, keep_default_na=False)
    clean = validate_frame(raw, CONFIG, "scoring").clean
    train = customers(3000, 5)
    pipeline = fit(CONFIG, estimators()[family], train)
    _check(pipeline, clean[CONFIG.dataset.feature_columns])
