"""Password resets: the request page, the emailed one-time link and the new password.

The answer to a reset request is the same at once for every address; the account is looked
up and the link emailed after the answer, so neither its text nor its timing tells anything."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from serving.state import OrjsonResponse, State
from serving.web.render import error_text, language_of, pages_of, translator
from tasks.core.errors import InvalidInputError
from tasks.i18n import N_, gettext
from tasks.services import accounts
from tasks.services.operations.setup_checks import mail_relay_configured

router = APIRouter(tags=["auth"], default_response_class=OrjsonResponse)
RESET_SENT = N_("If an account uses this address, a reset link is on its way.")


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
    if not mail_relay_configured(state.settings):  # no link could be sent: say so, to anyone
        language = language_of(request)
        return pages_of(request).render(
            request,
            "message.html",
            heading=gettext(language, "Password reset by email is not available"),
            text=gettext(
                language,
                "This server cannot send emails. Ask an administrator to reset your password.",
            ),
            link="/auth/login",
            link_text=gettext(language, "Back to the login"),
        )
    base = state.settings.public_url or _own_address(request)
    asked = accounts.ResetLinkRequest(email, base)
    background.add_task(accounts.send_reset_link, state.context, asked)
    _ = translator(request)
    return pages_of(request).render(
        request,
        "message.html",
        heading=_("Check your email"),
        text=_(RESET_SENT),
        link="/auth/login",
        link_text=_("Back to the login"),
    )


@router.get("/auth/reset/{token}", response_class=HTMLResponse, include_in_schema=False)
async def reset_form(request: Request, token: str) -> Response:
    return pages_of(request).render(request, "reset_form.html", token=token)


@router.post("/auth/reset/{token}", response_class=HTMLResponse, include_in_schema=False)
async def reset_password(
    request: Request, state: State, token: str, password: str = Form("")
) -> Response:
    try:
        reset = accounts.PasswordReset(token, password)
        await run_in_threadpool(accounts.reset_password, state.context, reset)
    except InvalidInputError as error:  # the page again, with what to do: 400
        _ = translator(request)
        return pages_of(request).render(
            request,
            "message.html",
            status=400,
            heading=_("Password not changed"),
            text=error_text(request, None, error),
            link="/auth/reset",
            link_text=_("Ask for a new link"),
        )
    state.authenticator.forget()  # the user's login tokens were revoked
    _ = translator(request)
    return pages_of(request).render(
        request,
        "message.html",
        heading=_("Password changed"),
        text=_("Log in with your new password."),
        link="/auth/login",
        link_text=_("Log in"),
    )
