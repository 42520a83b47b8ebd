"""Users, sessions and roles of the dashboard, through the app (no model needed): login and
logout, session fixation, CSRF, the shared rate limit, timeouts, password change and reset
through a real SMTP server, the API login's short-lived token, roles enforced on the server."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from serving_helpers import REPO, form_login, serving_settings, with_serving

from configs.settings import Settings
from serving.app import create_app
from serving.sessions import COOKIE
from tasks.adapters import users as user_store
from tasks.services import accounts
from tests.integration.smtp_server import Recorder, smtp_server

PASSWORD = "correct horse battery"
CONFIG = REPO / "configs" / "telco.yaml"


@pytest.fixture(scope="module")
def mail():
    recorder = Recorder()
    with smtp_server(recorder) as port:
        yield recorder, port


@pytest.fixture
def site(tmp_path, mail, request):
    extra = getattr(request, "param", {})
    settings = Settings(
        state_dir=tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=mail[1],
        smtp_security="none",
        mail_from="RetainAI <noreply@example.test>",
        public_url="https://retain.example.test",
        **extra,
    )
    app = create_app(with_serving(settings, serving_settings(poll_seconds=0)), CONFIG)
    with TestClient(app, base_url="https://testserver") as client:
        engine = app.state.serving.engine
        for email, role in (("ada@example.test", "admin"), ("vic@example.test", "viewer")):
            accounts.create_user(app.state.serving.context, accounts.NewUser(email, role, PASSWORD))
        yield client, engine


def _login(client, email="ada@example.test", password=PASSWORD, **form):
    return form_login(client, email, password, **form)


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_pages_need_a_session_and_the_login_sets_a_safe_cookie(site):
    client, _ = site
    for path in ("/dashboard/", "/dashboard/users", "/dashboard/profile"):
        gone = client.get(path, follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"].startswith("/auth/login")
    wrong = _login(client, password="wrong password!")
    assert wrong.status_code == 401 and "wrong email or password" in wrong.text
    unknown = _login(client, email="nobody@example.test")
    assert unknown.status_code == 401 and "wrong email or password" in unknown.text
    done = _login(client, next="/dashboard/profile")
    assert done.status_code == 303 and done.headers["location"] == "/dashboard/profile"
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    page = client.get("/dashboard/")
    assert page.status_code == 200 and "No scores yet" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert _login(client, next="https://evil.example/").headers["location"] == "/dashboard/"


def _session_cookie(response) -> str:
    return re.search(rf"{COOKIE}=([^;]+);", response.headers["set-cookie"]).group(1)


def test_a_session_id_chosen_before_the_login_is_never_used(site):
    client, _ = site
    token = re.search(r'name="login_token" value="([^"]+)"', client.get("/auth/login").text)[1]
    form = {"email": "ada@example.test", "password": PASSWORD, "login_token": token}
    login_cookie = f"retainai_login={token}"
    planted = {"Cookie": f"{COOKIE}=attacker-chosen-id; {login_cookie}"}
    first = _session_cookie(
        client.post("/auth/login", data=form, headers=planted, follow_redirects=False)
    )
    assert first != "attacker-chosen-id" and len(first) >= 40
    client.cookies.clear()
    earlier = {"Cookie": f"{COOKIE}={first}; {login_cookie}"}
    second = _session_cookie(
        client.post("/auth/login", data=form, follow_redirects=False, headers=earlier)
    )
    assert second != first  # a new login, a new id; the browser's earlier session ended
    client.cookies.clear()
    for cookie, status in ((first, 303), ("attacker-chosen-id", 303), (second, 200)):
        page = client.get(
            "/dashboard/", headers={"Cookie": f"{COOKIE}={cookie}"}, follow_redirects=False
        )
        assert page.status_code == status
        client.cookies.clear()


def test_state_changes_need_the_csrf_token(site):
    client, _ = site
    _login(client)
    token = _csrf(client.get("/dashboard/profile").text)
    change = {"current": PASSWORD, "new": "a brand new passphrase"}
    assert client.post("/dashboard/profile", data=change).status_code == 403
    bad = client.post("/dashboard/profile", data={**change, "csrf_token": "forged"})
    assert bad.status_code == 403 and "reload" in bad.text
    assert client.post("/auth/logout", follow_redirects=False).status_code == 403
    ok = client.post("/dashboard/profile", data={**change, "csrf_token": token})
    assert ok.status_code == 200 and "Password changed" in ok.text
    out = client.post("/auth/logout", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/dashboard/", follow_redirects=False).status_code == 303


def test_wrong_passwords_make_the_next_login_wait(site):
    """The account's count from one address asks for a wait (the rest is in
    tests/security/test_logins_throttle.py); the JSON login shares it."""
    client, _ = site
    for _ in range(3):
        assert _login(client, password="not the password").status_code == 401
    limited = _login(client)  # the right password, too early
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "30"
    api = client.post("/auth/login", json={"email": "ada@example.test", "password": PASSWORD})
    assert api.status_code == 429 and int(api.headers["Retry-After"]) in (29, 30)


def test_idle_sessions_end(site):
    client, engine = site
    _login(client)
    assert client.get("/dashboard/").status_code == 200
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE user_sessions SET last_seen_at = :at"),
            {"at": datetime.now(UTC) - timedelta(minutes=31)},
        )
    assert client.get("/dashboard/", follow_redirects=False).status_code == 303


def test_roles_are_enforced_on_the_server(site):
    client, _ = site
    _login(client, email="vic@example.test")
    refused = client.get("/dashboard/users")
    assert refused.status_code == 403 and "viewer role may not" in refused.text
    token = _csrf(client.get("/dashboard/profile").text)
    posted = client.post(
        "/dashboard/users", data={"email": "x@example.test", "role": "admin", "csrf_token": token}
    )
    assert posted.status_code == 403


def test_admins_manage_users_and_keep_one_admin(site):
    client, engine = site
    _login(client)
    page = client.get("/dashboard/users")
    token = _csrf(page.text)
    new = {"email": "Ana@Example.test", "role": "analyst", "csrf_token": token}
    created = client.post("/dashboard/users", data=new)
    assert created.status_code == 200 and "ana@example.test (analyst) was created" in created.text
    password = re.search(r'<code class="secret">([^<]+)</code>', created.text).group(1)
    attempt = accounts.LoginAttempt("ana@example.test", password, "t")
    assert accounts.login(client.app.state.serving.context, attempt).user["role"] == ("analyst")
    me = next(u for u in user_store.list_users(engine) if u["role"] == "admin")
    demote = client.post(
        f"/dashboard/users/{me['id']}",
        data={"role": "viewer", "active": "yes", "csrf_token": token, "confirmed": "yes"},
    )
    assert demote.status_code == 409 and "last active admin" in demote.text


def test_a_password_reset_by_email_works_once(site, mail):
    client, engine = site
    recorder, _ = mail
    before = len(recorder.received)
    other = TestClient(client.app, base_url="https://testserver")
    _login(other)  # a session elsewhere, ended by the reset
    asked = client.post("/auth/reset", data={"email": "ada@example.test"})
    unknown = client.post("/auth/reset", data={"email": "nobody@example.test"})
    assert (
        asked.text.count("a reset link is on its way")
        == unknown.text.count("a reset link is on its way")
        == 1
    )
    assert len(recorder.received) == before + 1  # nothing sent for the unknown address
    mail_text = message_from_bytes(recorder.received[-1].content).get_payload(decode=True)
    link = re.search(rb"https://retain\.example\.test(/auth/reset/\S+)", mail_text).group(1)
    assert client.get(link.decode()).status_code == 200
    new = {"password": "a fresh strong passphrase"}
    assert "Password changed" in client.post(link.decode(), data=new).text
    assert other.get("/dashboard/", follow_redirects=False).status_code == 303
    again = client.post(link.decode(), data={"password": "yet another passphrase"})
    assert again.status_code == 400 and "used, expired or unknown" in again.text
    assert _login(client, password="a fresh strong passphrase").status_code == 303

    client.post("/auth/reset", data={"email": "ada@example.test"})
    late = re.search(
        rb"(/auth/reset/\S+)",
        message_from_bytes(recorder.received[-1].content).get_payload(decode=True),
    ).group(1)
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE password_resets SET expires_at = :at"),
            {"at": datetime.now(UTC) - timedelta(seconds=1)},
        )
    assert client.post(late.decode(), data=new).status_code == 400


def test_the_api_login_returns_a_short_lived_token(site):
    client, engine = site
    wrong = client.post("/auth/login", json={"email": "vic@example.test", "password": "nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "wrong email or password"
    found = client.post("/auth/login", json={"email": "vic@example.test", "password": PASSWORD})
    body = found.json()
    assert (
        body["user"] == {"id": body["user"]["id"], "email": "vic@example.test", "role": "viewer"}
        and body["expires_in"] == 3600
    )
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/dashboard/kpis", headers=headers).status_code == 404  # no scores yet
    assert client.get("/dashboard/kpis").status_code == 401
    assert client.post("/campaigns", headers=headers, json={}).status_code == 403  # a viewer
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE api_tokens SET expires_at = :at"),
            {"at": datetime.now(UTC) - timedelta(seconds=1)},
        )
    later = TestClient(client.app, base_url="https://testserver")  # no cached lookup
    assert later.get("/dashboard/kpis", headers=headers).status_code in (401, 404)


def test_registration_is_off_unless_enabled(site):
    client, _ = site
    assert client.get("/auth/register").status_code == 404
    answer = client.post("/auth/register", json={"email": "new@example.test", "password": "x" * 12})
    assert answer.status_code == 404


@pytest.mark.parametrize("site", [{"self_registration": True}], indirect=True)
def test_self_registration_makes_viewers(site):
    client, _ = site
    made = client.post(
        "/auth/register", json={"email": "New@example.test", "password": "long enough pass"}
    )
    assert made.status_code == 201 and made.json()["role"] == "viewer"
    again = client.post(
        "/auth/register", json={"email": "new@example.test", "password": "long enough pass"}
    )
    assert again.status_code == 409
    short = client.post("/auth/register", data={"email": "b@example.test", "password": "short"})
    assert short.status_code == 400 and "12 to 256 characters" in short.text


def test_assets_are_versioned_and_cached_pages_are_not(site):
    client, _ = site
    page = client.get("/auth/login")
    css = re.search(r'href="(/static/[0-9a-f]{12}/app\.css)"', page.text).group(1)
    served = client.get(css)
    assert served.status_code == 200 and "immutable" in served.headers["cache-control"]
    assert client.get(css.replace("/static/", "/static/0")).status_code == 404
    assert page.headers["cache-control"] == "no-store"


def test_admins_create_and_revoke_api_tokens_from_the_page(site):
    client, _ = site
    _login(client)
    token = _csrf(client.get("/dashboard/tokens").text)
    made = client.post(
        "/dashboard/tokens", data={"name": "crm-sync", "role": "viewer", "csrf_token": token}
    )
    secret = re.search(r'<code class="secret">(rtn_[^<]+)</code>', made.text).group(1)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/dashboard/kpis", headers=headers).status_code == 404  # admitted
    bad = client.post(
        "/dashboard/tokens", data={"name": "crm-sync", "role": "viewer", "csrf_token": token}
    )
    assert bad.status_code == 400 and "already exists" in bad.text
    gone = client.post("/dashboard/tokens/crm-sync/revoke", data={"csrf_token": token})
    assert "revoked" in gone.text
    later = TestClient(client.app, base_url="https://testserver")
    assert later.get("/dashboard/kpis", headers=headers).status_code == 401
    _login(client, email="vic@example.test")
    assert client.get("/dashboard/tokens").status_code == 403
