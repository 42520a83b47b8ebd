"""Training in a local child process of the server, holding the table's run slot (one scoring
or training run of a table at a time); the choice between a Prefect deployment run and this
is the training service's (tasks/services/models/runs.py)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

from serving.run_slot import RunSlot


class TrainingLauncher:
    def __init__(self, state_dir: Path, config_path: Path, source: str | None, slot: RunSlot):
        self.state_dir = state_dir
        self.config_path = config_path
        self.source = source  # RETAINAI_TRAINING_SOURCE: given to a child by its environment
        self.slot = slot
        self.command = [sys.executable, "-m", "flows", "train"]  # + --config C
        self.process: subprocess.Popen | None = None

    def start(self, config_path: Path) -> tuple[str, int]:
        """(run id, pid) of a new child; ConcurrentRunError while a run of the table goes."""
        if self.process is not None:
            self.process.poll()  # reap a finished child
        folder = self.state_dir / "training-runs"
        folder.mkdir(parents=True, exist_ok=True)
        run_id = uuid.uuid4().hex
        command = [*self.command, "--config", str(config_path)]
        what = f"training run {run_id}"
        env = {"RETAINAI_TRAINING_SOURCE": self.source or ""}
        self.process = self.slot.start(what, command, folder / f"{run_id}.log", env)
        return run_id, self.process.pid
