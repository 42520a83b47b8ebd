"""Scoring an uploaded file from the dashboard: the scoring flow in a child process (the web
app imports no Prefect), its output kept beside the upload. The flow's own lock refuses a
second run of the same table and date."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path


class ScoringLauncher:
    def __init__(self, config_path: Path):
        self.config_path = config_path
        self.command = [sys.executable, "-m", "flows", "score"]
        self.children: list[subprocess.Popen] = []

    def start(self, data: Path, as_of: date) -> int:
        """Start scoring `data` for `as_of`; returns the child's pid (its log: data + .log)."""
        self.children = [child for child in self.children if child.poll() is None]  # reaped
        command = [*self.command, "--config", str(self.config_path), "--data", str(data),
                   "--as-of", as_of.isoformat()]  # fmt: skip
        with data.with_suffix(".score.log").open("wb") as output:
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     env=os.environ.copy())  # fmt: skip
        self.children.append(child)
        return child.pid
