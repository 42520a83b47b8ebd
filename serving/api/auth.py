"""Logging in and out, password resets and (when enabled) registration.

`POST /auth/login` with a JSON body is the API's login: it returns a short-lived API token
and the user. With a form it is the page's: a new session (a fresh random id, the previous
session of the browser ended), its cookie, and a redirect. A form login must carry the login
page's token, equal to the page's strict same-site cookie, so a form on another site cannot
log a browser into an account of its choosing. A reset link is looked up and emailed after
the answer, which is the same whether the account exists or not."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from serving.api.models import LoginAnswer, UserInfo
from serving.errors import api_language, status_of
from serving.sessions import COOKIE, client_address, page, session_of
from serving.state import OrjsonResponse, State
from serving.web.render import NO_STORE, language_of, pages_of
from tasks import i18n
from tasks.core.credentials import new_secret, same_secret
from tasks.core.errors import (
    ConflictError,
    InvalidInputError,
    LoginRefusedError,
    TooManyAttemptsError,
)
from tasks.i18n import N_
from tasks.services import accounts

log = logging.getLogger("retainai.serving")
router = APIRouter(tags=["auth"], default_response_class=OrjsonResponse)
signed_in = page("read")  # a dashboard session, and its CSRF token on a POST
LOGIN_COOKIE = "retainai_login"  # the login form's token, sent back only by this site's pages
LOGIN_FIELD = "login_token"
FORM_EXPIRED = N_("this login form has expired or was not sent from this site: log in again")


def _secure(request: Request) -> bool:
    settings = request.app.state.serving.settings
    return request.url.scheme == "https" or settings.environment == "production"


def _login_form(
    request: Request, status: int = 200, email: str = "", refusal: str | Exception | None = None
) -> Response:
    """The login page with its form token, set in the strict same-site cookie as well (the
    browser's token is kept, so two open login pages both work); `refusal` says why again."""
    language = language_of(request)
    message = None
    if isinstance(refusal, Exception):
        message = i18n.translate_error(refusal, language)
    elif refusal:
        message = i18n.gettext(language, refusal)
    token = request.cookies.get(LOGIN_COOKIE, "")
    if not re.fullmatch(r"[A-Za-z0-9_-]{43}", token):
        token = new_secret()
    response = pages_of(request).render(
        request,
        "login.html",
        status=status,
        email=email,
        login_token=token,
        next_path=_safe_next(request.query_params.get("next", "/dashboard/")),
        messages=[{"kind": "error", "text": message}] if message else [],
        registration=accounts.registration_open(request.app.state.serving.context),
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        path="/auth/login",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


def _safe_next(path: str | None) -> str:
    """Only a path of this site (never //host or a scheme) is followed after the login."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/dashboard/"
    return path


def _is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip() == "application/json"


async def _credentials(request: Request) -> tuple[str, str]:
    """(email, password) from a JSON body or a form; a JSON body without them is a 422."""
    if _is_json(request):
        try:
            body = json.loads(await request.body())
            return str(body["email"]), str(body["password"])
        except (ValueError, KeyError, TypeError):
            raise HTTPException(422, N_('send {"email": ..., "password": ...}')) from None
    form = await request.form()
    return str(form.get("email", "")), str(form.get("password", ""))


def _answer(description: str, html: bool = False) -> dict[str, Any]:
    """A documented refusal: JSON `{"detail": ...}`, and the page itself to a form."""
    content: dict[str, Any] = {
        "application/json": {"schema": {"$ref": "#/components/schemas/Message"}}
    }
    if html:
        content["text/html"] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


def _credentials_body(description: str) -> dict[str, Any]:
    """The documented body of a route that reads JSON or a form itself."""
    ref = {"$ref": "#/components/schemas/Credentials"}
    content = {
        "application/json": {"schema": ref},
        "application/x-www-form-urlencoded": {"schema": ref},
    }
    return {"requestBody": {"required": True, "description": description, "content": content}}


@router.get(
    "/auth/login",
    response_class=HTMLResponse,
    responses={303: {"description": "To the dashboard (a session exists)"}},
)
async def login_page(request: Request, next: str = "/dashboard/") -> Response:
    if await session_of(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303, headers=NO_STORE)
    return _login_form(request)


@router.post(
    "/auth/login",
    response_model=LoginAnswer,
    responses={
        303: {"description": "A form login: the session cookie, then the page"},
        401: _answer("Wrong email or password", html=True),
        403: _answer("A form login without the login page's token", html=True),
        422: _answer("No email or password"),
        429: _answer("Too many failed logins", html=True),
    },
    openapi_extra=_credentials_body("JSON for a token, a form for a browser session"),
)
async def login(request: Request, state: State) -> Response:
    """JSON {"email", "password"}: a short-lived API token and the user. A form: a session."""
    email, password = await _credentials(request)
    if not _is_json(request):
        form, cookie = await request.form(), request.cookies.get(LOGIN_COOKIE)
        given = form.get(LOGIN_FIELD)
        if not cookie or not isinstance(given, str) or not same_secret(given, cookie):
            return _login_form(request, 403, email, FORM_EXPIRED)
    attempt = accounts.LoginAttempt(email, password, client_address(request))
    use_case = accounts.login_token if _is_json(request) else accounts.login
    try:
        session = await run_in_threadpool(use_case, state.context, attempt)
    except TooManyAttemptsError as error:
        headers = {"Retry-After": str(error.retry_after)}
        if _is_json(request):
            detail = i18n.translate_error(error, api_language(request))
            raise HTTPException(429, detail, headers=headers) from None
        response = _login_form(request, 429, email, error)
        response.headers.update(headers)
        return response
    except LoginRefusedError as error:
        if _is_json(request):
            raise HTTPException(401, i18n.translate_error(error, api_language(request))) from None
        return _login_form(request, 401, email, error)
    if isinstance(session, accounts.LoginToken):
        answer = {"access_token": session.access_token, "token_type": "bearer"}
        return OrjsonResponse({**answer, "expires_in": session.expires_in, "user": session.user})
    previous = request.cookies.get(COOKIE)
    if previous:  # the browser's earlier session ends: an id is never reused across logins
        await run_in_threadpool(accounts.logout, state.context, previous)
    form = await request.form()
    response = RedirectResponse(_safe_next(str(form.get("next", ""))), status_code=303)
    response.set_cookie(
        COOKIE, session.session_id, httponly=True, samesite="lax", secure=_secure(request)
    )
    response.headers.update(NO_STORE)
    return response


@router.post(
    "/auth/logout",
    status_code=204,
    responses={
        303: {"description": "From the dashboard: the session ends, on to the login page"},
        401: _answer("No valid bearer token"),
        409: _answer("Not a login's token (revoke it with DELETE /admin/tokens/{name})"),
    },
)
async def logout(request: Request, state: State) -> Response:
    """With the bearer token of a JSON login: that token is revoked. From the dashboard
    (its session and CSRF token): the session ends."""
    header = request.headers.get("authorization")
    if header is not None:
        return await _end_login_token(request, state, header)
    session = await signed_in(request)
    await run_in_threadpool(accounts.logout, state.context, session.session_id)
    response = RedirectResponse("/auth/login", status_code=303, headers=NO_STORE)
    response.delete_cookie(COOKIE)
    return response


async def _end_login_token(request: Request, state, header: str) -> Response:
    scheme, _, token = header.partition(" ")
    found = None
    if scheme.lower() == "bearer" and token.strip():
        found = await state.authenticator.verify(token.strip())
    if found is None:
        raise HTTPException(
            401, N_("invalid or revoked token"), headers={"WWW-Authenticate": "Bearer"}
        )
    try:
        await run_in_threadpool(accounts.end_login, state.context, found)
    except ConflictError as error:  # JSON (an /auth path would get the message page)
        detail = i18n.translate_error(error, api_language(request))
        raise HTTPException(status_of(error)[0], detail) from None
    state.authenticator.forget()
    return Response(status_code=204)


@router.get(
    "/auth/register",
    response_class=HTMLResponse,
    responses={404: _answer("Registration is off")},
)
async def register_page(request: Request, state: State) -> Response:
    if not accounts.registration_open(state.context):
        raise HTTPException(404, i18n.gettext(api_language(request), accounts.REGISTRATION_OFF))
    return pages_of(request).render(request, "register.html", email="")


@router.post(
    "/auth/register",
    status_code=201,
    response_model=UserInfo,
    responses={
        303: {"description": "A form registration: on to the login"},
        400: {
            "description": "A form with a bad email or password (the page)",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
        404: _answer("Registration is off"),
        409: _answer("The email has an account"),
        422: _answer("A bad email or password"),
    },
    openapi_extra=_credentials_body("JSON or the registration page's form"),
)
async def register(request: Request, state: State) -> Response:
    """A new viewer account when self-registration is on (JSON or a form)."""
    if not accounts.registration_open(state.context):
        raise HTTPException(404, i18n.gettext(api_language(request), accounts.REGISTRATION_OFF))
    email, password = await _credentials(request)
    try:
        user = await run_in_threadpool(
            accounts.register, state.context, accounts.Registration(email, password)
        )
    except (InvalidInputError, ConflictError) as error:
        if _is_json(request):
            detail = i18n.translate_error(error, api_language(request))
            raise HTTPException(status_of(error)[0], detail) from None
        note = [{"kind": "error", "text": i18n.translate_error(error, language_of(request))}]
        return pages_of(request).render(  # the form again, with what to change: 400
            request, "register.html", status=400, email=email, messages=note
        )
    if _is_json(request):
        return OrjsonResponse({k: user[k] for k in ("id", "email", "role")}, status_code=201)
    return RedirectResponse("/auth/login", status_code=303, headers=NO_STORE)
