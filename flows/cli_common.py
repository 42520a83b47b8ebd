"""What the command line's modules share: the default config, the settings and the services'
Context (built once per invocation), and the one mapping of errors to exit codes."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from tasks.core.errors import (
    ConfigError,
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    RetainAIError,
    UnavailableError,
)

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


def exit_code_of(error: BaseException) -> int:
    """The exit code of a failed command: by the kind of its error, 1 for any other."""
    return next((code for kind, code, _ in EXIT_CODES if isinstance(error, kind)), 1)
