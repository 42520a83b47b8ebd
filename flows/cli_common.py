"""What the command line's modules share: the default config and the settings, built once."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

DEFAULT_CONFIG = Path("configs/telco.yaml")
LAUNCH_ENV = dict(os.environ)  # before the command line's quiet defaults are added


@cache
def settings():
    """The process's Settings, built once (the CLI is one entry point)."""
    from configs.settings import load_settings

    return load_settings()


@cache
def context():
    """The use cases' Context of this invocation, on the same settings."""
    from tasks.services.context import Context

    return Context(settings())
