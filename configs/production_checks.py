"""What production refuses in the settings: placeholder secrets, a weak signing key, a login
over an unencrypted connection, unsubscribe links over http. Each problem names its variable,
what is wrong and the fix; none shows a value."""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from typing import Any, NamedTuple

from pydantic import SecretStr

_PLACEHOLDERS = {"changeme", "change-me", "secret", "password", "dev-secret"}
# words that mark a signing key someone typed in rather than generated
_KEY_WORDS = ("changeme", "secret", "password", "example", "placeholder")
KEY_MIN_BYTES = 32
NEW_KEY = 'python -c "import secrets; print(secrets.token_hex(32))"'
_REAL_VALUE = {
    "llm_api_key": "set the provider's real API key",
    "smtp_password": "set the mail relay's real password",
}


class Problem(NamedTuple):
    """One invalid variable: `RETAINAI_X is wrong like this: do that`."""

    variable: str
    problem: str
    fix: str

    def line(self) -> str:
        return f"{self.variable} {self.problem}: {self.fix}"


def production_problems(settings: Any) -> list[Problem]:
    """Every reason the settings are unfit for production, one per variable (none outside
    production)."""
    if settings.environment != "production":
        return []
    found = []
    for name, fix in _REAL_VALUE.items():
        value = getattr(settings, name)
        if value is not None and value.get_secret_value().lower() in _PLACEHOLDERS:
            found.append(Problem(f"RETAINAI_{name.upper()}", "is a placeholder", fix))
    if settings.smtp_user and settings.smtp_security == "none":
        found.append(
            Problem(
                "RETAINAI_SMTP_SECURITY",
                "is none while RETAINAI_SMTP_USER logs in: the password would go unencrypted",
                "set starttls (port 587) or ssl (port 465)",
            )
        )
    if settings.public_url and not settings.public_url.startswith("https://"):
        found.append(
            Problem(
                "RETAINAI_PUBLIC_URL",
                "is not an https URL, which production's unsubscribe links need",
                "set the https:// address people open, e.g. https://retain.example.com",
            )
        )
    if reason := weak_key_reason(settings.secret_key):
        fix = (
            f"production signs links with a random key: set {KEY_MIN_BYTES} random bytes or "
            f"more in hex or base64, e.g. the output of {NEW_KEY}"
        )
        found.append(Problem("RETAINAI_SECRET_KEY", reason, fix))
    return found


def weak_key_reason(key: SecretStr | None) -> str | None:
    """Why a signing key is unfit for production, or None: unset, shorter than 32 bytes once
    decoded (hex and base64 are decoded), a placeholder or a short unit repeated."""
    if key is None or not key.get_secret_value().strip():
        return "is not set"
    text = key.get_secret_value().strip()
    if text.lower() in _PLACEHOLDERS:
        return "is a placeholder"
    decoded = _key_bytes(text)
    if len(decoded) < KEY_MIN_BYTES:
        return f"is shorter than {KEY_MIN_BYTES} bytes once decoded"
    letters = re.sub(r"[^a-z0-9]", "", text.lower())
    if text.lower() in _PLACEHOLDERS or any(word in letters for word in _KEY_WORDS):
        return "is a placeholder"
    if any(_repeats(form) for form in (text, letters, decoded)) or len(set(decoded)) < 8:
        return "is a repetition"
    return None


def _key_bytes(text: str) -> bytes:
    if len(text) % 2 == 0 and re.fullmatch(r"[0-9a-fA-F]+", text):
        return bytes.fromhex(text)
    if re.fullmatch(r"[A-Za-z0-9+/_-]+={0,2}", text) and len(text.rstrip("=")) % 4 != 1:
        padded = text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4)
        with contextlib.suppress(binascii.Error, ValueError):
            return base64.b64decode(padded, validate=True)
    return text.encode()


def _repeats(text: str | bytes) -> bool:
    """True when `text` is a unit of at most half its length written again and again."""
    return any(
        text == (text[:size] * (len(text) // size + 1))[: len(text)]
        for size in range(1, len(text) // 2 + 1)
    )
