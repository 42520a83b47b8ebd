"""The request guard: token before body, a body limit per route, JSON media type, disconnects.

Most tests drive the ASGI app directly, so they can count the body bytes the app asked for."""

from __future__ import annotations

import time

import pytest
from serving_helpers import bearer, body, customers

BIG = 50 * 1024 * 1024
JSON_ROUTES = ["/predict", "/campaigns", "/admin/tokens"]


class Exchange:
    """One request through the ASGI app: the body arrives in `chunks`, then a disconnect."""

    def __init__(self, served, method: str, path: str, headers: dict, chunks: list[bytes]):
        self.served = served
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        self.chunks = list(chunks)
        self.received = 0  # body bytes the app took
        self.messages: list[dict] = []

    async def receive(self) -> dict:
        if not self.chunks:
            return {"type": "http.disconnect"}
        chunk = self.chunks.pop(0)
        self.received += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(self, message: dict) -> None:
        self.messages.append(message)

    def run(self) -> Exchange:
        self.served.client.portal.call(self.served.app, self.scope, self.receive, self.send)
        return self

    @property
    def status(self) -> int:
        return next(m["status"] for m in self.messages if m["type"] == "http.response.start")


def _json(token: str | None, length: int) -> dict:
    headers = {"content-type": "application/json", "content-length": str(length)}
    return {**headers, **({"authorization": f"Bearer {token}"} if token else {})}


@pytest.mark.parametrize("path", JSON_ROUTES)
def test_a_large_body_without_a_token_is_refused_unread(served, path):
    exchange = Exchange(served, "POST", path, _json(None, BIG), [b" " * 65536] * 800).run()
    assert exchange.status == 401
    assert exchange.received == 0


def test_a_large_body_for_the_wrong_role_is_refused_unread(served):
    headers = _json(served.tokens["app"], BIG)
    exchange = Exchange(served, "POST", "/admin/tokens", headers, [b" " * 65536] * 800).run()
    assert exchange.status == 403 and exchange.received == 0


@pytest.mark.parametrize("path", JSON_ROUTES)
def test_a_declared_oversized_body_is_refused_unread(served, path):
    from serving.guard import JSON_LIMIT

    limit = served.state.serving.max_body_bytes if path == "/predict" else JSON_LIMIT
    headers = _json(served.tokens["admin"], limit + 1)
    exchange = Exchange(served, "POST", path, headers, [b" " * (limit + 1)]).run()
    assert exchange.status == 413 and exchange.received == 0
    answer = b"".join(m.get("body", b"") for m in exchange.messages)
    assert f"exceeds {limit} bytes".encode() in answer


def test_routes_without_a_body_are_limited_too(served):
    headers = _json(served.tokens["admin"], BIG)
    exchange = Exchange(served, "POST", "/admin/reload", headers, [b" " * 65536]).run()
    assert exchange.status == 413 and exchange.received == 0


@pytest.mark.parametrize("path", JSON_ROUTES)
def test_a_chunked_oversized_body_is_cut_off(served, path):
    from serving.guard import JSON_LIMIT

    limit = served.state.serving.max_body_bytes if path == "/predict" else JSON_LIMIT
    headers = {
        "authorization": f"Bearer {served.tokens['admin']}",
        "content-type": "application/json",
        "transfer-encoding": "chunked",
    }
    chunk = b" " * 16384
    chunks = [chunk] * (limit // len(chunk) + 10)
    exchange = Exchange(served, "POST", path, headers, chunks).run()
    assert exchange.status == 413
    assert limit < exchange.received <= limit + len(chunk)


def test_chunked_bodies_through_http(served):
    def pieces(payload: bytes, size: int):
        for start in range(0, len(payload), size):
            yield payload[start : start + size]

    headers = {**bearer(served.tokens["analyst"]), "Content-Type": "application/json"}
    small = body({"name": f"chunked {time.time_ns()}"})
    answer = served.client.post("/campaigns", content=pieces(small, 7), headers=headers)
    assert answer.status_code == 201, answer.text
    huge = body({"name": "x" * 70_000})
    answer = served.client.post("/campaigns", content=pieces(huge, 4096), headers=headers)
    assert answer.status_code == 413 and answer.json()["detail"][0]["type"] == "too_large"


def test_the_guards_lookup_is_reused(served, monkeypatch):
    authenticator = served.state.authenticator
    calls = []
    original = authenticator.verify

    async def counted(token):
        calls.append(token)
        return await original(token)

    monkeypatch.setattr(authenticator, "verify", counted)
    headers = bearer(served.tokens["viewer"])
    assert served.client.get("/model", headers=headers).status_code == 200
    assert served.client.get(f"/customers/{served.customer_ids[0]}", headers=headers).is_success
    record = customers(served.config, 1, seed=4)[1][0]
    assert served.client.post("/predict", json=record, headers=headers).status_code == 200
    assert len(calls) == 3


def test_public_routes_stay_public(served):
    for path in ("/health", "/ready", "/metrics", "/docs", "/openapi.json"):
        assert served.client.get(path).status_code == 200, path


def test_every_route_needs_a_policy():
    from fastapi import APIRouter
    from fastapi.routing import APIRoute
    from starlette.routing import Route

    from serving.guard import policies

    router = APIRouter()

    @router.get("/open")
    async def unguarded() -> dict:
        return {}

    with pytest.raises(ValueError, match="/open"):
        policies(router.routes, {})
    plain = Route("/plain", unguarded, methods=["GET"])
    with pytest.raises(ValueError, match="/plain"):
        policies([plain], {})
    assert isinstance(router.routes[0], APIRoute)
    assert policies([plain], {}, public=["/plain"])["/plain"]["GET"].access is None


def _json_route(served, path: str, stamp: int) -> tuple[bytes, dict]:
    payload = {
        "/predict": customers(served.config, 1, seed=6)[1][0],
        "/campaigns": {"name": f"typed {stamp}"},
        "/admin/tokens": {"name": f"typed-{stamp}", "role": "viewer"},
    }[path]
    return body(payload), bearer(served.tokens["admin"])


@pytest.mark.parametrize("path", JSON_ROUTES)
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None]
)
def test_json_bodies_need_a_json_content_type(served, path, content_type):
    raw, headers = _json_route(served, path, time.time_ns())
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = served.client.post(path, content=raw, headers=headers)
    assert response.status_code == 415, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == ["header", "content-type"] and "application/json" in error["msg"]


@pytest.mark.parametrize("path", JSON_ROUTES)
@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_json_content_types_are_accepted(served, path, content_type):
    raw, headers = _json_route(served, path, time.time_ns())
    response = served.client.post(
        path, content=raw, headers={**headers, "Content-Type": content_type}
    )
    assert response.is_success, response.text


@pytest.mark.parametrize(
    ("path", "role"), [("/predict", "app"), ("/campaigns", "analyst"), ("/admin/tokens", "admin")]
)
def test_a_client_leaving_mid_body_is_no_server_error(served, path, role):
    requests = served.state.metrics.requests
    errors = sum(n for (_, _, status), n in requests.items() if status >= 500)
    before = requests[(path, "POST", 499)]
    headers = _json(served.tokens[role], 1000)
    Exchange(served, "POST", path, headers, [b'{"name": "par']).run()  # raises nothing
    assert requests[(path, "POST", 499)] == before + 1
    assert sum(n for (_, _, status), n in requests.items() if status >= 500) == errors
