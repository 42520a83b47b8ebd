"""The request guard: every request's token, media type and body size are checked before its
endpoint runs (pure ASGI, ahead of routing), so no body is read for a caller who may not send
it and no body is read beyond its route's limit.

The policy of each route (access level, body limit, JSON body or not) is computed once from
the app's routes when the app is created. Routes with an access level take it from their
`requires(...)` dependency (or, for the plain /predict route, from the documenting route with
the same path and method); routes without one must be listed as public."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, params
from fastapi.routing import APIRoute, iter_route_contexts

from serving.auth import PRINCIPAL, Authenticator, admit
from serving.refusals import translated
from serving.state import OrjsonResponse
from tasks import i18n
from tasks.i18n import N_

JSON_LIMIT = 64 * 1024  # bytes of a JSON body on routes without their own limit
PUBLIC = frozenset({"/health", "/ready", "/metrics", "/unsubscribe/{token}"})  # the token signs
JSON_TYPE = "application/json"


@dataclass(frozen=True, slots=True)
class Policy:
    route: Any  # fastapi.routing.RouteContext: names the route in metrics, matches its path
    access: str | None  # a key of serving.auth.ACCESS; None: public
    limit: int  # bytes
    json: bool  # the route reads a JSON body


@dataclass(frozen=True, slots=True)
class Body:
    """What a route accepts as its body, where the route itself cannot say (a route that reads
    the request itself, a file upload with a larger limit)."""

    limit: int
    json: bool = True


def body_too_large(limit: int) -> list[dict[str, Any]]:
    return [{"loc": ["body"], "msg": f"the body exceeds {limit} bytes", "type": "too_large"}]


def unsupported_media_type() -> list[dict[str, Any]]:
    message = f"the body must be JSON, sent with Content-Type: {JSON_TYPE}"
    return [{"loc": ["header", "content-type"], "msg": message, "type": "media_type"}]


def is_json(content_type: bytes) -> bool:
    """application/json or application/*+json, parameters (charset) allowed, as FastAPI."""
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


def _access(path: str, dependant: Any) -> tuple[str | None, bool]:
    """The route's token access level (checked here), and whether a page session protects
    it instead (checked by the route's own dependency: serving/sessions.py)."""
    found, pages = set(), set()
    pending = list(dependant.dependencies)
    while pending:
        dependency = pending.pop()
        access = getattr(dependency.call, "access", None)
        if access is not None:
            found.add(access)
        page = getattr(dependency.call, "session_access", None)
        if page is not None:
            pages.add(page)
        pending.extend(dependency.dependencies)
    if len(found) + len(pages) > 1:
        raise ValueError(f"{path}: more than one access level {sorted(found | pages)}")
    return (found.pop() if found else None), bool(pages)


def _reads_json(context: Any) -> bool:
    field = context.body_field
    return field is not None and not isinstance(field.field_info, params.Form)


def policies(
    routes: Iterable[Any],
    bodies: dict[tuple[str, str], Body],
    public: Iterable[str] = (),
    public_pages: Iterable[str] = (),
) -> dict[str, dict[str, Policy]]:
    """path template -> method -> Policy for every route. A route's body is JSON if it has a
    JSON body parameter, limited to JSON_LIMIT bytes, unless `bodies` names it by (method,
    path). A route that has no access level (a token's or a page session's) and is not
    public (PUBLIC, `public_pages`) is an error."""
    table: dict[str, dict[str, Policy]] = {}
    open_pages = PUBLIC | frozenset(public_pages)
    others = []
    for context in iter_route_contexts(list(routes)):  # included routers' routes too
        methods = context.methods or ()
        if not isinstance(context.original_route, APIRoute):
            others.append((context, methods))
            continue
        path = context.path
        access, by_session = _access(path, context.dependant)
        if access is None and not by_session and path not in open_pages:
            raise ValueError(f"{path}: no access level and not a public route")
        for method in methods:
            body = bodies.get((method, path)) or Body(JSON_LIMIT, _reads_json(context))
            policy = Policy(context, access, body.limit, body.json)
            table.setdefault(path, {})[method] = policy
    open_paths = frozenset(public)
    for context, methods in others:  # /predict's plain route, the documentation routes
        known = table.get(context.path, {})
        for method in methods:
            if method in known:
                continue
            if context.path not in open_paths:
                raise ValueError(f"{method} {context.path}: no policy for this route")
            table.setdefault(context.path, {})[method] = Policy(context, None, JSON_LIMIT, False)
    return table


class RequestGuard:
    """Pure ASGI: 401/403 from the Authorization header, 415 from Content-Type and 413 from
    Content-Length (or while a body without one streams), before the endpoint runs. The
    admitted caller is left in the scope for the route's own dependencies."""

    def __init__(
        self, app: Any, table: dict[str, dict[str, Policy]], authenticator: Authenticator
    ) -> None:
        self.app = app
        self.table = table
        self.authenticator = authenticator
        self.templates = [  # routes with path parameters, matched by their compiled regex
            (methods[next(iter(methods))].route.path_regex, methods)
            for path, methods in table.items()
            if "{" in path
        ]

    def _policy(self, path: str, method: str) -> Policy | None:
        methods = self.table.get(path)
        if methods is None:
            for regex, candidates in self.templates:
                if regex.match(path):
                    methods = candidates
                    break
            else:
                return None
        return methods.get(method)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self._policy(scope["path"], scope["method"])
        if policy is None:  # unknown path or method: the router answers 404/405
            await self.app(scope, receive, send)
            return
        authorization = content_type = length = chunked = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"content-type":
                content_type = value
            elif name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = value
        if policy.access is not None:
            header = authorization.decode("latin-1") if authorization is not None else None
            try:
                scope[PRINCIPAL] = await admit(self.authenticator, policy.access, header)
            except HTTPException as exc:
                await self._refuse(scope, receive, send, policy, exc)
                return
        refusal = None
        if policy.json and (
            not is_json(content_type)
            if content_type is not None
            else length != b"0" and (length is not None or chunked is not None)
        ):
            refusal = HTTPException(415, unsupported_media_type())
        elif length is None:  # chunked (or no length declared): counted as it arrives
            receive = _limited(receive, policy.limit)
        elif not length.isdigit():
            refusal = HTTPException(400, N_("invalid Content-Length header"))
        elif int(length) > policy.limit:
            refusal = HTTPException(413, body_too_large(policy.limit))
        if refusal is not None:
            await self._refuse(scope, receive, send, policy, refusal)
            return
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope: dict, receive: Any, send: Any, policy: Policy, exc: Any) -> None:
        scope["route"] = policy.route.original_route  # as the router would
        asked = dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1")
        exc = translated(exc, i18n.from_accept_language(asked) or "en")
        response = OrjsonResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )
        await response(scope, receive, send)


def _limited(receive: Any, limit: int) -> Any:
    """`receive` that raises 413 once more than `limit` body bytes have arrived."""
    size = 0

    async def limited() -> dict:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise HTTPException(413, body_too_large(limit))
        return message

    return limited
