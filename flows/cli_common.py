"""What the command line's modules share: the default config and the settings, built once."""

from __future__ import annotations

from functools import cache
from pathlib import Path

DEFAULT_CONFIG = Path("configs/telco.yaml")


@cache
def settings():
    """The process's Settings, built once (the CLI is one entry point)."""
    from configs.settings import Settings

    return Settings()
