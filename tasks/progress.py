"""Progress lines for long steps: shown on the console by the CLI and in the Prefect UI."""

from __future__ import annotations

import logging

logger = logging.getLogger("retainai")


def step(message: str) -> None:
    logger.info(message)
