"""Starting a training run from the API: a Prefect deployment run, or a local subprocess."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from tasks.adapters import orchestrator
from tasks.core.errors import ConcurrentRunError, ConfigError


class TrainingLauncher:
    """One training run at a time: Prefect's own run states, or a lock the child holds."""

    def __init__(self, state_dir: Path, config_path: Path, source: str | None):
        self.state_dir = state_dir
        self.config_path = config_path
        self.source = source  # RETAINAI_TRAINING_SOURCE: given to a child by its environment
        self.command = [sys.executable, "-m", "flows", "train"]  # + --config C
        self.process: subprocess.Popen | None = None

    def start(self) -> dict[str, Any]:
        """Start a run (blocking; call from a worker thread); ConcurrentRunError if one runs.

        The source is never a run parameter or a command-line argument (both are shown to
        others): a deployment run reads it from its worker's environment, a child from its own."""
        if orchestrator.api_configured():
            parameters = {"config_path": str(self.config_path)}
            run_id = orchestrator.start_deployment_run(parameters=parameters)
            if run_id is not None:
                return {"run_id": run_id, "backend": "prefect"}
        return self._start_subprocess()

    def _start_subprocess(self) -> dict[str, Any]:
        if not self.source:
            raise ConfigError(
                "no training data: set RETAINAI_TRAINING_SOURCE to the customers file to train "
                "on (or deploy train-churn-model/train-weekly on Prefect)"
            )
        if self.process is not None:
            self.process.poll()  # reap a finished child
        folder = self.state_dir / "training-runs"
        folder.mkdir(parents=True, exist_ok=True)
        lock = (folder / "running.lock").open("w")
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ConcurrentRunError("a training run started by the API is running") from None
            run_id = uuid.uuid4().hex
            command = [*self.command, "--config", str(self.config_path)]
            with (folder / f"{run_id}.log").open("wb") as output:
                # The child inherits the locked file: the lock lasts exactly as long as it runs.
                self.process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    pass_fds=(lock.fileno(),),
                    start_new_session=True,
                    env={**os.environ, "RETAINAI_TRAINING_SOURCE": self.source},
                )
        finally:
            lock.close()
        return {"run_id": run_id, "backend": "subprocess", "pid": self.process.pid}
