"""Scoring an uploaded file from the dashboard: the scoring flow in a child process (the web
app imports no Prefect), its output kept beside the upload. The table's run slot refuses a
second run (scoring or training) while one is going, naming it; the flow's own lock also
refuses a second run of the same table and date from anywhere."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from serving.run_slot import RunSlot


class ScoringLauncher:
    def __init__(self, config_path: Path, slot: RunSlot):
        self.config_path = config_path
        self.slot = slot
        self.command = [sys.executable, "-m", "flows", "score"]
        self.children: list[subprocess.Popen] = []

    def start(self, data: Path, as_of: date, name: str | None = None) -> int:
        """Start scoring `data` (the upload `name`) for `as_of`; returns the child's pid (its
        log: data + .score.log). ConcurrentRunError while a run of the table is going."""
        self.children = [child for child in self.children if child.poll() is None]  # reaped
        command = [*self.command, "--config", str(self.config_path), "--data", str(data)]
        command += ["--as-of", as_of.isoformat()]
        what = f"scoring {name or 'an upload'} as of {as_of.isoformat()}"
        child = self.slot.start(what, command, data.with_suffix(".score.log"))
        self.children.append(child)
        return child.pid
