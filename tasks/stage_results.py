"""Stages whose results are kept: a retried parent flow reuses a finished stage's result
instead of running it again (Prefect result persistence, stored under the state folder)."""

from __future__ import annotations

from collections.abc import Callable

from prefect import Flow

from configs.settings import Settings

RESULTS_FOLDER = "results"


def persisted(settings: Settings) -> Callable[[Flow], Flow]:
    """A function giving a flow that persists its result under `<state>/results`."""
    folder = settings.state / RESULTS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)

    def stage(subflow: Flow) -> Flow:
        return subflow.with_options(persist_result=True, result_storage=folder)

    return stage
