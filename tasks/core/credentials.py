"""Passwords and secrets of the people who use the dashboard.

Passwords are hashed with Argon2id (pwdlib's defaults); a hash made with older parameters is
replaced at the next login. Session ids, reset tokens and API tokens are random (256 bits)
and stored only as their SHA-256 digests; the CSRF token of a session is random too and is
compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from functools import cache

from tasks.core.errors import InvalidInputError
from tasks.core.policy import TOKEN_ROLES, USER_ROLES
from tasks.i18n import N_

PASSWORD_MIN_CHARS = 12
PASSWORD_MAX_CHARS = 256
PASSWORD_MIN_SCORE = 3  # zxcvbn's scale, 0 to 4: 3 resists online guessing well
_SCORED_CHARS = 72  # zxcvbn refuses longer input
TOKEN_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$"
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\]+$")


@cache
def _hasher():
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    return PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, stored: str | None) -> tuple[bool, str | None]:
    """Whether `password` matches `stored`, and a new hash when the stored one is outdated.

    Every call runs exactly one Argon2 verification of at most PASSWORD_MAX_CHARS
    characters: without a stored hash (no such account) or with a longer password, a dummy
    hash is verified instead and the answer is no, so the clock tells none of these apart."""
    if stored is None or len(password) > PASSWORD_MAX_CHARS:
        _hasher().verify_and_update(password[:PASSWORD_MAX_CHARS], _dummy_hash())
        return False, None
    return _hasher().verify_and_update(password, stored)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def normal_email(email: str) -> str:
    """The email as stored: trimmed and lower case; a malformed one is an InvalidInputError."""
    email = (email or "").strip().lower()
    if len(email) > 320 or not _EMAIL.match(email):
        raise InvalidInputError(N_("%(email)r is not an email address"), email=email)
    return email


def check_role(role: str) -> str:
    if role not in USER_ROLES:
        raise InvalidInputError(
            N_("role must be one of %(roles)s, not %(role)r"),
            roles=", ".join(USER_ROLES),
            role=role,
        )
    return role


def check_token_role(role: str) -> str:
    if role not in TOKEN_ROLES:
        raise InvalidInputError(
            N_("role must be one of %(roles)s, not %(role)r"),
            roles=", ".join(TOKEN_ROLES),
            role=role,
        )
    return role


def check_token_name(name: str) -> str:
    if not re.match(TOKEN_NAME_PATTERN, name):
        raise InvalidInputError(N_("token name: 1-100 letters, digits, '.', '_' or '-'"))
    return name


@dataclass(frozen=True)
class Principal:
    """Who a valid API token belongs to: `name` is the token's; a login's token also carries
    its user's id and email (and the user's current role)."""

    name: str
    role: str
    user_id: int | None = None
    email: str | None = None

    @property
    def is_login(self) -> bool:
        return self.user_id is not None

    @property
    def actor(self) -> str:
        """Who to record as doing what this token does: the user's email for a login."""
        return self.email if self.email is not None else self.name


def check_password(password: str, email: str) -> str:
    """The one rule for a password people choose (new user, registration, change, reset):
    12 to 256 characters, not the email, and hard to guess: zxcvbn's estimate (of its first
    72 characters, the email's words counted as known) scores PASSWORD_MIN_SCORE or more."""
    if not PASSWORD_MIN_CHARS <= len(password) <= PASSWORD_MAX_CHARS:
        raise InvalidInputError(
            N_("a password has %(low)s to %(high)s characters"),
            low=PASSWORD_MIN_CHARS,
            high=PASSWORD_MAX_CHARS,
        )
    local = email.split("@")[0]
    if email and password.strip().lower() in (email, local):
        raise InvalidInputError(N_("a password may not be the email address"))
    from zxcvbn import zxcvbn

    found = zxcvbn(password[:_SCORED_CHARS], user_inputs=[email, local] if email else [])
    if found["score"] < PASSWORD_MIN_SCORE:
        hint = found["feedback"]["warning"] or "it is too common or too short"
        raise InvalidInputError(
            N_(
                "this password is too easy to guess (%(hint)s): "
                "use a longer phrase of unrelated words"
            ),
            hint=hint.rstrip("."),
        )
    return password


def new_secret() -> str:
    """A random secret for a session, a reset link or a CSRF token (43 URL-safe chars)."""
    return secrets.token_urlsafe(32)


def new_password() -> str:
    """A generated password, shown once (20 URL-safe characters, 120 bits)."""
    return secrets.token_urlsafe(15)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_secret(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
