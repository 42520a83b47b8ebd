"""A flow run in a child process of the jobs worker (`python -m flows score ...`,
`python -m flows train ...`): its own memory, its own Prefect, its output in a log; the
worker waits for it, and stops its whole process group when asked to stop. A source is
never an argument (others may read a process's arguments): the child reads it from its
environment, as every RetainAI process reads its settings."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from configs.settings import Settings

COMMAND = [sys.executable, "-m", "flows"]  # + the command and its options
GRACE_SECONDS = 15.0  # a child asked to stop has this long before it is killed


@dataclass(frozen=True)
class FlowEnded:
    """How the child ended: its exit code, the last line it wrote, whether it was stopped."""

    code: int
    last_line: str
    stopped: bool = False


def environment(settings: Settings) -> dict[str, str]:
    """The child's settings: this process's environment with the worker's own state folder,
    databases and training source (the ones it was given, whatever the environment says)."""
    found = {**os.environ, "RETAINAI_STATE_DIR": str(Path(settings.state_dir).resolve())}
    named = {
        "RETAINAI_DATABASE_URL": settings.database_url,
        "RETAINAI_MLFLOW_TRACKING_URI": settings.mlflow_tracking_uri,
    }
    found.update({name: value for name, value in named.items() if value})
    source = settings.training_source
    if source is not None:
        found["RETAINAI_TRAINING_SOURCE"] = source.get_secret_value()
    return found


def run_flow(
    settings: Settings, arguments: list[str], log: Path, stop: Callable[[], bool]
) -> FlowEnded:
    """Run `python -m flows ARGUMENTS` to its end (output appended to `log`), checking `stop`
    every second: when it says so, the child's group is asked to end (then killed)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        child = subprocess.Popen(
            [*COMMAND, *arguments],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=environment(settings),
        )
    stopped = False
    while True:
        try:
            code = child.wait(timeout=1.0)
            break
        except subprocess.TimeoutExpired:
            if not stopped and stop():
                stopped = True
                _signal(child.pid, signal.SIGTERM)
                try:
                    code = child.wait(timeout=GRACE_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    _signal(child.pid, signal.SIGKILL)
    return FlowEnded(code, _last_line(log), stopped)


def _signal(group: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, sig)


def _last_line(log: Path) -> str:
    """The last non-empty line of the log (the command line's one clear error, if any)."""
    with log.open("rb") as found:
        found.seek(0, os.SEEK_END)
        found.seek(max(0, found.tell() - 4096))
        lines = found.read().decode(errors="replace").strip().splitlines()
    return lines[-1].strip()[:300] if lines else ""
