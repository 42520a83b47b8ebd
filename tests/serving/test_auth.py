"""Every route x every caller: 401 without a valid token, 403 for the wrong role, else 2xx."""

from __future__ import annotations

import logging
import time

import pytest
from serving_helpers import ROLES, bearer, customers

ACCESS = {
    "predict": {"app", "viewer", "analyst", "admin"},
    "read": {"viewer", "analyst", "admin"},
    "campaigns": {"analyst", "admin"},
    "admin": {"admin"},
    "public": {"none", "bad", "basic", *ROLES},
}
# (method, path, access, status for an allowed caller); bodies and paths are built per call
ROUTES = [
    ("POST", "/predict", "predict", 200),
    ("GET", "/model", "read", 200),
    ("GET", "/kpis", "read", 200),
    ("GET", "/customers", "read", 200),
    ("GET", "/customers/{id}", "read", 200),
    ("POST", "/campaigns", "campaigns", 201),
    ("POST", "/admin/reload", "admin", 200),
    ("POST", "/trigger-training", "admin", 202),
    ("POST", "/api/trigger-training", "admin", 202),  # the original product's path
    ("GET", "/admin/tokens", "admin", 200),
    ("POST", "/admin/tokens", "admin", 201),
    ("DELETE", "/admin/tokens/{name}", "admin", 204),
    ("GET", "/health", "public", 200),
    ("GET", "/ready", "public", 200),
    ("GET", "/metrics", "public", 200),
]
CALLERS = ["none", "bad", "basic", *ROLES]
BAD_TOKEN = "rtn_0123456789ab_" + "x" * 43


@pytest.fixture(scope="module")
def customer(served) -> dict:
    return customers(served.config, 5, seed=11)[1][0]


def _request(served, customer, method: str, path: str, caller: str):
    from tasks.adapters import tokens

    fixed = {"none": {}, "bad": bearer(BAD_TOKEN), "basic": {"Authorization": "Basic dXNlcjpwYXNz"}}
    headers = fixed[caller] if caller in fixed else bearer(served.tokens[caller])
    stamp = time.time_ns()
    if "{name}" in path:
        path = path.format(name=f"doomed-{stamp}")
        tokens.create(served.state.engine, f"doomed-{stamp}", "viewer")
    path = path.format(id=served.customer_ids[1])
    payload = {
        "/predict": customer,
        "/campaigns": {"name": f"matrix {caller}"},
        "/admin/tokens": {"name": f"made-{stamp}", "role": "viewer"},
    }.get(path)
    return served.client.request(method, path, json=payload, headers=headers)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "path", "access", "ok"), ROUTES)
def test_auth_matrix(served, customer, method, path, access, ok, caller):
    response = _request(served, customer, method, path, caller)
    if caller in ACCESS[access]:
        assert response.status_code == ok, response.text
    elif caller in ("none", "bad", "basic"):
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"
    else:
        assert response.status_code == 403, response.text
        assert caller in response.json()["detail"]
    assert response.headers["x-model-name"] == "retainai-churn"


def test_revoked_token_is_refused(served):
    from tasks.adapters import tokens

    token = tokens.create(served.state.engine, f"short-lived-{time.time_ns()}", "viewer")
    assert served.client.get("/model", headers=bearer(token)).status_code == 200
    name = next(
        t["name"]
        for t in tokens.list_tokens(served.state.engine)
        if t["prefix"] == token.split("_")[1]
    )
    answer = served.client.delete(f"/admin/tokens/{name}", headers=bearer(served.tokens["admin"]))
    assert answer.status_code == 204
    assert served.client.get("/model", headers=bearer(token)).status_code == 401


def test_an_admin_token_may_not_revoke_itself(served):
    from tasks.adapters import tokens

    name = f"self-revoking-{time.time_ns()}"
    token = tokens.create(served.state.engine, name, "admin")
    answer = served.client.delete(f"/admin/tokens/{name}", headers=bearer(token))
    assert answer.status_code == 409
    assert "itself" in answer.json()["detail"]
    assert served.client.get("/admin/tokens", headers=bearer(token)).status_code == 200
    other = served.client.delete(f"/admin/tokens/{name}", headers=bearer(served.tokens["admin"]))
    assert other.status_code == 204


def test_tokens_are_stored_hashed_and_listed_without_secrets(served):
    from tasks.adapters import tokens

    listed = served.client.get("/admin/tokens", headers=bearer(served.tokens["admin"])).json()
    text = str(listed) + str(tokens.list_tokens(served.state.engine))
    for token in served.tokens.values():
        assert token not in text
        assert token.split("_", 2)[2] not in text
    import sqlalchemy as sa

    with served.state.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT token_hash FROM api_tokens")).scalars().all()
    assert tokens.digest(served.tokens["app"]) in stored
    assert not any(token in stored for token in served.tokens.values())


def test_tokens_never_appear_in_logs(served, customer, caplog, monkeypatch):
    monkeypatch.setattr(logging.getLogger("retainai"), "propagate", True)
    caplog.set_level(logging.DEBUG)
    for caller in CALLERS:
        for method, path, *_ in ROUTES[:6]:
            _request(served, customer, method, path, caller)
    created = served.client.post(
        "/admin/tokens",
        json={"name": f"logged-{time.time_ns()}", "role": "app"},
        headers=bearer(served.tokens["admin"]),
    ).json()["token"]
    text = caplog.text
    for token in [*served.tokens.values(), BAD_TOKEN, created]:
        assert token not in text


def test_cli_creates_lists_and_revokes_tokens(served, champion, monkeypatch):
    from typer.testing import CliRunner

    from flows.cli import app

    monkeypatch.setenv("RETAINAI_STATE_DIR", str(champion.state))
    runner = CliRunner()
    name = f"cli-{time.time_ns()}"
    created = runner.invoke(app, ["tokens", "create", "--role", "analyst", "--name", name])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("rtn_")
    headers = bearer(token)
    assert (
        served.client.post("/campaigns", json={"name": "cli"}, headers=headers).status_code == 201
    )
    listed = runner.invoke(app, ["tokens", "list"])
    assert name in listed.stdout and token not in listed.stdout
    assert runner.invoke(app, ["tokens", "revoke", name]).exit_code == 0
    assert (
        served.client.post("/campaigns", json={"name": "cli"}, headers=headers).status_code == 401
    )
    assert runner.invoke(app, ["tokens", "revoke", name]).exit_code != 0
    duplicate = runner.invoke(app, ["tokens", "create", "--role", "app", "--name", name])
    assert duplicate.exit_code != 0
    wrong_role = runner.invoke(app, ["tokens", "create", "--role", "root", "--name", "x"])
    assert wrong_role.exit_code != 0
