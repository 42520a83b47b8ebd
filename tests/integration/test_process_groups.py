"""Process groups of the local stack: real processes started, recognised, stopped, refused."""

from __future__ import annotations

import dataclasses
import os
import socket
import sys
import time

import psutil
import pytest

from tasks.adapters import process_groups as groups
from tasks.adapters import stack
from tasks.core.errors import StackError

# a leader that starts a child in the same group and one in a session of its own
TREE = (
    "import subprocess, sys, time;"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],"
    " start_new_session=True);"
    "time.sleep(60)"
)


def _start(folder, name="tree", code=TREE):
    argv = [sys.executable, "-c", code]
    return groups.start_group(
        name, argv, dict(os.environ), folder, folder / f"{name}.log", folder / f"{name}.json"
    )


def _wait_members(entry, count):
    deadline = time.monotonic() + 20
    while len(groups.members(entry)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return groups.members(entry)


def test_a_group_is_recorded_and_stopped_whole(tmp_path):
    entry = _start(tmp_path)
    assert groups.read_record(tmp_path / "tree.json") == entry
    inside = _wait_members(entry, 2)
    assert {p.pid for p in inside} >= {entry.pid} and len(inside) == 2
    own_session = [c for c in psutil.Process(entry.pid).children() if c not in inside]
    assert groups.stop_group(entry) == 2
    assert not groups.members(entry) and not groups.leader_alive(entry)
    for process in own_session:  # stop_group leaves other sessions alone; clean up
        assert process.is_running()
        process.kill()


def test_a_kill_takes_the_sessions_the_group_started_too(tmp_path):
    entry = _start(tmp_path)
    _wait_members(entry, 2)
    deadline = time.monotonic() + 20
    while len(psutil.Process(entry.pid).children()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    children = psutil.Process(entry.pid).children()
    assert groups.kill_group(entry) == 2
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive and not groups.members(entry)


def test_a_stale_record_never_signals_the_process_now_holding_its_pid(tmp_path):
    me = psutil.Process()
    reused = groups.GroupRecord(
        "old",
        me.pid,
        me.create_time() - 3600,
        psutil.boot_time(),
        ["old"],
        str(tmp_path / "old.log"),
    )
    before_reboot = dataclasses.replace(reused, started=me.create_time(), boot=0.0)
    for record in (reused, before_reboot):
        assert groups.members(record) == []
        assert groups.stop_group(record, grace_seconds=0.1) == 0
        assert groups.kill_group(record) == 0
    assert me.is_running()


def test_a_dead_leader_is_reported_dead_and_forgotten_by_down(tmp_path, monkeypatch):
    from configs.settings import Settings

    monkeypatch.setenv("RETAINAI_STATE_DIR", str(tmp_path))
    settings = Settings()
    folder = stack.folder(settings)
    entry = _start(folder, "worker", "pass")
    psutil.Process(entry.pid).wait(timeout=20)
    states = {s.name: s.state for s in stack.status(settings)}
    assert states == {"prefect": "stopped", "mlflow": "stopped", "worker": "dead", "api": "stopped"}
    assert stack.down(settings) == {"worker": 0}
    assert not (folder / "worker.json").exists()


def test_up_refuses_a_port_in_use_and_leaves_nothing_running(tmp_path, monkeypatch):
    from configs.settings import Settings

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert not groups.port_free("127.0.0.1", port)
        monkeypatch.setenv("RETAINAI_STATE_DIR", str(tmp_path))
        monkeypatch.setenv("RETAINAI_PREFECT_PORT", str(port))
        monkeypatch.setenv("RETAINAI_MLFLOW_PORT", str(groups.free_port()))
        settings = Settings()
        with pytest.raises(StackError, match=f"prefect: port 127.0.0.1:{port} is already in use"):
            stack.up(settings)
    assert groups.port_free("127.0.0.1", port)
    assert not list(stack.folder(settings).glob("*.json"))
    assert all(s.state == "stopped" for s in stack.status(settings))


def test_waiting_for_health_ends_when_the_service_exits(tmp_path):
    entry = _start(tmp_path, "api", "raise SystemExit(3)")
    began = time.monotonic()
    assert groups.wait_until(lambda: False, entry, timeout=60) is False
    assert time.monotonic() - began < 30  # gave up when the leader exited, not at the timeout
