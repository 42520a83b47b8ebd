"""Flow runs left RUNNING or PENDING by a worker of the stack that stopped are marked Crashed
when the stack comes back (a real Prefect server), not a crash-detector period later."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tasks.adapters.prefect_door import PrefectDoor

pytestmark = pytest.mark.usefixtures("prefect_server")


def _api() -> httpx.Client:
    from prefect.settings import PREFECT_API_URL

    return httpx.Client(base_url=PREFECT_API_URL.value(), timeout=10)


def _run_in(api: httpx.Client, pool: str, state: str) -> str:
    """A flow run of a deployment of `pool`, forced into `state` (as a worker would)."""
    flow = api.post("/flows/", json={"name": f"abandoned-{pool}"}).json()
    body = {"name": "d", "flow_id": flow["id"], "work_pool_name": pool, "entrypoint": "f.py:f"}
    deployment = api.post("/deployments/", json=body).json()
    run = api.post(f"/deployments/{deployment['id']}/create_flow_run", json={}).json()
    forced = {"state": {"type": state, "name": state.title()}, "force": True}
    api.post(f"/flow_runs/{run['id']}/set_state", json=forced).raise_for_status()
    return run["id"]


def _state(api: httpx.Client, run_id: str) -> tuple[str, str]:
    run = api.get(f"/flow_runs/{run_id}").json()
    return run["state"]["type"], run["state"]["message"] or ""


def test_runs_of_a_stopped_worker_are_marked_crashed_unless_another_worker_is_online():
    from prefect.settings import PREFECT_API_URL

    pool, other_pool = f"stack-{uuid.uuid4().hex[:8]}", f"other-{uuid.uuid4().hex[:8]}"
    door = PrefectDoor(PREFECT_API_URL.value())
    with _api() as api:
        for name in (pool, other_pool):
            api.post("/work_pools/", json={"name": name, "type": "process"}).raise_for_status()
        running, pending = _run_in(api, pool, "RUNNING"), _run_in(api, pool, "PENDING")
        elsewhere = _run_in(api, other_pool, "RUNNING")
        for worker in ("retainai-here", "retainai-elsewhere"):
            beat = api.post(f"/work_pools/{pool}/workers/heartbeat", json={"name": worker})
            beat.raise_for_status()

        # another worker of the pool is online: its runs are left to the crash detector
        assert door.crash_abandoned_runs(pool, "retainai-here", online_seconds=90) == []
        assert _state(api, running)[0] == "RUNNING"

        # no other worker sent a heartbeat within the period: the runs were this worker's
        names = door.crash_abandoned_runs(pool, "retainai-here", online_seconds=0)
        assert len(names) == 2
        for run_id in (running, pending):
            state, message = _state(api, run_id)
            assert state == "CRASHED"
            assert message.startswith("its worker retainai-here stopped before the run ended")
            assert "retainai stack up" in message
        assert _state(api, elsewhere)[0] == "RUNNING"  # another pool's run is not touched
        assert door.crash_abandoned_runs(pool, "retainai-here", online_seconds=0) == []
        assert door.crash_abandoned_runs("no-such-pool", "retainai-here", 90) == []
