"""`stack up` looks for runs a stopped worker left once the servers run and before the worker
starts, knowing whether this stack's worker was running: real process groups, each service a
sleeping Python process that counts as healthy (the servers themselves: tests/production)."""

from __future__ import annotations

import os
import sys

from configs.settings import Settings
from tasks.adapters import stack
from tasks.adapters.stack_services import Service

NAMES = ("prefect", "mlflow", "worker", "api")


def _sleepers(settings: Settings) -> list[Service]:
    argv = [sys.executable, "-c", "import time; time.sleep(120)"]
    return [Service(name, argv, dict(os.environ), 0, lambda since: True) for name in NAMES]


def test_the_stopped_worker_is_known_between_the_servers_and_their_clients(tmp_path, monkeypatch):
    monkeypatch.setattr(stack, "services", _sleepers)
    settings = Settings(state_dir=tmp_path)
    (tmp_path / "stack").mkdir()
    seen: list[tuple[bool, list[str]]] = []

    def after_servers(worker_running: bool) -> None:
        running = [s.name for s in stack.status(settings) if s.state == "healthy"]
        seen.append((worker_running, running))

    try:
        stack.up(settings, after_servers)  # a first start: no worker ran before
        stack.up(settings, after_servers)  # everything runs: the worker too
        stack.kill(settings, "worker")  # the worker dies (`make down`, a crash)
        stack.up(settings, after_servers)
    finally:
        stack.down(settings)
    assert seen == [
        (False, ["prefect", "mlflow"]),
        (True, list(NAMES)),
        (False, ["prefect", "mlflow", "api"]),
    ]
