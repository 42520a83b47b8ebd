"""Who may do what: the one authorization policy every door (API, pages, CLI) consults.

An action names a use case's permission, not a door: the JSON route listing a campaign's
messages and the campaign page showing them both ask `allows(role, "messages")`."""

from __future__ import annotations

from tasks.core.errors import ForbiddenError
from tasks.i18n import N_

TOKEN_ROLES = ("app", "viewer", "analyst", "admin")  # an API token may have any of these
USER_ROLES = ("viewer", "analyst", "admin")  # a person: `app` is for machines only

_READERS = frozenset({"viewer", "analyst", "admin"})
_ANALYSTS = frozenset({"analyst", "admin"})
_ADMINS = frozenset({"admin"})

PERMISSIONS: dict[str, frozenset[str]] = {
    "predict": frozenset({"app", *_READERS}),  # score customers sent in the request
    "read": _READERS,  # scores, KPIs, the model, campaign summaries
    "campaigns": _ANALYSTS,  # create, approve, send, record outcomes
    "messages": _ANALYSTS,  # a campaign's messages: recipients, subjects, bodies
    "admin": _ADMINS,  # training, reloads, users, tokens, data sources
}


def allows(role: str | None, action: str) -> bool:
    """Whether `role` may do `action` (an unknown action is a programming error)."""
    return role in PERMISSIONS[action]


def require(role: str | None, action: str) -> None:
    """ForbiddenError unless `role` may do `action`."""
    if not allows(role, action):
        raise ForbiddenError(
            N_("the %(role)s role may not do this (%(action)s)"),
            role=role or "anonymous",
            action=action,
        )
