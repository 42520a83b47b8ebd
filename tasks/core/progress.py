"""Progress lines for long steps (the CLI's console and the Prefect UI's logs)."""

from __future__ import annotations

import logging

logger = logging.getLogger("retainai")


def step(message: str) -> None:
    logger.info(message)
