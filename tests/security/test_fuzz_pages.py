"""A fuzz of every page route and form (the routes left out of the OpenAPI: /dashboard, /auth,
/unsubscribe, assets), read from the app's own route table so a new page is fuzzed without
editing this file. Each generated request (hostile path parameters, the route's query
parameters and form fields with random extra ones, files for the upload fields) goes out
with no session and with the session and CSRF token of a viewer, an analyst and an admin
logged in through the real login form. No answer is a 5xx, and a role the policy
(tasks/core/policy.py) refuses never gets a 2xx or 3xx other than the way to the login."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from serving_helpers import (
    PAGE_PASSWORD,
    add_users,
    form_login,
    seed_scores,
    serving_settings,
    with_serving,
)

from tasks.core.policy import allows
from tests.security.fuzz_routes import form_vocabulary, page_doors

ROLES = (None, "viewer", "analyst", "admin")  # None: no session
FIELDS, FILE_FIELDS = form_vocabulary()
# Routes that check their caller themselves (a session with a form, a token with JSON)
CHECKED_INSIDE = {("POST", "/dashboard/campaigns"): "campaigns"}
CASES = [pytest.param(method, door, id=f"{method} {door.path}") for method, door in page_doors()]


@dataclass
class Site:
    app: Any
    client: Any
    engine: Any
    settings: Any
    users: dict[str, int] = field(default_factory=dict)  # role -> user id
    sessions: dict[str, tuple[str, str]] = field(default_factory=dict)  # role -> (id, csrf)
    known: dict[str, list[str]] = field(default_factory=dict)  # parameter -> real values


def _email(role: str) -> str:
    return f"fuzz-{role}@example.test"


def _login(site: Site, role: str) -> None:
    """A session through the login form; its CSRF token from the profile page."""
    from serving.sessions import COOKIE

    client = site.client
    client.cookies.clear()
    assert form_login(client, _email(role), PAGE_PASSWORD).status_code == 303
    session_id = client.cookies[COOKIE]
    page = client.get("/dashboard/profile").text
    site.sessions[role] = (session_id, re.search(r'name="csrf_token" value="([^"]+)"', page)[1])
    client.cookies.clear()


def _keep(site: Site, role: str) -> None:
    """The role's user as created and its session alive (an admin's request may have changed
    the role, deactivated the user or logged the session out)."""
    from tasks.adapters import users
    from tasks.services import accounts

    ctx = site.app.state.serving.context
    user = users.user_by_id(site.engine, site.users[role])
    if user["role"] != role or not user["active"]:
        accounts.set_role(ctx, accounts.RoleChange(site.users[role], role, True))
    if accounts.current(ctx, site.sessions[role][0]) is None:
        accounts.unlock(ctx, _email(role))  # fuzzed password changes count as failures
        _login(site, role)


def _seed(site: Site, champion) -> None:
    """A campaign (through the page's form), an upload, tokens: real ids for the fuzz."""
    from data.generate import generate_customers
    from serving.sessions import COOKIE
    from tasks.adapters import campaign_store, tokens
    from tasks.adapters import upload_store as uploads
    from tasks.adapters.retention_store import list_customers
    from tasks.services.models import PLOTS

    session_id, csrf = site.sessions["analyst"]
    headers = {"Cookie": f"{COOKIE}={session_id}"}
    form = {"name": "fuzz", "csrf_token": csrf}
    made = site.client.post(
        "/dashboard/campaigns", headers=headers, data=form, follow_redirects=False
    )
    assert made.status_code == 303, made.text
    csv = generate_customers(60, seed=9).to_csv(index=False).encode()
    files = {"file": ("customers.csv", csv, "text/csv")}
    sent = site.client.post("/dashboard/data", headers=headers, data=form, files=files)
    assert sent.status_code == 200, sent.text
    site.client.cookies.clear()
    tokens.create(site.engine, "fuzz-token", "viewer")
    dataset = site.app.state.serving.config.dataset.name
    customers = list_customers(site.engine, dataset, "customer_id", "asc", 3, 0, None)
    assets = site.app.state.pages.assets.versions
    site.known = {
        "campaign_id": [str(c["id"]) for c in campaign_store.list_campaigns(site.engine, dataset)],
        "user_id": [str(i) for i in site.users.values()],
        "customer_id": [c["customer_id"] for c in customers],
        "upload_id": [
            p.stem for p in uploads.folder_of(site.settings).glob("*.csv") if p.stem.isalnum()
        ],
        "name": ["fuzz-token", *assets],
        "version": [champion.version, *assets.values()],
        "plot": list(PLOTS),
        "uri": [
            "runs:/0123456789abcdef/drift.html",
            "runs:/../../x.html",
            "../../x.html",
            "file:///etc/passwd.html",
            "s3://bucket/report.html",
        ],
    }


@pytest.fixture(scope="module")
def site(champion, tmp_path_factory):
    """An app on a copy of the champion's state (the fuzz may roll back, create, revoke):
    stored scores, a user per role logged in, training and scoring never really started."""
    from fastapi.testclient import TestClient

    from configs.settings import Settings
    from serving.app import create_app
    from tasks.adapters import users
    from tasks.adapters.retention_store import list_customers

    state = tmp_path_factory.mktemp("fuzz-pages") / "state"
    shutil.copytree(champion.state, state)
    settings = Settings(state_dir=state, training_source=str(champion.data))
    config = state / champion.config.name
    app = create_app(with_serving(settings, serving_settings()), config)
    serving = app.state.serving
    with TestClient(app) as client:
        engine, dataset = serving.engine, serving.config.dataset.name
        if not list_customers(engine, dataset, "customer_id", "asc", 1, 0, None):
            seed_scores(engine)
        add_users(serving.context, {_email(role): role for role in ROLES if role})
        site = Site(app, client, engine, settings)
        for role in ROLES[1:]:
            site.users[role] = users.user_by_email(engine, _email(role))["id"]
            _login(site, role)
        _seed(site, champion)
        yield site


HOSTILE = st.sampled_from(
    [
        *("0", "-1", "999", "2147483647", "2147483648", "9223372036854775808", str(10**40)),
        *("-9223372036854775809", "1e309", "NaN", "..", "../..", "../../etc/passwd"),
        *("..%2F..%2Fetc", "%00", "\x00", "a\x00b", " ", "ü", "日本", "😀", "\u202e", "%"),
        *("'; DROP TABLE users; --", "<script>", "x" * 2000),
    ]
)
VALUE = st.one_of(HOSTILE, st.text(max_size=40), st.integers().map(str), st.floats().map(repr))
NAME = st.one_of(st.sampled_from(FIELDS), st.text(min_size=1, max_size=20))
FILE_NAME = st.one_of(
    st.sampled_from(["a.csv", "a.parquet", "../../a.csv", "a.exe", ""]), st.text()
)
CSV_HEADER = st.sampled_from(["customer_id,event", "customer_id,event,event_key,occurred_at"])
CSV = st.one_of(
    st.binary(max_size=300),
    st.builds(
        lambda header, rows: "\n".join([header, *(",".join(row) for row in rows)]).encode(),
        st.one_of(CSV_HEADER, st.text(max_size=60)),
        st.lists(st.lists(VALUE, max_size=4), max_size=5),
    ),
)


def _path(door, site: Site, data) -> str:
    path = door.path
    for name in door.path_params:
        known = site.known.get(name) or ["1"]
        value = data.draw(st.one_of(st.sampled_from(known), HOSTILE, st.text(min_size=1)))
        safe = data.draw(st.sampled_from(["", "/."]))  # "/." leaves ../ as it is
        path = path.replace("{" + name + "}", quote(value, safe=safe) or "x")
    return path


def _request(method: str, door, site: Site, data) -> dict[str, Any]:
    """The generated request (the same for every role): url, query, form, files."""
    query = {name: data.draw(VALUE) for name in door.query_params if data.draw(st.booleans())}
    query |= data.draw(st.dictionaries(NAME, VALUE, max_size=3))
    request: dict[str, Any] = {"url": _path(door, site, data), "params": query}
    if method == "GET":
        return request
    form = {name: data.draw(VALUE) for name in door.form_fields if data.draw(st.booleans())}
    extra = st.one_of(VALUE, st.lists(VALUE, max_size=3))  # a list: a repeated field
    form |= data.draw(st.dictionaries(NAME, extra, max_size=6))
    wanted = data.draw(st.lists(st.one_of(st.sampled_from(FILE_FIELDS), NAME), max_size=2))
    files = {name: (data.draw(FILE_NAME), data.draw(CSV), "text/csv") for name in wanted}
    in_header = data.draw(st.booleans())
    return request | {"data": form, "files": files or None, "csrf_in_header": in_header}


def _send(site: Site, method: str, request: dict[str, Any], role: str | None):
    from serving.sessions import COOKIE, CSRF_FIELD, CSRF_HEADER

    headers, sent = {}, dict(request)
    in_header = sent.pop("csrf_in_header", False)
    if role is not None:
        _keep(site, role)
        session_id, csrf = site.sessions[role]
        headers["Cookie"] = f"{COOKIE}={session_id}"
        if method != "GET" and in_header:
            headers[CSRF_HEADER] = csrf
        elif method != "GET":
            sent["data"] = {**sent["data"], CSRF_FIELD: csrf}
    site.client.cookies.clear()
    try:
        return site.client.request(method, headers=headers, follow_redirects=False, **sent)
    finally:
        site.client.cookies.clear()


def _refused(response) -> bool:
    """An error, or (without a session) the way to the login page."""
    login = response.headers.get("location", "").startswith("/auth/login")
    return response.status_code >= 400 or (response.status_code == 303 and login)


@pytest.mark.parametrize(("method", "door"), CASES)
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_page_answers_a_server_error(site, method, door, data):
    request = _request(method, door, site, data)
    action = door.action or CHECKED_INSIDE.get((method, door.path))
    for role in ROLES:
        note(f"{role or 'no session'}: {method} {request}")
        response = _send(site, method, request, role)
        assert response.status_code < 500, f"{role}: {response.status_code} {response.text}"
        reached = door.path_regex.match(response.request.url.path)  # not another route's
        if reached and action is not None and not allows(role, action):
            assert _refused(response), f"{role} may not {action}: {response.status_code}"
