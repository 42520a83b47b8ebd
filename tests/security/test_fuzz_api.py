"""Schemathesis over every operation of the OpenAPI, in-process, as each role a token may
have (app, viewer, analyst, admin): no 5xx, answers match the schema, and a role the policy
(tasks/core/policy.py) refuses never gets a 2xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import SecretStr
from schemathesis.config import SchemathesisConfig
from serving_helpers import make_tokens, serving_settings, with_serving

from tasks.core.policy import allows
from tests.security.fuzz_routes import door_of

# 413 is this API's documented answer to a batch above max_batch (also invalid data);
# unknown query parameters are ignored, as FastAPI does, so none are generated
REJECTED = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]
SETTINGS = {"deadline": None, "suppress_health_check": list(HealthCheck)}


@pytest.fixture(scope="module")
def fuzzed(champion):
    """One app on the champion (training never really starts) and a token per role."""
    from serving.app import create_app
    from tasks.adapters import db
    from tasks.adapters.db import make_engine

    source = SecretStr(str(champion.data))
    settings = champion.settings.model_copy(update={"training_source": source})
    app = create_app(with_serving(settings, serving_settings(max_batch=20)), champion.config)
    engine = make_engine(champion.settings.resolved_database_url, 1)
    db.ensure_schema(engine, embedded=True)
    tokens = make_tokens(engine, "fuzz-api-")
    engine.dispose()
    return app, tokens


def _schema(fuzzed, role: str):
    """The schema as `role` sees it: its token on every call. The coverage phase (every
    boundary of every field, whatever max_examples says) runs as admin only, whose calls
    reach every endpoint; the other roles get the fuzzing phase."""
    app, tokens = fuzzed
    config = SchemathesisConfig.from_dict(
        {
            "auth": {"openapi": {"APIToken": {"bearer": tokens[role]}}},
            "generation": {"allow-extra-parameters": False},
            "phases": {"coverage": {"enabled": role == "admin"}},
            "checks": {
                "negative_data_rejection": {"expected-statuses": REJECTED},
            },
        }
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


@pytest.fixture(scope="module")
def admin_schema(fuzzed):
    return _schema(fuzzed, "admin")


@pytest.fixture(scope="module")
def analyst_schema(fuzzed):
    return _schema(fuzzed, "analyst")


@pytest.fixture(scope="module")
def viewer_schema(fuzzed):
    return _schema(fuzzed, "viewer")


@pytest.fixture(scope="module")
def app_schema(fuzzed):
    return _schema(fuzzed, "app")


def _call(case, role: str, fuzzed, monkeypatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    response = case.call_and_validate()
    door = door_of(fuzzed[0], case.operation.path, case.method)
    action = door.token_action if door else None
    if action is not None and not allows(role, action):
        assert response.status_code >= 400, f"{role} may not {action}: {response.status_code}"


@schemathesis.pytest.from_fixture("admin_schema").parametrize()
@settings(max_examples=25, **SETTINGS)
def test_every_operation_as_admin(case, fuzzed, monkeypatch):
    _call(case, "admin", fuzzed, monkeypatch)


@schemathesis.pytest.from_fixture("analyst_schema").parametrize()
@settings(max_examples=8, **SETTINGS)
def test_every_operation_as_analyst(case, fuzzed, monkeypatch):
    _call(case, "analyst", fuzzed, monkeypatch)


@schemathesis.pytest.from_fixture("viewer_schema").parametrize()
@settings(max_examples=8, **SETTINGS)
def test_every_operation_as_viewer(case, fuzzed, monkeypatch):
    _call(case, "viewer", fuzzed, monkeypatch)


@schemathesis.pytest.from_fixture("app_schema").parametrize()
@settings(max_examples=8, **SETTINGS)
def test_every_operation_as_app(case, fuzzed, monkeypatch):
    _call(case, "app", fuzzed, monkeypatch)
