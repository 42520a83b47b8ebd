"""Operations: health, readiness, Prometheus metrics, OpenAPI, and the no-prefect import rule."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from serving_helpers import REPO, bearer, customers, serving_settings, with_serving

SAMPLE = re.compile(
    r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?P<labels>\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})?'
    r" (?P<value>[-+]?(\d+(\.\d*)?([eE][-+]?\d+)?|\+Inf|NaN))$"
)


def test_importing_the_app_does_not_import_prefect():
    code = "import serving.app, sys; assert 'prefect' not in sys.modules, 'prefect imported'"
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=120)


def test_health_and_ready(served):
    assert served.client.get("/health").json() == {"detail": "ok"}
    ready = served.client.get("/ready")
    assert ready.status_code == 200 and ready.headers["x-model-version"]


def test_metrics_are_prometheus_text(served):
    record = customers(served.config, 1, seed=2)[1][0]
    for _ in range(3):
        served.client.post("/predict", json=record, headers=bearer(served.tokens["app"]))
    served.client.post("/predict", json=record)
    served.client.get("/nowhere")
    response = served.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: dict[str, list[tuple[str, float]]] = {}
    types = {}
    for line in response.text.splitlines():
        if line.startswith("# TYPE"):
            _, _, name, kind = line.split()
            types[name] = kind
            continue
        if line.startswith("#"):
            assert line.startswith("# HELP ")
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample: {line!r}"
        samples.setdefault(match["name"], []).append((match["labels"] or "", float(match["value"])))
    assert types["retainai_http_requests_total"] == "counter"
    assert types["retainai_http_request_duration_seconds"] == "histogram"
    requests = dict(samples["retainai_http_requests_total"])
    ok = next(v for k, v in requests.items() if 'route="/predict"' in k and 'status="200"' in k)
    assert ok >= 3
    assert any('route="/predict"' in k and 'status="401"' in k for k in requests)
    assert any('route="unmatched"' in k and 'status="404"' in k for k in requests)
    buckets = [
        (labels, v)
        for labels, v in samples["retainai_http_request_duration_seconds_bucket"]
        if 'route="/predict"' in labels
    ]
    counts = [v for _, v in buckets]
    assert counts == sorted(counts) and 'le="+Inf"' in buckets[-1][0]
    total = next(
        v for k, v in samples["retainai_http_request_duration_seconds_count"] if "/predict" in k
    )
    assert counts[-1] == total == sum(v for k, v in requests.items() if 'route="/predict"' in k)
    version = served.state.holder.current.version.version
    info = samples["retainai_model_info"]
    assert len(info) == 1 and f'version="{version}"' in info[0][0] and info[0][1] == 1
    assert samples["retainai_model_loaded"][0][1] == 1
    assert samples["retainai_customers_scored_total"][0][1] >= 3


def test_openapi_documents_bearer_auth_and_the_config_schema(served):
    schema = served.client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["APIToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["APIToken"]["description"],
    }
    predict = schema["paths"]["/predict"]["post"]
    assert predict["security"] == [{"APIToken": []}]
    body = predict["requestBody"]["content"]["application/json"]["schema"]["anyOf"]
    assert body[0] == {"$ref": "#/components/schemas/Customer"}
    assert body[1]["maxItems"] == served.state.serving.max_batch
    customer = schema["components"]["schemas"]["Customer"]
    assert customer["additionalProperties"] is False
    assert customer["properties"]["tenure"]["maximum"] == 120
    assert customer["properties"]["Contract"]["enum"] == ["Month-to-month", "One year", "Two year"]
    assert "customerID" not in customer["required"] and "Contract" in customer["required"]
    assert "security" not in schema["paths"]["/health"]["get"]
    docs = served.client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert served.client.get("/redoc").status_code == 200


def test_every_schema_the_openapi_document_refers_to_is_in_it(served):
    """A dangling $ref breaks the documentation pages (ReDoc refuses the whole document)."""
    schema = served.client.get("/openapi.json").json()
    referred = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(schema)))
    assert referred - set(schema["components"]["schemas"]) == set()


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/campaigns", "GET, POST"),
        ("DELETE", "/predict", "POST"),
        ("PUT", "/admin/tokens", "GET, POST"),
        ("POST", "/customers/C0001", "GET"),
    ],
)
def test_a_wrong_method_names_the_allowed_ones(served, method, path, allowed):
    response = served.client.request(method, path, headers=bearer(served.tokens["admin"]))
    assert response.status_code == 405
    assert response.headers["allow"] == allowed


def test_model_description(served):
    answer = served.client.get("/model", headers=bearer(served.tokens["viewer"])).json()
    assert answer["alias"] == "champion" and answer["predictor"] == "compiled"
    assert answer["family"] in {"logistic_regression", "lightgbm", "blend"}
    assert 0 < answer["threshold"] < 1 and answer["holdout_metrics"]["roc_auc"] > 0.5
    assert answer["trained_at"] and answer["feature_schema"]["title"] == "Customer"


@pytest.fixture
def empty_state(tmp_path):
    from configs.settings import Settings

    return Settings(state_dir=tmp_path / "state")


def test_without_a_champion_the_service_is_up_but_not_ready(empty_state, champion):
    from fastapi.testclient import TestClient

    from serving.app import create_app
    from tasks.adapters import tokens

    app = create_app(with_serving(empty_state, serving_settings()), champion.config)
    with TestClient(app) as client:
        token = tokens.create(app.state.serving.engine, "lonely", "app")
        assert client.get("/health").status_code == 200
        assert client.get("/ready").status_code == 503
        record = customers(app.state.serving.config, 1, seed=1)[1][0]
        answer = client.post("/predict", json=record, headers=bearer(token))
        assert answer.status_code == 503 and answer.headers["x-model-version"] == "none"
        assert 'retainai_model_loaded{pid="' in client.get("/metrics").text
