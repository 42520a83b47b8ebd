"""What the accounts' use cases take and give back: commands from the doors (the CLI, the
API, the pages) and their typed results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from tasks.core.credentials import Principal

__all__ = [
    "CreatedUser",
    "LanguageChoice",
    "LoginAttempt",
    "LoginToken",
    "NewToken",
    "NewUser",
    "PasswordChange",
    "PasswordReset",
    "Principal",
    "Registration",
    "ResetLink",
    "ResetLinkRequest",
    "RoleChange",
    "Session",
    "TokenRevocation",
]


@dataclass(frozen=True)
class NewUser:
    """An account an admin makes; without a password one is generated and shown once."""

    email: str
    role: str
    password: str | None = None


@dataclass(frozen=True)
class Registration:
    """A person asking for a viewer account (when self-registration is on)."""

    email: str
    password: str


@dataclass(frozen=True)
class RoleChange:
    user_id: int
    role: str
    active: bool = True


@dataclass(frozen=True)
class LoginAttempt:
    """Without `start_session` only the user is checked (an API login's token is made apart)."""

    email: str
    password: str
    address: str
    start_session: bool = True


@dataclass(frozen=True)
class Session:
    """A logged-in user: `session_id` goes into the cookie, `csrf_token` into every form."""

    user: dict[str, Any]
    session_id: str
    csrf_token: str


@dataclass(frozen=True)
class LanguageChoice:
    """The language of a user's pages and emails: a code we ship, or None (the deployment's
    default, then the browser's)."""

    user_id: int
    language: str | None


@dataclass(frozen=True)
class PasswordChange:
    session: Session
    current: str
    new: str
    address: str


@dataclass(frozen=True)
class ResetLinkRequest:
    """`base_url`: this site's public address, the link's start."""

    email: str
    base_url: str


@dataclass(frozen=True)
class PasswordReset:
    token: str
    password: str


@dataclass(frozen=True)
class NewToken:
    """`requested_by`: the API token asking (None: an admin's session or the command line)."""

    name: str
    role: str
    requested_by: Principal | None = None


@dataclass(frozen=True)
class TokenRevocation:
    name: str
    requested_by: Principal | None = None


class CreatedUser(NamedTuple):
    user: dict[str, Any]
    password: str | None  # the generated password, shown once (None when one was given)


class ResetLink(NamedTuple):
    address: str
    token: str


class LoginToken(NamedTuple):
    """An API login's answer: a short-lived bearer token bound to the user."""

    access_token: str
    expires_in: int  # seconds
    user: dict[str, Any]
