"""A JSON login's token belongs to its user: it works only while the user is active, with the
user's current role; deactivation, a role change, a password change or reset revoke it (at
once through this process, within the token cache's lifetime elsewhere); a logout with it
revokes it; it cannot create tokens."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from serving_helpers import REPO, bearer, form_login, serving_settings, with_serving

from configs.settings import Settings
from serving.app import create_app
from serving.auth import Authenticator
from tasks.adapters import tokens
from tasks.adapters import users as user_store
from tasks.services import accounts
from tasks.services.context import Context

PASSWORD = "correct horse battery"
CONFIG = REPO / "configs" / "telco.yaml"
CACHE_SECONDS = 3600  # far longer than any test: only a revocation here can end a token early


@pytest.fixture
def site(tmp_path):
    """An app (no model needed) whose token lookups are cached for an hour, an admin and an
    analyst."""
    settings = Settings(state_dir=tmp_path)
    serving = serving_settings(poll_seconds=0, token_cache_seconds=CACHE_SECONDS)
    app = create_app(with_serving(settings, serving), CONFIG)
    with TestClient(app, base_url="https://testserver") as client:
        engine = app.state.serving.engine
        for email, role in (("ada@example.test", "admin"), ("ana@example.test", "analyst")):
            accounts.create_user(Context(settings), accounts.NewUser(email, role, PASSWORD))
        yield client, engine, settings


def _api_login(client, email: str, password: str = PASSWORD) -> dict:
    answer = client.post("/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["access_token"])


def _page_login(client, email: str = "ada@example.test", path: str = "/dashboard/users") -> str:
    client.cookies.clear()
    form_login(client, email, PASSWORD)
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def _user_id(engine, email: str) -> int:
    return user_store.user_by_email(engine, email)["id"]


def _may_approve(client, headers) -> int:
    """An analyst's call: 404 (no such campaign) when admitted, else 401/403."""
    return client.post("/campaigns/999999/approve", headers=headers).status_code


def test_deactivating_a_user_on_the_page_ends_their_login_token_at_once(site):
    client, engine, _ = site
    headers = _api_login(client, "ana@example.test")
    assert client.get("/campaigns", headers=headers).status_code == 200  # now cached
    csrf = _page_login(client)
    ana = _user_id(engine, "ana@example.test")
    client.post(
        f"/dashboard/users/{ana}",
        data={"role": "analyst", "csrf_token": csrf, "confirmed": "yes"},
    )
    assert client.get("/campaigns", headers=headers).status_code == 401


def test_demoting_a_user_on_the_page_ends_their_login_token_at_once(site):
    client, engine, _ = site
    headers = _api_login(client, "ana@example.test")
    assert _may_approve(client, headers) == 404
    csrf = _page_login(client)
    ana = _user_id(engine, "ana@example.test")
    client.post(
        f"/dashboard/users/{ana}",
        data={"role": "viewer", "active": "yes", "csrf_token": csrf, "confirmed": "yes"},
    )
    assert client.get("/campaigns", headers=headers).status_code == 401
    again = _api_login(client, "ana@example.test")  # a new login has the new role
    assert _may_approve(client, again) == 403


def test_the_users_current_role_and_state_are_checked_on_every_use(tmp_path):
    """Even a change that revoked nothing (written straight into the table) applies."""
    settings = Settings(state_dir=tmp_path)
    app = create_app(with_serving(settings, serving_settings(poll_seconds=0)), CONFIG)  # no cache
    with TestClient(app, base_url="https://testserver") as client:
        engine = app.state.serving.engine
        accounts.create_user(
            Context(settings), accounts.NewUser("ana@example.test", "analyst", PASSWORD)
        )
        headers = _api_login(client, "ana@example.test")
        assert _may_approve(client, headers) == 404
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE users SET role = 'viewer'"))
        assert _may_approve(client, headers) == 403
        assert client.get("/campaigns", headers=headers).status_code == 200
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE users SET active = :no"), {"no": False})
        assert client.get("/campaigns", headers=headers).status_code == 401


