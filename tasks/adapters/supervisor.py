"""A child process kept running for as long as its parent wants it: started in a session of
its own, started again when it dies (after a short wait that grows while it keeps dying),
stopped with its whole process group when the parent stops it."""

from __future__ import annotations

import logging
import subprocess
import threading
from pathlib import Path

from tasks.adapters.process_groups import GroupRecord, stop_group

log = logging.getLogger("retainai.supervisor")
MAX_WAIT_SECONDS = 30.0


class Supervised:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path):
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self._stopping = threading.Event()
        self._watch = threading.Thread(target=self._run, name=f"supervise-{name}", daemon=True)

    def start(self) -> Supervised:
        self._spawn()
        self._watch.start()
        return self

    def _spawn(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

    def _run(self) -> None:
        wait = 1.0
        while not self._stopping.is_set():
            if self._stopping.wait(0.5):
                return
            process = self.process
            if process is None or process.poll() is None:
                continue
            log.warning(
                "%s exited with %s; starting it again in %.0f s",
                self.name,
                process.returncode,
                wait,
            )
            if self._stopping.wait(wait):
                return
            self._spawn()
            wait = min(wait * 2, MAX_WAIT_SECONDS)

    def stop(self, grace_seconds: float = 15.0) -> None:
        """Stop watching, then SIGTERM the child's group (SIGKILL after the grace period)."""
        self._stopping.set()
        if self._watch.is_alive():
            self._watch.join()
        process = self.process
        if process is None or process.poll() is not None:
            return
        import psutil

        started = psutil.Process(process.pid).create_time()
        entry = GroupRecord(self.name, process.pid, started, psutil.boot_time(), self.argv, "")
        stop_group(entry, grace_seconds)
        process.wait(timeout=10)
