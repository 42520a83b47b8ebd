"""Sessions of the dashboard's pages: a cookie carrying only a random id, the user behind it
looked up on every request (so a logout or a reset ends it in every worker), roles enforced
by the page's dependency, and a CSRF token checked on every state-changing request.

Without a session a page redirects to the login page; a role that may not open a page gets
a 403 page. The CSRF token comes in the `X-CSRF-Token` header (htmx) or the `csrf_token`
field of a form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from tasks.core.credentials import same_secret
from tasks.core.policy import allows
from tasks.i18n import N_
from tasks.services import accounts
from tasks.services.accounts import Session

COOKIE = "retainai_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION = "retainai.session"  # scope key of the request's session


class LoginRequired(Exception):
    """No live session: the page sends the browser to the login page."""

    def __init__(self, next_path: str):
        self.next_path = next_path


class PageForbidden(Exception):
    """The user's role may not do this (or the CSRF token is missing or wrong); `message` is
    translated when shown, then filled in with `values`."""

    def __init__(self, message: str, **values: str):
        self.message = message
        self.values = values


def client_address(request: Request) -> str:
    """The client's address: the connection's peer, or what a trusted proxy forwarded (the
    server trusts only RETAINAI_TRUSTED_PROXIES, see `retainai serve`)."""
    return request.client.host if request.client else "unknown"


def login_path(next_path: str) -> str:
    return f"/auth/login?next={quote(next_path, safe='/')}"


async def session_of(request: Request) -> Session | None:
    """The request's live session (looked up once per request), or None."""
    if SESSION in request.scope:
        return request.scope[SESSION]
    state = request.app.state.serving
    found = await run_in_threadpool(accounts.current, state.context, request.cookies.get(COOKIE))
    request.scope[SESSION] = found
    return found


async def check_csrf(request: Request, session: Session) -> None:
    """A state-changing request must carry the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not same_secret(given, session.csrf_token):
        raise PageForbidden(N_("this form has expired or was not sent from the dashboard: reload"))


def page(access: str) -> Callable[..., Any]:
    """A dependency admitting a session whose user's role may `access` (tasks/core/policy.py);
    it checks the CSRF token of state-changing requests."""

    async def user_session(request: Request) -> Session:
        session = await session_of(request)
        if session is None:
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(path if request.method in SAFE_METHODS else "/dashboard/")
        if not allows(session.user["role"], access):
            raise PageForbidden(
                N_("the %(role)s role may not open this page"), role=session.user["role"]
            )
        await check_csrf(request, session)
        return session

    user_session.session_access = access  # type: ignore[attr-defined]  # read by the guard
    return user_session


ViewerPage = Annotated[Session, Depends(page("read"))]
AnalystPage = Annotated[Session, Depends(page("campaigns"))]
AdminPage = Annotated[Session, Depends(page("admin"))]