def test_a_change_from_the_command_line_applies_within_the_cache_lifetime(site):
    """Another process (the CLI) cannot clear this worker's cache: a cached lookup lasts
    at most `ttl` seconds of the worker's clock, then the revocation shows."""
    import asyncio

    client, engine, settings = site
    token = _api_login(client, "ana@example.test")["Authorization"].split()[1]
    now = [1000.0]
    authenticator = Authenticator(Context(settings), ttl=10, clock=lambda: now[0])
    assert asyncio.run(authenticator.verify(token)).email == "ana@example.test"
    change = accounts.RoleChange(_user_id(engine, "ana@example.test"), "analyst", active=False)
    accounts.set_role(Context(settings), change)
    assert asyncio.run(authenticator.verify(token)) is not None  # cached: 10 s at most
    now[0] += 10.001
    assert asyncio.run(authenticator.verify(token)) is None
    with engine.connect() as connection:
        revoked = connection.execute(sa.text("SELECT revoked_at FROM api_tokens")).scalar_one()
    assert revoked is not None  # revoked, not merely refused while the user is inactive


def test_changing_the_password_ends_the_login_tokens(site):
    client, _, _ = site
    headers = _api_login(client, "ana@example.test")
    assert client.get("/campaigns", headers=headers).status_code == 200
    csrf = _page_login(client, "ana@example.test", "/dashboard/profile")
    changed = client.post(
        "/dashboard/profile",
        data={"current": PASSWORD, "csrf_token": csrf, "new": "a brand new passphrase"},
    )
    assert changed.status_code == 200 and "Password changed" in changed.text
    assert client.get("/campaigns", headers=headers).status_code == 401


def test_a_password_reset_ends_the_login_tokens(site):
    client, _, settings = site
    headers = _api_login(client, "ana@example.test")
    assert client.get("/campaigns", headers=headers).status_code == 200
    _, link = accounts.request_reset(Context(settings), "ana@example.test")
    done = client.post(f"/auth/reset/{link}", data={"password": "a fresh strong passphrase"})
    assert done.status_code == 200 and "Password changed" in done.text
    assert client.get("/campaigns", headers=headers).status_code == 401


def test_a_logout_with_the_login_token_revokes_it(site):
    client, engine, _ = site
    client.cookies.clear()
    headers = _api_login(client, "ana@example.test")
    assert client.get("/campaigns", headers=headers).status_code == 200
    out = client.post("/auth/logout", headers=headers, follow_redirects=False)
    assert out.status_code == 204
    assert client.get("/campaigns", headers=headers).status_code == 401
    again = client.post("/auth/logout", headers=headers, follow_redirects=False)
    assert again.status_code == 401
    machine = bearer(tokens.create(engine, "crm-sync", "viewer"))
    refused = client.post("/auth/logout", headers=machine, follow_redirects=False)
    assert refused.status_code == 409 and "DELETE /admin/tokens" in refused.json()["detail"]
    assert client.get("/campaigns", headers=machine).status_code == 200  # still valid


def test_a_login_token_cannot_create_tokens(site):
    client, engine, _ = site
    login = _api_login(client, "ada@example.test")
    asked = client.post("/admin/tokens", json={"name": "forever", "role": "admin"}, headers=login)
    assert asked.status_code == 403 and "login's token" in asked.json()["detail"]
    assert all(t["name"] != "forever" for t in tokens.list_tokens(engine))
    assert client.get("/admin/tokens", headers=login).status_code == 200  # still an admin
    machine = bearer(tokens.create(engine, "ops", "admin"))
    made = client.post("/admin/tokens", json={"name": "forever", "role": "app"}, headers=machine)
    assert made.status_code == 201


def test_login_tokens_issued_before_the_upgrade_are_revoked(tmp_path):
    """They carry no user to check, so the migration revokes them (machines' tokens stay)."""
    from datetime import UTC, datetime, timedelta

    from tasks.adapters import db

    engine = db.make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    db.upgrade(engine, "0008")
    later = datetime.now(UTC) + timedelta(hours=1)
    rows = [
        ("login-1-abc", later, "aaaaaaaaaaaa"),
        ("login-like-machine", None, "bbbbbbbbbbbb"),
        ("crm", None, "cccccccccccc"),
    ]
    with engine.begin() as connection:
        for name, expires, prefix in rows:
            connection.execute(
                sa.text(
                    "INSERT INTO api_tokens (name, role, prefix, token_hash, created_at, "
                    "expires_at) VALUES (:n, 'viewer', :p, 'x', :c, :e)"
                ),
                {"n": name, "p": prefix, "c": datetime.now(UTC), "e": expires},
            )
    db.upgrade(engine)
    with engine.connect() as connection:
        found = dict(connection.execute(sa.text("SELECT name, revoked_at FROM api_tokens")).all())
    assert found["login-1-abc"] is not None
    assert found["login-like-machine"] is None and found["crm"] is None
    engine.dispose()
