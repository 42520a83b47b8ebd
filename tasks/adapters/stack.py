"""`retainai stack up|down|status`: the local services as recorded process groups."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from configs.settings import Settings
from tasks.adapters import process_groups as groups
from tasks.adapters.stack_services import REPO, Service, services
from tasks.core.errors import StackError


@dataclass(frozen=True)
class ServiceState:
    name: str
    state: str  # healthy | starting | dead | stopped
    pid: int | None
    log: Path
    seconds: float | None = None  # from start to healthy, when this call started it


def folder(settings: Settings) -> Path:
    return settings.state / "stack"


def _record_path(settings: Settings, name: str) -> Path:
    return folder(settings) / f"{name}.json"


def _log_path(settings: Settings, name: str) -> Path:
    return folder(settings) / f"{name}.log"


def _state(settings: Settings, service: Service) -> ServiceState:
    entry = groups.read_record(_record_path(settings, service.name))
    log = _log_path(settings, service.name)
    if entry is None:
        return ServiceState(service.name, "stopped", None, log)
    if not groups.leader_alive(entry):
        return ServiceState(service.name, "dead", entry.pid, log)
    healthy = service.healthy(entry.started)
    return ServiceState(service.name, "healthy" if healthy else "starting", entry.pid, log)


def status(settings: Settings) -> list[ServiceState]:
    """Each service's state from its record, its process and its health check."""
    return [_state(settings, service) for service in services(settings)]


def up(
    settings: Settings, after_servers: Callable[[bool], object] | None = None
) -> list[ServiceState]:
    """Start what is not running, wait until everything answers; healthy services stay.
    Once the servers answer and before their clients start, `after_servers` is called with
    whether this stack's worker was running already.

    A service that does not become healthy stops everything this call started and raises
    one StackError naming it and its log file."""
    started: list[groups.GroupRecord] = []
    results: list[ServiceState] = []
    plan = services(settings)
    worker = groups.read_record(_record_path(settings, "worker"))
    worker_running = worker is not None and groups.leader_alive(worker)
    try:
        for number, wave in enumerate((plan[:2], plan[2:])):  # the servers, then clients
            if number == 1 and after_servers is not None:
                after_servers(worker_running)
            launched = [(s, _launch(settings, s)) for s in wave]
            started += [entry for _, entry in launched if entry is not None]
            results += [_await(settings, s, entry) for s, entry in launched]
    except BaseException:
        for entry in reversed(started):
            _stop(settings, entry)
        raise
    return results


def _launch(settings: Settings, service: Service) -> groups.GroupRecord | None:
    """Start `service` unless its recorded group is alive; the new record, else None."""
    record = _record_path(settings, service.name)
    entry = groups.read_record(record)
    if entry is not None and groups.leader_alive(entry):
        return None
    if entry is not None:  # dead or stale: stop anything the group left, forget it
        groups.stop_group(entry)
        record.unlink(missing_ok=True)
    if service.port and not groups.port_free(settings.stack_host, service.port):
        raise StackError(
            f"{service.name}: port {settings.stack_host}:{service.port} is already in use by "
            f"another program (set RETAINAI_{service.name.upper()}_PORT)"
        )
    log = _log_path(settings, service.name)
    return groups.start_group(service.name, service.argv, service.env, REPO, log, record)


def _await(settings: Settings, service: Service, entry: groups.GroupRecord | None) -> ServiceState:
    log = _log_path(settings, service.name)
    if entry is None:  # already running: give a starting one the same time to answer
        entry = groups.read_record(_record_path(settings, service.name))
        if entry is not None and groups.wait_until(
            lambda: service.healthy(entry.started), entry, settings.stack_start_timeout_seconds
        ):
            return ServiceState(service.name, "healthy", entry.pid, log)
        raise StackError(f"{service.name} is running but does not answer; see {log}")
    if not groups.wait_until(
        lambda: service.healthy(entry.started), entry, settings.stack_start_timeout_seconds
    ):
        limit = settings.stack_start_timeout_seconds
        why = "exited" if not groups.leader_alive(entry) else f"did not answer within {limit:.0f} s"
        raise StackError(f"{service.name} {why}; see {log}")
    return ServiceState(service.name, "healthy", entry.pid, log, time.time() - entry.started)


def _stop(settings: Settings, entry: groups.GroupRecord) -> int:
    signalled = groups.stop_group(entry)
    _record_path(settings, entry.name).unlink(missing_ok=True)
    return signalled


def down(settings: Settings) -> dict[str, int]:
    """Stop every recorded group (clients first); processes signalled per service.

    A record whose pid now belongs to another program (a reboot, a reused pid) is dropped
    without signalling anything."""
    stopped = {}
    for service in reversed(services(settings)):
        entry = groups.read_record(_record_path(settings, service.name))
        if entry is not None:
            stopped[service.name] = _stop(settings, entry)
    return stopped


def kill(settings: Settings, name: str) -> int:
    """SIGKILL one service's group and every group it started, and forget it (a crash, for
    failure drills); the number of process groups signalled."""
    entry = groups.read_record(_record_path(settings, name))
    if entry is None:
        raise StackError(f"{name} is not running (no record in {folder(settings)})")
    signalled = groups.kill_group(entry)
    _stop(settings, entry)
    return signalled
