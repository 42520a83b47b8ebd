"""Starting a training run from the API: a Prefect deployment run, or a local subprocess that
holds the table's run slot (one scoring or training run of a table at a time)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from serving.run_slot import RunSlot
from tasks.adapters import orchestrator
from tasks.core.errors import ConfigError


class TrainingLauncher:
    """One training run at a time: Prefect's own run states, or the run slot the child holds."""

    def __init__(self, state_dir: Path, config_path: Path, source: str | None, slot: RunSlot):
        self.state_dir = state_dir
        self.config_path = config_path
        self.source = source  # RETAINAI_TRAINING_SOURCE: given to a child by its environment
        self.slot = slot
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
        run_id = uuid.uuid4().hex
        command = [*self.command, "--config", str(self.config_path)]
        what = f"training run {run_id}"
        env = {"RETAINAI_TRAINING_SOURCE": self.source}
        self.process = self.slot.start(what, command, folder / f"{run_id}.log", env)
        return {"run_id": run_id, "backend": "subprocess", "pid": self.process.pid}
