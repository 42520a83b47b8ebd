"""A Dask cluster of separate processes standing for machines: one `dask scheduler` and N
`dask worker` processes (one thread each, a memory limit), each in its own process group, all
stopped on the way out. The workers import this repository's code (PYTHONPATH)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment() -> dict[str, str]:
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    return env


def _start(command: list[str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:  # the child keeps its own descriptor
        return subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_environment(),
            cwd=log.parent,
            start_new_session=True,
        )


def _stop(processes: list[subprocess.Popen], seconds: float = 15.0) -> None:
    """SIGTERM to every process group, then SIGKILL to the groups still alive."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_for_workers(address: str, count: int, seconds: float) -> None:
    from distributed import Client

    with Client(address, timeout=seconds) as client:
        client.wait_for_workers(count, timeout=seconds)


@contextlib.contextmanager
def dask_cluster(
    folder: Path,
    workers: int,
    memory_limit: str = "1GiB",
    preload: tuple[str, ...] = ("tasks.score",),
    seconds: float = 120.0,
) -> Iterator[str]:
    """Start a scheduler on 127.0.0.1 and `workers` worker processes; yields the scheduler's
    address once it sees them all. Each worker imports the `preload` modules as it starts (so
    a run does not wait for them). Logs and the workers' spill folders go under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    python = [sys.executable, "-m"]
    processes = [
        _start(
            [
                *python,
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            folder / "scheduler.log",
        )
    ]
    try:
        for index in range(workers):
            local = folder / f"worker-{index}"
            local.mkdir(exist_ok=True)
            processes.append(
                _start(
                    [
                        *python,
                        "distributed.cli.dask_worker",
                        address,
                        "--name",
                        f"worker-{index}",
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--memory-limit",
                        memory_limit,
                        "--no-dashboard",
                        "--local-directory",
                        str(local),
                        *(arg for module in preload for arg in ("--preload", module)),
                    ],
                    folder / f"worker-{index}.log",
                )
            )
        _wait_for_workers(address, workers, seconds)
        yield address
    finally:
        _stop(processes)


def tasks_per_worker(records: list[dict], key_part: str) -> dict[str, int]:
    """From a task stream (`Client.get_task_stream`): how many tasks whose key holds
    `key_part` each worker ran."""
    counts: dict[str, int] = {}
    for record in records:
        if key_part in str(record.get("key", "")):
            counts[record["worker"]] = counts.get(record["worker"], 0) + 1
    return counts
