"""What the command line's modules share: the default config, the settings and the services'
Context (built once per invocation), and the one mapping of errors to exit codes."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from configs.errors import SettingsError
from tasks import i18n
from tasks.core.errors import (
    ConfigError,
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    RetainAIError,
    UnavailableError,
)
from tasks.i18n import N_

DEFAULT_CONFIG = Path("configs/telco.yaml")
LAUNCH_ENV = dict(os.environ)  # before the command line's quiet defaults are added


@cache
def settings():
    """The process's Settings, built once (the CLI is one entry point)."""
    from configs.settings import load_settings

    return load_settings()


@cache
def context():
    """The services' Context of this invocation, on its one Settings."""
    from tasks.services.context import Context

    return Context(settings())


# The one table of the command line's exit codes, matched in this order (the help lists it);
# 2 is a wrong usage (click's), 130 an interruption
EXIT_CODES: tuple[tuple[type[RetainAIError], int, str], ...] = (
    (ConfigError, 3, "configuration"),
    (InvalidInputError, 4, "invalid input"),
    (NotFoundError, 5, "not found"),
    (ConflictError, 6, "conflict"),
    (ForbiddenError, 7, "forbidden"),
    (UnavailableError, 8, "unavailable"),
    (RetainAIError, 1, "any other failure"),
)
EPILOG = (
    "Exit codes: 0 done; 2 wrong usage; "
    + "; ".join(f"{code} {meaning}" for _, code, meaning in EXIT_CODES)
    + "; 130 interrupted. An error is one line on stderr (its traceback with --debug); invalid "
    + "settings are a line per variable, each with its fix."
)


def cli_language(env: Mapping[str, str] | None = None) -> str:
    """The language of the command line's messages: RETAINAI_DEFAULT_LANGUAGE, else the POSIX
    locale of the messages (LC_ALL, else LC_MESSAGES, else LANG: 'fr_FR.UTF-8' is French),
    else English."""
    env = os.environ if env is None else env
    posix = next((env[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(name)), None)
    return i18n.choose_language(env.get("RETAINAI_DEFAULT_LANGUAGE"), posix)


def error_line(error: BaseException, language: str) -> str:
    """A failed command's one line on stderr, in `language` (a typed error's template
    translated, then filled in; any other error as it reads)."""
    text = i18n.translate_error(error, language) if isinstance(error, Exception) else ""
    message = text.splitlines()[0] if text else type(error).__name__
    return i18n.gettext(language, N_("error: %(text)s"), text=message)


def error_lines(error: BaseException, language: str) -> list[str]:
    """What a failed command prints on stderr: its one line, or a line per invalid setting
    (each naming its variable and the fix)."""
    if isinstance(error, SettingsError):
        return [i18n.gettext(language, N_("error: %(text)s"), text=line) for line in error.lines]
    return [error_line(error, language)]


def exit_code_of(error: BaseException) -> int:
    """The exit code of a failed command: by the kind of its error, 1 for any other."""
    return next((code for kind, code, _ in EXIT_CODES if isinstance(error, kind)), 1)
