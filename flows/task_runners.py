"""Where the scoring flow's chunks run: threads in the flow's process, or a Dask cluster.

The flow's own runner (`ScoringTaskRunner`) decides when a run starts, not at import: with
`RETAINAI_DASK_ADDRESS` set it submits every task to the Dask scheduler there, else to a
thread pool. So the `score-daily` deployment scores on a cluster as soon as the Prefect worker
that runs it has the address in its environment, with no other change.
"""

from __future__ import annotations

from typing import Any

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from configs.settings import Settings, load_settings
from tasks.score import RUNNER_THREADS


def thread_runner() -> TaskRunner:
    """Threads in the flow's process: chunks side by side, one per core."""
    return ThreadPoolTaskRunner(max_workers=RUNNER_THREADS)


def dask_runner(address: str | None) -> TaskRunner:
    """The Dask scheduler at `address`; without one, a local cluster of two one-thread worker
    processes, started for the run and stopped after it."""
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": 2,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
        }
    )


def runner_for(choice: str, settings: Settings) -> TaskRunner | None:
    """`auto`: None (the flow's own runner decides); `local`: threads; `dask`: the scheduler at
    RETAINAI_DASK_ADDRESS, else a local cluster."""
    if choice == "auto":
        return None
    if choice == "local":
        return thread_runner()
    if choice == "dask":
        return dask_runner(settings.dask_address)
    raise ValueError(f"task runner {choice!r} is not one of auto, local, dask")


class ScoringTaskRunner(TaskRunner):
    """Threads, or the Dask scheduler at RETAINAI_DASK_ADDRESS, read when the run starts."""

    def __init__(self) -> None:
        super().__init__()
        self.chosen: TaskRunner | None = None

    @property
    def name(self) -> str:
        return "scoring"

    def duplicate(self) -> ScoringTaskRunner:
        return type(self)()

    def __enter__(self) -> ScoringTaskRunner:
        address = load_settings().dask_address
        chosen = dask_runner(address) if address else thread_runner()
        chosen.__enter__()
        self.chosen = chosen
        return super().__enter__()

    def __exit__(self, *exc_info: Any) -> None:
        try:
            if self.chosen is not None:
                self.chosen.__exit__(*exc_info)
        finally:
            self.chosen = None
            super().__exit__(*exc_info)

    def _started_runner(self) -> TaskRunner:
        if self.chosen is None:
            raise RuntimeError("The task runner must be started before submitting work.")
        return self.chosen

    def submit(self, task, parameters, wait_for=None, dependencies=None):
        return self._started_runner().submit(task, parameters, wait_for, dependencies)

    def map(self, task, parameters, wait_for=None):
        return self._started_runner().map(task, parameters, wait_for)

    def cancel_all(self) -> None:
        """What a cancelled flow run calls on its runner (threads only can cancel)."""
        chosen = self.chosen
        if chosen is not None and hasattr(chosen, "cancel_all"):
            chosen.cancel_all()
