"""Long-running services as process groups: start, record, recognise, stop; ports and health.

Each service runs in its own session (its pid is its process group id). A JSON record keeps
the pid, the leader's start time and the boot time, so a record left from before a reboot, or a
pid since reused by another program, is recognised as stale and nothing is signalled."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

_SAME_START = 1.0  # seconds of tolerance between recorded and observed start times


@dataclass(frozen=True)
class GroupRecord:
    name: str
    pid: int  # the group leader; also the process group id
    started: float  # leader's start time (seconds since the epoch)
    boot: float  # the machine's boot time when started
    argv: list[str]
    log: str


def start_group(
    name: str, argv: list[str], env: dict[str, str], cwd: Path, log: Path, record: Path
) -> GroupRecord:
    """Start `argv` in a new session with stdout/stderr appended to `log`; write `record`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = psutil.Process(process.pid).create_time()
    entry = GroupRecord(name, process.pid, started, psutil.boot_time(), argv, str(log))
    record.parent.mkdir(parents=True, exist_ok=True)
    partial = record.with_suffix(".tmp")
    partial.write_text(json.dumps(asdict(entry), indent=2))
    partial.replace(record)
    return entry


def read_record(path: Path) -> GroupRecord | None:
    """The record at `path`; None when there is none or it cannot be read."""
    try:
        return GroupRecord(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def members(entry: GroupRecord) -> list[psutil.Process]:
    """The live processes of the recorded group; empty when the record is stale."""
    if abs(psutil.boot_time() - entry.boot) > _SAME_START:
        return []  # recorded before a reboot: that group is gone
    try:
        leader = psutil.Process(entry.pid)
        if abs(leader.create_time() - entry.started) > _SAME_START:
            return []  # the pid now belongs to another program
    except psutil.NoSuchProcess:
        pass  # the leader exited; members it left behind still carry its group id
    found = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == entry.pid and process.status() != "zombie":
                found.append(process)
        except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
            continue
    return found


def leader_alive(entry: GroupRecord) -> bool:
    return any(p.pid == entry.pid for p in members(entry))


def stop_group(entry: GroupRecord, grace_seconds: float = 15.0) -> int:
    """SIGTERM the group, SIGKILL what is left after the grace period; processes signalled."""
    alive = members(entry)
    if not alive:
        return 0
    _signal_group(entry.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while members(entry) and time.monotonic() < deadline:
        time.sleep(0.2)
    if members(entry):
        _signal_group(entry.pid, signal.SIGKILL)
        _, left = psutil.wait_procs(members(entry), timeout=5)
        for process in left:  # members that left the group keep running otherwise
            process.kill()
    return len(alive)


def kill_group(entry: GroupRecord) -> int:
    """SIGKILL the group and the groups of everything it started (what a machine failure
    does): a Prefect process worker starts each flow run in a session of its own, which a
    signal to the worker's group alone leaves running. Returns the groups signalled."""
    alive = members(entry)
    if not alive:
        return 0
    targets = {entry.pid}
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
            targets |= {os.getpgid(child.pid) for child in process.children(recursive=True)}
    for pgid in targets:
        _signal_group(pgid, signal.SIGKILL)
    return len(targets)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def port_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port (we can bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def http_ok(url: str, timeout: float = 3.0) -> bool:
    """True when GET `url` answers 2xx."""
    import httpx

    try:
        return httpx.get(url, timeout=timeout).is_success
    except httpx.HTTPError:
        return False


def wait_until(
    healthy: Callable[[], bool], entry: GroupRecord, timeout: float, every: float = 0.5
) -> bool:
    """Poll `healthy` until it holds (True), the group leader dies or time runs out (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if healthy():
            return True
        if not leader_alive(entry):
            return False
        time.sleep(every)
    return healthy()
