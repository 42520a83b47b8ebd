"""`retainai deploy`: prefect.yaml's deployments, their work pool and the crash detector."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from datetime import timedelta

from configs.settings import Settings
from tasks.adapters.process_groups import http_ok
from tasks.adapters.stack_services import REPO
from tasks.core.errors import StackError
from tasks.core.redaction import mask_url

CRASH_DETECTOR = "retainai-crashed-flow-runs"
_ENDED = ("Completed", "Failed", "Cancelled", "Crashed")


def require_api() -> str:
    """PREFECT_API_URL, after checking the server answers."""
    url = os.environ.get("PREFECT_API_URL", "").rstrip("/")
    if not url:
        raise StackError(
            "PREFECT_API_URL is not set: start the stack (`retainai stack up`) and export "
            "the URL it prints"
        )
    if not http_ok(f"{url}/health"):
        raise StackError(f"no Prefect server answers at {mask_url(url)} (PREFECT_API_URL)")
    return url


def ensure_work_pool(name: str) -> bool:
    """Create the process work pool `name` unless it exists; True when created."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
            return False
        except ObjectNotFound:
            pass
        try:
            client.create_work_pool(WorkPoolCreate(name=name, type="process"))
        except ObjectAlreadyExists:
            return False
    return True


def deploy_all(timeout_seconds: float = 300) -> str:
    """`prefect --no-prompt deploy --all` from the repository root; its output.

    The deployments carry no data source: their flow runs read RETAINAI_TRAINING_SOURCE and
    RETAINAI_SCORING_SOURCE from the worker's environment, so no credential reaches Prefect."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.setdefault("RETAINAI_HOME", str(REPO))
    command = [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all"]
    try:
        done = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout_seconds
        )
    except subprocess.TimeoutExpired:
        raise StackError(f"prefect deploy took longer than {timeout_seconds:.0f} s") from None
    output = done.stdout + done.stderr
    if done.returncode != 0:
        tail = " | ".join(line.strip() for line in output.splitlines()[-5:] if line.strip())
        raise StackError(f"prefect deploy failed ({done.returncode}): {tail}")
    return output


def ensure_crash_detector(settings: Settings) -> str:
    """The automation that marks a running flow run Crashed when its heartbeats stop.

    A flow run sends `prefect.flow-run.heartbeat` every RETAINAI_FLOW_HEARTBEAT_SECONDS
    (the worker sets PREFECT_FLOWS_HEARTBEAT_FREQUENCY); a run that sends none for
    RETAINAI_CRASHED_AFTER_SECONDS (its worker or machine died) is set to Crashed. Re-running
    replaces the automation, so a changed period takes effect."""
    from prefect.automations import Automation, ChangeFlowRunState, EventTrigger, Posture
    from prefect.client.schemas.objects import StateType

    if settings.crashed_after_seconds <= settings.flow_heartbeat_seconds:
        raise StackError(
            "RETAINAI_CRASHED_AFTER_SECONDS must exceed RETAINAI_FLOW_HEARTBEAT_SECONDS"
        )
    with contextlib.suppress(ValueError):  # ValueError: none yet
        Automation.read(name=CRASH_DETECTOR).delete()
    automation = Automation(
        name=CRASH_DETECTOR,
        description="A running flow run that sends no heartbeat is marked Crashed.",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", *(f"prefect.flow-run.{s}" for s in _ENDED)},
            match={"prefect.resource.id": ["prefect.flow-run.*"]},
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=settings.crashed_after_seconds),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"no heartbeat for {settings.crashed_after_seconds} s: "
                "the flow run's process died",
            )
        ],
    )
    return str(automation.create().id)


def deployment_names() -> list[str]:
    """Every deployment on the server as `flow/deployment`."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        flows = {flow.id: flow.name for flow in client.read_flows()}
        return sorted(f"{flows.get(d.flow_id, '?')}/{d.name}" for d in client.read_deployments())
