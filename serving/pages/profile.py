"""The profile page (`/dashboard/profile`): the logged-in user's account, language and
password change."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from serving.sessions import ViewerPage, client_address
from serving.state import State
from serving.web.render import language_of, pages_of
from tasks import i18n
from tasks.core.errors import InvalidInputError, TooManyAttemptsError
from tasks.services import accounts

router = APIRouter(include_in_schema=False)


def _profile(request: Request, session: accounts.Session, status: int = 200, **context):
    return pages_of(request).render(
        request,
        "profile.html",
        status=status,
        session=session,
        active="profile",
        **context,
    )


@router.get("/dashboard/profile", response_class=HTMLResponse)
async def profile(request: Request, session: ViewerPage) -> Response:
    return _profile(request, session)


@router.post("/dashboard/profile/language", response_class=HTMLResponse)
async def choose_language(
    request: Request,
    state: State,
    session: ViewerPage,
    language: Annotated[str, Form()] = "",
) -> Response:
    """The user's language (blank: the deployment's default, then the browser's)."""
    try:
        choice = accounts.LanguageChoice(session.user["id"], language.strip() or None)
        chosen = await run_in_threadpool(accounts.set_language, state.context, choice)
    except InvalidInputError as error:
        shown = language_of(request, session)
        note = {"kind": "error", "text": i18n.translate_error(error, shown)}
        return _profile(request, session, 400, messages=[note])
    session = dataclasses.replace(session, user={**session.user, "language": chosen})
    shown = language_of(request, session)
    note = {"kind": "ok", "text": i18n.gettext(shown, "Language saved.")}
    return _profile(request, session, messages=[note])


@router.post("/dashboard/profile", response_class=HTMLResponse)
async def change_password(
    request: Request,
    state: State,
    session: ViewerPage,
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
) -> Response:
    headers = {}
    language = language_of(request, session)
    change = accounts.PasswordChange(session, current, new, client_address(request))
    try:
        await run_in_threadpool(accounts.change_password, state.context, change)
    except TooManyAttemptsError as error:
        note, status = {"kind": "error", "text": i18n.translate_error(error, language)}, 429
        headers["Retry-After"] = str(error.retry_after)
    except InvalidInputError as error:  # the form again, with what to change: 400
        note, status = {"kind": "error", "text": i18n.translate_error(error, language)}, 400
    else:
        state.authenticator.forget()  # the user's login tokens were revoked
        text = i18n.gettext(language, "Password changed; other sessions ended.")
        note, status = {"kind": "ok", "text": text}, 200
    response = _profile(request, session, status, messages=[note])
    response.headers.update(headers)
    return response
