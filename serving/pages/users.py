"""The users page (`/dashboard/users`, admins): create a user (a generated password shown
once), change a role, deactivate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from serving.errors import status_of
from serving.sessions import AdminPage
from serving.state import State
from serving.web.render import NO_STORE, confirm_page, error_text, language_of, pages_of
from tasks.core.errors import ConflictError, InvalidInputError, NotFoundError
from tasks.core.policy import USER_ROLES
from tasks.i18n import N_, gettext
from tasks.services import accounts

router = APIRouter(include_in_schema=False)
DONE = {"saved": N_("The user's role and state were saved; their sessions and tokens ended.")}


async def _users_page(request, state, session, status=200, **extra) -> Response:
    users = await run_in_threadpool(accounts.list_users, state.context)
    return pages_of(request).render(
        request,
        "users.html",
        status=status,
        session=session,
        active="users",
        users=users,
        roles=USER_ROLES,
        **extra,
    )


def _refused(error: Exception) -> int:
    """The status of a refused form: 400 for input to change, else the error's own."""
    return 400 if isinstance(error, InvalidInputError) else status_of(error)[0]


@router.get("/dashboard/users", response_class=HTMLResponse)
async def users(request: Request, state: State, session: AdminPage, done: str = "") -> Response:
    text = DONE.get(done)
    notes = [{"kind": "ok", "text": gettext(language_of(request, session), text)}] if text else []
    return await _users_page(request, state, session, messages=notes)


@router.post("/dashboard/users", response_class=HTMLResponse)
async def create_user(
    request: Request,
    state: State,
    session: AdminPage,
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "viewer",
) -> Response:
    new = accounts.NewUser(email, role)
    try:
        user, password = await run_in_threadpool(accounts.create_user, state.context, new)
    except (InvalidInputError, ConflictError) as error:
        note = {"kind": "error", "text": error_text(request, session, error)}
        return await _users_page(request, state, session, _refused(error), messages=[note])
    created = {"email": user["email"], "role": user["role"], "password": password}
    return await _users_page(request, state, session, created=created)


@router.post("/dashboard/users/{user_id}")
async def update_user(
    request: Request,
    state: State,
    session: AdminPage,
    user_id: int,
    role: Annotated[str, Form()] = "viewer",
    active: Annotated[str, Form()] = "",
    confirmed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    change = accounts.RoleChange(user_id, role, active == "yes")
    if confirmed != "yes":
        found = await run_in_threadpool(accounts.list_users, state.context)
        user = next((u for u in found if u["id"] == user_id), None)
        if user is not None and (user["role"], bool(user["active"])) != (role, change.active):
            return _confirm(request, session, user, change)
    try:
        await run_in_threadpool(accounts.set_role, state.context, change)
    except (InvalidInputError, ConflictError, NotFoundError) as error:
        note = {"kind": "error", "text": error_text(request, session, error)}
        return await _users_page(request, state, session, _refused(error), messages=[note])
    state.authenticator.forget()  # the user's login tokens were revoked
    return RedirectResponse("/dashboard/users?done=saved", status_code=303, headers=NO_STORE)


def _confirm(request: Request, session, user: dict, change: accounts.RoleChange) -> Response:
    """The confirm step of a role change or a deactivation, saying what changes."""
    language = language_of(request, session)
    email = user["email"]
    if not change.active and user["active"]:
        heading = gettext(language, "Deactivate %(email)s?", email=email)
        text = gettext(
            language,
            "%(email)s can no longer log in; their sessions and API login tokens end at once.",
            email=email,
        )
    else:
        heading = gettext(language, "Change the role of %(email)s?", email=email)
        text = gettext(
            language,
            "%(email)s becomes %(role)s; their sessions and API login tokens end at once.",
            email=email,
            role=change.role,
        )
    fields = {"role": change.role, **({"active": "yes"} if change.active else {})}
    return confirm_page(
        request,
        session,
        heading=heading,
        text=text,
        action=f"/dashboard/users/{user['id']}",
        button=gettext(language, "Confirm"),
        back="/dashboard/users",
        fields=fields,
    )
