"""The jobs worker as a process: run until told to stop (SIGTERM, or its server gone), and
started and kept running by `retainai serve` when no Prefect server does the work."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

from configs.schema import load_config
from tasks.adapters import db
from tasks.adapters.supervisor import Supervised
from tasks.services.context import Context
from tasks.services.jobs.worker import Worker


def work(ctx: Context, config_path: Path, parent: int = 0, once: bool = False) -> Worker:
    """Take the jobs one at a time until SIGTERM (or, given `parent`, until that process is
    gone); with `once`, only the jobs waiting now (the due sends queued first)."""
    db.ensure_schema(ctx.engine, embedded=ctx.settings.database_url is None)
    worker = Worker(ctx, load_config(config_path))
    if once:
        worker.queue_due_sends()
        while worker.run_once():
            pass
        return worker
    signal.signal(signal.SIGTERM, lambda *_: worker.stopping.set())
    if parent:
        threading.Thread(target=_follow, args=(parent, worker.stopping), daemon=True).start()
    worker.run()
    return worker


def _follow(parent: int, stopping: threading.Event) -> None:
    while not stopping.wait(1.0):
        if os.getppid() != parent:
            stopping.set()


def supervise_worker(ctx: Context, config_path: Path) -> Supervised | None:
    """The jobs worker as a supervised child of this process (started again if it dies,
    stopped with `.stop()`); None with a Prefect server, whose deployments do the work."""
    if ctx.prefect.configured:
        return None
    db.ensure_schema(ctx.engine, embedded=ctx.settings.database_url is None)
    argv = [sys.executable, "-m", "flows", "jobs", "work", "--config", str(config_path)]
    argv += ["--parent", str(os.getpid())]
    log = ctx.settings.state / "logs" / "jobs-worker.log"
    return Supervised("jobs-worker", argv, dict(os.environ), log).start()
