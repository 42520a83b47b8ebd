"""One run of a table at a time from the app: scoring an upload or training. The run's child
process holds an OS lock on the table's slot file for exactly as long as it runs (it inherits
the locked file), so a run that ends or dies frees the slot, whichever app process started
it; a note beside the lock names the run, and a second start while the lock is held is
refused with that name."""

from __future__ import annotations

import fcntl
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from tasks.adapters.storage import write_text_atomic
from tasks.core.errors import ConcurrentRunError
from tasks.i18n import N_


class RunSlot:
    def __init__(self, folder: Path, table: str):
        self.folder = folder
        self.table = table

    @property
    def _lock(self) -> Path:
        return self.folder / f"{self.table}.lock"

    @property
    def _note(self) -> Path:
        return self.folder / f"{self.table}.running"

    def running(self) -> str:
        """What holds the slot, as its note names it."""
        try:
            return self._note.read_text().strip()
        except FileNotFoundError:
            return f"another run of {self.table}"

    def start(
        self, what: str, command: list[str], log: Path, env: dict[str, str] | None = None
    ) -> subprocess.Popen:
        """Start `command` (output to `log`, `env` added to this process's environment) holding
        the slot for as long as it runs; `what` names the run in the refusals of others.
        ConcurrentRunError while another holds it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._lock.open("w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ConcurrentRunError(
                    N_("%(what)s is still running; start another when it has finished"),
                    what=self.running(),
                ) from None
            started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
            write_text_atomic(self._note, f"{what} (started {started})")
            with log.open("wb") as output:
                # The child inherits the locked file: the lock lasts exactly as long as it runs.
                return subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    pass_fds=(lock.fileno(),),
                    start_new_session=True,
                    env={**os.environ, **(env or {})},
                )
