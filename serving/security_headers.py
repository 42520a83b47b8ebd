"""Security headers on every answer (pure ASGI, outermost): no page may be framed, no type
sniffed, no address leaked to other sites; and a Content-Security-Policy.

The dashboard's policy runs scripts only from the app itself, plus inline scripts carrying
the nonce drawn afresh for each response (`csp_nonce` in the templates; today no page has
one: charts are drawn by /static/charts.js from the spec their element holds). A route may
set its own policy (the drift report, sandboxed). The API documentation (/docs, /redoc) is
FastAPI's Swagger UI and ReDoc, loaded from the jsDelivr CDN with an inline start-up script:
its policy allows that CDN and exactly that script (by its SHA-256)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NONCE = "retainai.csp_nonce"  # the response's nonce, in the request scope
FIXED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
# plotly.js writes its styles at run time (<style> elements per chart, style attributes on
# its SVG): styles need 'unsafe-inline'; scripts do not.
PAGES = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
CDN = "https://cdn.jsdelivr.net"
DOCS = (
    f"default-src 'none'; script-src {{scripts}}; style-src {CDN} 'unsafe-inline' "
    "https://fonts.googleapis.com; font-src https://fonts.gstatic.com data:; img-src 'self' "
    "data: https://fastapi.tiangolo.com; connect-src 'self'; "
    "worker-src blob:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Evidently's drift report is one HTML file of inline scripts and styles: it runs sandboxed
# (an origin of its own: no cookies, no requests to the app) and may load nothing.
REPORT = (
    "sandbox allow-scripts allow-popups allow-downloads; default-src 'none'; "
    "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; "
    "font-src data:; frame-ancestors 'none'"
)
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def page_policy(nonce: str) -> str:
    return PAGES.format(nonce=nonce)


def docs_policy(body: bytes) -> str:
    """The documentation page's policy: its own inline scripts, each by its digest."""
    digests = [
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in INLINE_SCRIPT.findall(body)
    ]
    return DOCS.format(scripts=" ".join([CDN, *digests]))


class SecurityHeaders:
    def __init__(self, app: ASGIApp, docs_paths: Iterable[str | None] = ()) -> None:
        self.app = app
        self.docs_paths = {path for path in docs_paths if path}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope[NONCE] = nonce
        if scope["path"] in self.docs_paths:
            await self.app(scope, receive, _Hashing(send))
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                _headers(message, page_policy(nonce))
            await send(message)

        await self.app(scope, receive, sending)


class _Hashing:
    """Holds a documentation page until its body is whole, then sends it with its policy."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.start: Message | None = None
        self.body: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            return
        if message["type"] != "http.response.body" or self.start is None:
            await self.send(message)
            return
        self.body.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(self.body)
        _headers(self.start, docs_policy(body))
        await self.send(self.start)
        await self.send({"type": "http.response.body", "body": body})


def _headers(message: Message, policy: str) -> None:
    message["headers"] = list(message.get("headers", []))
    headers = MutableHeaders(scope=message)
    for name, value in FIXED.items():
        headers.setdefault(name, value)
    headers.setdefault("content-security-policy", policy)
