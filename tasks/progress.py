"""Progress lines for long steps (the CLI's console and the Prefect UI), and artifacts."""

from __future__ import annotations

import logging

logger = logging.getLogger("retainai")


def step(message: str) -> None:
    logger.info(message)


def markdown_artifact(key: str, markdown: str) -> None:
    """A Prefect markdown artifact when called inside a flow or task run (else nothing: a
    stage called as a plain function starts no Prefect API)."""
    from prefect.artifacts import create_markdown_artifact
    from prefect.context import FlowRunContext, TaskRunContext

    if FlowRunContext.get() is not None or TaskRunContext.get() is not None:
        create_markdown_artifact(key=key, markdown=markdown)
