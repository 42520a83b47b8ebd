"""The profile page (`/dashboard/profile`): the logged-in user's account and password change."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from serving.sessions import ViewerPage, client_address
from serving.state import State
from serving.web.render import pages_of
from tasks.core.errors import InvalidInputError, TooManyAttemptsError
from tasks.services import accounts

router = APIRouter(include_in_schema=False)


@router.get("/dashboard/profile", response_class=HTMLResponse)
async def profile(request: Request, session: ViewerPage) -> Response:
    return pages_of(request).render(request, "profile.html", session=session, active="profile")


@router.post("/dashboard/profile", response_class=HTMLResponse)
async def change_password(
    request: Request,
    state: State,
    session: ViewerPage,
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
) -> Response:
    headers = {}
    change = accounts.PasswordChange(session, current, new, client_address(request))
    try:
        await run_in_threadpool(accounts.change_password, state.context, change)
    except TooManyAttemptsError as error:
        note, status = {"kind": "error", "text": str(error)}, 429
        headers["Retry-After"] = str(error.retry_after)
    except InvalidInputError as error:  # the form again, with what to change: 400
        note, status = {"kind": "error", "text": str(error)}, 400
    else:
        state.authenticator.forget()  # the user's login tokens were revoked
        note, status = {"kind": "ok", "text": "Password changed; other sessions ended."}, 200
    page = pages_of(request)
    response = page.render(
        request, "profile.html", status=status, session=session, messages=[note], active="profile"
    )
    response.headers.update(headers)
    return response
