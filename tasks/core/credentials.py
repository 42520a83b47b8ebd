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
from functools import cache

from tasks.core.errors import ConfigError
from tasks.core.policy import USER_ROLES

PASSWORD_MIN_CHARS = 12
PASSWORD_MAX_CHARS = 256
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\]+$")


@cache
def _hasher():
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    return PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, stored: str) -> tuple[bool, str | None]:
    """Whether `password` matches `stored`, and a new hash when the stored one is outdated."""
    if len(password) > PASSWORD_MAX_CHARS:
        return False, None
    return _hasher().verify_and_update(password, stored)


def dummy_verify(password: str) -> None:
    """Spend the time a real check spends, so an unknown email is not told by the clock."""
    _hasher().verify_and_update(password[:PASSWORD_MAX_CHARS], _dummy_hash())


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def normal_email(email: str) -> str:
    """The email as stored: trimmed and lower case; a malformed one is a ConfigError."""
    email = (email or "").strip().lower()
    if len(email) > 320 or not _EMAIL.match(email):
        raise ConfigError(f"{email!r} is not an email address")
    return email


def check_role(role: str) -> str:
    if role not in USER_ROLES:
        raise ConfigError(f"role must be one of {', '.join(USER_ROLES)}, not {role!r}")
    return role


def check_password(password: str, email: str = "") -> str:
    """A password people may choose: 12 to 256 characters, not the email itself."""
    if not PASSWORD_MIN_CHARS <= len(password) <= PASSWORD_MAX_CHARS:
        raise ConfigError(f"a password has {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters")
    if email and password.strip().lower() in (email, email.split("@")[0]):
        raise ConfigError("a password may not be the email address")
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
