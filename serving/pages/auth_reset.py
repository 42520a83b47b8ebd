"""Password resets: the request page, the emailed one-time link and the new password.

The answer to a reset request is the same at once for every address; the account is looked
up and the link emailed after the answer, so neither its text nor its timing tells anything."""

from __future__ import annotations

import logging

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from serving.state import OrjsonResponse, State
from serving.web.render import pages_of
from tasks import accounts
from tasks.adapters.account_mail import account_email, send_one
from tasks.core.errors import ConfigError, RetainAIError

log = logging.getLogger("retainai.serving")
router = APIRouter(tags=["auth"], default_response_class=OrjsonResponse)
RESET_SENT = "If an account uses this address, a reset link is on its way."


def _own_address(request: Request) -> str:
    """This server's own address (the socket it answers on), never the request's Host header,
    which a visitor chooses: a reset link must not point at a site of the visitor's choosing.
    Behind a proxy, RETAINAI_PUBLIC_URL names the public address instead."""
    host, port = request.scope.get("server") or ("127.0.0.1", 8000)
    host = f"[{host}]" if ":" in host else host
    return f"{request.url.scheme}://{host}:{port}"


@router.get("/auth/reset", response_class=HTMLResponse, include_in_schema=False)
async def reset_page(request: Request) -> Response:
    return pages_of(request).render(request, "reset_request.html")


@router.post("/auth/reset", response_class=HTMLResponse, include_in_schema=False)
async def reset_request(
    request: Request, state: State, background: BackgroundTasks, email: str = Form("")
) -> Response:
    """The same answer at once for every address; the account is looked up and the link made
    and emailed after the answer is sent, so its timing tells nothing either."""
    base = (state.settings.public_url or _own_address(request)).rstrip("/")
    background.add_task(_send_reset_link, state, base, email)
    return pages_of(request).render(
        request,
        "message.html",
        heading="Check your email",
        text=RESET_SENT,
        link="/auth/login",
        link_text="Back to the login",
    )


def _send_reset_link(state, base: str, email: str) -> None:
    """Email a one-time link when the account exists and has not had too many (run after
    the answer, in a worker thread)."""
    try:
        found = accounts.request_reset(state.engine, state.settings, email)
        if found is None:
            return
        address, token = found
        minutes = state.settings.reset_token_minutes
        text = (
            f"Someone asked to reset the RetainAI password of {address}.\n\n"
            f"Choose a new password here (valid for {minutes} minutes, once):\n"
            f"{base}/auth/reset/{token}\n\n"
            "If it was not you, ignore this email: your password stays as it is."
        )
        mail = account_email(state.settings, to=address, subject="Reset your password", text=text)
        send_one(state.settings, mail)
    except RetainAIError as error:
        log.warning("password reset email not sent: %s", error)


@router.get("/auth/reset/{token}", response_class=HTMLResponse, include_in_schema=False)
async def reset_form(request: Request, token: str) -> Response:
    return pages_of(request).render(request, "reset_form.html", token=token)


@router.post("/auth/reset/{token}", response_class=HTMLResponse, include_in_schema=False)
async def reset_password(
    request: Request, state: State, token: str, password: str = Form("")
) -> Response:
    try:
        await run_in_threadpool(accounts.reset_password, state.engine, token, password)
    except ConfigError as error:
        page = pages_of(request)
        return page.render(
            request,
            "message.html",
            status=400,
            heading="Password not changed",
            text=str(error),
            link="/auth/reset",
            link_text="Ask for a new link",
        )
    state.authenticator.forget()  # the user's login tokens were revoked
    return pages_of(request).render(
        request,
        "message.html",
        heading="Password changed",
        text="Log in with your new password.",
        link="/auth/login",
        link_text="Log in",
    )
