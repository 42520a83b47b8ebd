"""Requests scored together give each request its own probabilities, and only a failing
request fails."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from configs.schema import load_config
from data.generate import generate_customers
from serving.coalesce import Coalescer
from tasks.core import modeling
from tasks.core.contract import validate_frame
from tasks.core.inference import compile_model

CONFIG = load_config(Path(__file__).resolve().parents[2] / "configs" / "telco.yaml")


class Recording:
    """A compiled model that records the size of every call."""

    def __init__(self, model):
        self.model = model
        self.calls: list[int] = []

    def predict(self, records):
        self.calls.append(len(records))
        if any(r.get("tenure") == -1 for r in records):
            raise ValueError("tenure -1")
        return self.model.predict(records)


@pytest.fixture(scope="module")
def model_and_records():
    rows = validate_frame(generate_customers(600, 3), CONFIG, "training").clean
    features = rows[CONFIG.dataset.feature_columns]
    target = (rows[CONFIG.dataset.target.column] == "Yes").to_numpy()
    pipeline = modeling.build_pipeline(CONFIG, LogisticRegression(max_iter=2000))
    pipeline.fit(features, target)
    return compile_model(pipeline), features.to_dict("records")


async def _together(coalescer, predictor, batches):
    return await asyncio.gather(
        *(coalescer.predict(predictor, batch) for batch in batches), return_exceptions=True
    )


def test_requests_arriving_together_are_scored_in_one_call(model_and_records):
    model, records = model_and_records
    predictor = Recording(model)
    sizes = [1, 2, 3, 1, 5, 1, 1, 4, 2, 1]
    batches = [records[i : i + k] for i, k in zip(range(0, 60, 6), sizes, strict=True)]
    got = asyncio.run(_together(Coalescer(), predictor, batches))
    assert predictor.calls == [sum(len(b) for b in batches)]
    for batch, probabilities in zip(batches, got, strict=True):
        single = [model.predict([r])[0] for r in batch]
        np.testing.assert_allclose(probabilities, single, rtol=0, atol=1e-12)


def test_a_failing_request_fails_alone(model_and_records):
    model, records = model_and_records
    predictor = Recording(model)
    bad = [{**records[0], "tenure": -1}]
    batches = [records[:2], bad, records[2:3]]
    got = asyncio.run(_together(Coalescer(), predictor, batches))
    assert isinstance(got[1], ValueError)
    np.testing.assert_allclose(got[0], model.predict(records[:2]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(got[2], model.predict(records[2:3]), rtol=0, atol=1e-12)
    assert predictor.calls == [4, 2, 1, 1]  # together, then one by one


def test_each_model_scores_its_own_requests(model_and_records):
    model, records = model_and_records
    first, second = Recording(model), Recording(model)

    async def mixed():
        coalescer = Coalescer()
        return await asyncio.gather(
            coalescer.predict(first, records[:1]),
            coalescer.predict(second, records[1:3]),
            coalescer.predict(first, records[3:4]),
        )

    a, b, c = asyncio.run(mixed())
    assert first.calls == [2] and second.calls == [2]
    expected = model.predict([records[0], records[3]])
    np.testing.assert_allclose(a + c, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(b, model.predict(records[1:3]), rtol=0, atol=1e-12)
