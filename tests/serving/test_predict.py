"""POST /predict: the logged pipeline's probabilities, segments, reasons, strict validation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from serving_helpers import bearer, body, customers

from tasks.core.inference import fold_engineered
from tasks.core.kpis import assign_risk_segments
from tasks.core.scoring import reason_records, reasons_json


@pytest.fixture(scope="module")
def batch(served):
    return customers(served.config, 40, seed=21)


def _post(served, payload, query: str = "", raw: bytes | None = None, role: str = "app"):
    data = raw if raw is not None else body(payload)
    headers = {**bearer(served.tokens[role]), "Content-Type": "application/json"}
    return served.client.post(f"/predict{query}", content=data, headers=headers)


def test_single_customer(served, batch):
    frame, records = batch
    response = _post(served, records[0])
    assert response.status_code == 200
    answer = response.json()
    model = served.state.holder.current
    assert answer["model"] == {
        "name": "retainai-churn",
        "version": model.version.version,
        "alias": "champion",
    }
    assert response.headers["x-model-version"] == model.version.version
    assert response.headers["x-model-alias"] == "champion"
    expected = model.pipeline.predict_proba(frame.iloc[:1][served.config.dataset.feature_columns])
    assert answer["churn_probability"] == pytest.approx(expected[0, 1], abs=1e-12)
    assert answer["customer_id"] == records[0]["customerID"]
    assert "reasons" not in answer


def test_batch_equals_predict_proba_and_config_segments(served, batch):
    frame, records = batch
    answer = _post(served, records).json()
    probabilities = np.array([p["churn_probability"] for p in answer["predictions"]])
    pipeline = served.state.holder.current.pipeline
    expected = pipeline.predict_proba(frame[served.config.dataset.feature_columns])[:, 1]
    assert np.max(np.abs(probabilities - expected)) <= 1e-9
    segments = assign_risk_segments(probabilities, served.config.segments).tolist()
    assert [p["risk_segment"] for p in answer["predictions"]] == segments
    assert [p["customer_id"] for p in answer["predictions"]] == [r["customerID"] for r in records]


def test_explain_uses_the_batch_scoring_explanations(served, batch):
    frame, records = batch
    answer = _post(served, records[:5], "?explain=true", role="viewer").json()
    model = served.state.holder.current
    inputs = frame.iloc[:5][served.config.dataset.feature_columns]
    found = model.compiled.contributions(inputs)
    top = served.config.model.top_reasons
    by_column = fold_engineered(found, model.compiled.specs)
    expected = reason_records(by_column, top)
    assert [
        [{k: v for k, v in r.items() if k not in ("label", "text")} for r in p["reasons"]]
        for p in answer["predictions"]
    ] == json.loads(json.dumps(expected))
    stored = [json.loads(text) for text in reasons_json(by_column, by_column.features, top)]
    assert [
        [(r["feature"], r["contribution"]) for r in p["reasons"]] for p in answer["predictions"]
    ] == [
        [(r["feature"], float(r["contribution"])) for r in row] for row in stored
    ]  # what batch scoring stores: business columns, engineered features folded in
    engineered = {f.name for f in served.config.features if f.kind in ("log1p", "bins")}
    assert all(r["feature"] not in engineered for p in answer["predictions"] for r in p["reasons"])
    assert all(
        r["text"].startswith(r["label"]) for p in answer["predictions"] for r in p["reasons"]
    )
    probabilities = [p["churn_probability"] for p in answer["predictions"]]
    assert probabilities == pytest.approx(found.scores().tolist(), abs=1e-12)
    reference = model.pipeline.predict_proba(inputs)[:, 1]
    assert np.max(np.abs(np.array(probabilities) - reference)) <= 1e-9
    assert all(len(p["reasons"]) == served.config.model.top_reasons for p in answer["predictions"])


def test_id_column_is_optional(served, batch):
    record = {k: v for k, v in batch[1][0].items() if k != "customerID"}
    answer = _post(served, record).json()
    assert answer["customer_id"] is None and 0 <= answer["churn_probability"] <= 1


def test_integer_spelled_categories_accept_json_integers(served, batch):
    record = {**batch[1][0], "SeniorCitizen": 1}
    text = {**batch[1][0], "SeniorCitizen": "1"}
    assert _post(served, record).json() == _post(served, text).json()


def test_blank_rule_follows_the_config(served, batch):
    record = {**batch[1][0], "tenure": 0, "TotalCharges": None}
    assert _post(served, record).status_code == 200
    missing = {k: v for k, v in record.items() if k != "TotalCharges"}
    assert _post(served, missing).status_code == 200
    wrong = _post(served, {**record, "tenure": 5})
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"] == ["body", "TotalCharges"]


@pytest.mark.parametrize(("given", "stored"), [(6273, "6273"), (6273.0, "6273"), ("0042", "0042")])
def test_ids_as_json_numbers_or_strings_come_back_as_text(served, batch, given, stored):
    response = _post(served, {**batch[1][0], "customerID": given})
    assert response.status_code == 200
    assert response.json()["customer_id"] == stored


def _edit(record: dict, **changes) -> dict:
    out = {**record, **changes}
    return {k: v for k, v in out.items() if v is not ...}


@pytest.mark.parametrize(
    ("change", "loc", "kind"),
    [
        ({"tenure": "12"}, ["body", "tenure"], "int_type"),
        ({"tenure": 12.5}, ["body", "tenure"], "int_type"),
        ({"tenure": 121}, ["body", "tenure"], "less_than_equal"),
        ({"MonthlyCharges": -1.0}, ["body", "MonthlyCharges"], "greater_than_equal"),
        ({"MonthlyCharges": True}, ["body", "MonthlyCharges"], "float_type"),
        ({"Contract": "Weekly"}, ["body", "Contract"], "literal_error"),
        ({"SeniorCitizen": True}, ["body", "SeniorCitizen"], "literal_error"),
        ({"SeniorCitizen": 2}, ["body", "SeniorCitizen"], "literal_error"),
        ({"Contract": ...}, ["body", "Contract"], "missing"),
        ({"favourite_colour": "blue"}, ["body", "favourite_colour"], "extra_forbidden"),
        ({"customerID": True}, ["body", "customerID"], "string_type"),
        ({"customerID": ""}, ["body", "customerID"], "string_too_short"),
        ({"customerID": "x" * 65}, ["body", "customerID"], "string_too_long"),
    ],
)
def test_field_errors_name_their_path(served, batch, change, loc, kind):
    response = _post(served, _edit(batch[1][0], **change))
    assert response.status_code == 422
    assert {"loc": loc, "type": kind} in [
        {"loc": e["loc"], "type": e["type"]} for e in response.json()["detail"]
    ]


def test_batch_errors_name_the_row(served, batch):
    records = [batch[1][0], _edit(batch[1][1], tenure="x"), _edit(batch[1][2], gender=...)]
    detail = _post(served, records).json()["detail"]
    assert [e["loc"] for e in detail] == [["body", 1, "tenure"], ["body", 2, "gender"]]


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"{not json", "json_invalid"),
        (b"", "json_type"),
        (b'"a string"', "json_type"),
        (b"42", "json_type"),
        (b"null", "json_type"),
        (b"[]", "too_short"),
        (b"[1, 2]", "dict_type"),
        (b'{"tenure": 1} trailing', "json_invalid"),
        ('{"x": "\udcff"}'.encode("utf-8", "surrogatepass"), "json_invalid"),
    ],
)
def test_malformed_bodies_are_client_errors(served, raw, kind):
    response = _post(served, None, raw=raw)
    assert response.status_code == 422
    assert kind in [e["type"] for e in response.json()["detail"]]


def test_explain_flag_must_be_a_boolean(served, batch):
    response = _post(served, batch[1][0], "?explain=perhaps")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "explain"]


def test_oversized_requests_are_refused(served, batch):
    limit = served.state.serving.max_batch
    records = (batch[1] * 3)[: limit + 1]
    response = _post(served, records)
    assert response.status_code == 413
    assert f"at most {limit} customers" in response.json()["detail"][0]["msg"]
    assert _post(served, records[:limit]).status_code == 200
    huge = b"[" + b" " * (served.state.serving.max_body_bytes + 1) + b"]"
    response = _post(served, None, raw=huge)
    assert response.status_code == 413 and "exceeds" in response.json()["detail"][0]["msg"]


def test_error_lists_are_bounded(served, batch):
    records = [_edit(r, tenure="x", MonthlyCharges="y") for r in batch[1][:40]]
    detail = _post(served, records).json()["detail"]
    assert len(detail) == 51 and detail[-1]["type"] == "truncated"
