"""The signing key of a development install without RETAINAI_SECRET_KEY: made once, kept in
the state folder (readable by its owner only), so that `retainai demo` signs its links with
the key `retainai serve` then checks them with. Production and tests never get one: there the
key comes from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from configs.settings import Settings

FILE = "secret_key"


def _read_or_make(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    key = secrets.token_urlsafe(32)
    with os.fdopen(handle, "w", encoding="ascii") as file:
        file.write(key + "\n")
    return key


def with_local_secret(settings: Settings) -> Settings:
    """`settings` with the state folder's key when in development without a key of its own;
    as they are otherwise."""
    if settings.secret_key is not None or settings.environment != "development":
        return settings
    key = _read_or_make(settings.state / FILE)
    if len(key) < 32:  # an emptied or cut file: never sign with it
        raise ValueError(f"{settings.state / FILE} holds no usable key: delete it to make one")
    return settings.model_copy(update={"secret_key": SecretStr(key)})
