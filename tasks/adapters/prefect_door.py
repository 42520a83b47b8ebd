"""The one door to a Prefect server: flow runs of deployments, the deployments and their
schedules, the work pool, the crash detector, alert events and `prefect deploy`.

Every read and write goes over Prefect's REST API with httpx (a short timeout, one clear
error), so the serving process never imports prefect. Only the crash detector (an automation)
and `prefect deploy` use Prefect's own code, and only the command line calls them; alert
events use Prefect's event client, and only flow runs send them."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from configs.settings import Settings
from tasks.core.errors import ConcurrentRunError, ConfigError, StackError, UnavailableError
from tasks.core.redaction import mask_url
from tasks.core.schedules import summarise

TRAINING_DEPLOYMENT = "train-churn-model/train-weekly"
CRASH_DETECTOR = "retainai-crashed-flow-runs"
TIMEOUT_SECONDS = 3.0
_ENDED = ("Completed", "Failed", "Cancelled", "Crashed")
_starting = threading.Lock()  # one check-then-create at a time in this process


@dataclass(frozen=True)
class PrefectDoor:
    """A Prefect server at `api_url` (PREFECT_API_URL), or none configured."""

    api_url: str | None
    api_key: str | None = field(default=None, repr=False)
    timeout: float = TIMEOUT_SECONDS  # per request (a server just started answers slowly)

    @classmethod
    def from_settings(cls, settings: Settings) -> PrefectDoor:
        key = settings.prefect_api_key
        url = (settings.prefect_api_url or "").rstrip("/") or None
        return cls(url, key.get_secret_value() if key is not None else None)

    @property
    def configured(self) -> bool:
        return self.api_url is not None

    def _client(self) -> httpx.Client:
        if self.api_url is None:
            raise ConfigError("no Prefect server is configured (PREFECT_API_URL)")
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        return httpx.Client(base_url=self.api_url, timeout=self.timeout, headers=headers)

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, none_for=(404,)
    ) -> Any:
        """The answer's JSON; None for a status in `none_for`; UnavailableError when the
        server is silent or refuses."""
        try:
            with self._client() as client:
                answer = client.request(method, path, json=body)
        except httpx.HTTPError as error:
            where = mask_url(self.api_url or "")
            message = f"the Prefect server at {where} did not answer: {error}"
            raise UnavailableError(message) from None
        if answer.status_code in none_for:
            return None
        if answer.status_code >= 400:
            raise UnavailableError(f"the Prefect server refused {path}: {answer.status_code}")
        return answer.json() if answer.content else None

    def _filter(self, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        return self._call("POST", path, body) or []

    # -- flow runs -------------------------------------------------------------------------

    def start_deployment_run(
        self,
        name: str = TRAINING_DEPLOYMENT,
        parameters: dict[str, Any] | None = None,
        exclusive: bool = True,
    ) -> str | None:
        """Create a flow run of deployment `name` (flow/deployment); None if there is no such
        deployment. When `exclusive`, ConcurrentRunError while a run of it is pending,
        running, or scheduled and due (otherwise the deployment's concurrency limit queues
        the runs: one per campaign, say)."""
        with _starting:
            deployment = self._call("GET", f"/deployments/name/{name}")
            if deployment is None:
                return None
            if not exclusive:
                body = {"parameters": parameters or {}, "tags": ["serving-api"]}
                run = self._call("POST", f"/deployments/{deployment['id']}/create_flow_run", body)
                return str(run["id"])
            ours = {"id": {"any_": [deployment["id"]]}}
            active = {"state": {"type": {"any_": ["PENDING", "RUNNING", "CANCELLING"]}}}
            due = {
                "state": {"type": {"any_": ["SCHEDULED"]}},
                "expected_start_time": {"before_": datetime.now(UTC).isoformat()},
            }
            for runs in (active, due):
                body = {"deployments": ours, "flow_runs": runs, "limit": 1}
                found = self._filter("/flow_runs/filter", body)
                if found:
                    raise ConcurrentRunError(
                        f"flow run {found[0]['id']} of {name} is already {found[0]['state_type']}"
                    )
            body = {"parameters": parameters or {}, "tags": ["serving-api"]}
            run = self._call("POST", f"/deployments/{deployment['id']}/create_flow_run", body)
            return str(run["id"])

    def crash_abandoned_runs(self, pool: str, worker: str, online_seconds: float) -> list[str]:
        """Mark Crashed every flow run of work pool `pool` left PENDING or RUNNING when its
        worker `worker` (this machine's, not running now) stopped; their names. Nothing is
        marked while another worker of the pool sent a heartbeat in the last
        `online_seconds`: the runs may be its (the crash detector still watches them)."""
        now = datetime.now(UTC).timestamp()
        workers = self._filter(f"/work_pools/{pool}/workers/filter", {}) if pool else []
        for other in workers:
            beat = other.get("last_heartbeat_time")
            if other.get("name") != worker and beat and now - _epoch(beat) < online_seconds:
                return []
        left = {
            "flow_runs": {"state": {"type": {"any_": ["PENDING", "RUNNING"]}}},
            "work_pools": {"name": {"any_": [pool]}},
            "limit": 200,
        }
        message = (
            f"its worker {worker} stopped before the run ended (the stack went down or the "
            "machine restarted); marked Crashed by `retainai stack up`"
        )
        crashed: list[str] = []
        for run in self._filter("/flow_runs/filter", left):
            body = {"state": {"type": "CRASHED", "name": "Crashed", "message": message}}
            self._call("POST", f"/flow_runs/{run['id']}/set_state", {**body, "force": True})
            crashed.append(str(run["name"]))
        return crashed

    # -- deployments -----------------------------------------------------------------------

    def deployment_schedules(self) -> list[dict[str, Any]]:
        """The deployments registered on the server with their schedules and next run."""
        deployments = self._filter("/deployments/filter", {"limit": 200})
        flows = self._flow_names(deployments)
        upcoming = []
        if deployments:
            body = {
                "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
                "deployments": {"id": {"any_": [d["id"] for d in deployments]}},
                "sort": "EXPECTED_START_TIME_ASC",
                "limit": 200,
            }
            upcoming = self._filter("/flow_runs/filter", body)
        return summarise(deployments, flows, upcoming)

    def deployment_names(self) -> list[str]:
        """Every deployment on the server as `flow/deployment`."""
        deployments = self._filter("/deployments/filter", {"limit": 200})
        flows = self._flow_names(deployments)
        return sorted(f"{flows.get(str(d['flow_id']), '?')}/{d['name']}" for d in deployments)

    def _flow_names(self, deployments: list[dict[str, Any]]) -> dict[str, str]:
        ids = sorted({d["flow_id"] for d in deployments})
        if not ids:
            return {}
        flows = self._filter("/flows/filter", {"flows": {"id": {"any_": ids}}})
        return {str(f["id"]): f["name"] for f in flows}

    # -- `retainai deploy` -----------------------------------------------------------------

    def require_api(self) -> str:
        """The server's URL, after checking it answers (StackError otherwise)."""
        if self.api_url is None:
            raise StackError(
                "PREFECT_API_URL is not set: start the stack (`retainai stack up`) and export "
                "the URL it prints"
            )
        try:
            self._call("GET", "/health")
        except UnavailableError:
            where = mask_url(self.api_url)
            raise StackError(f"no Prefect server answers at {where} (PREFECT_API_URL)") from None
        return self.api_url

    def ensure_work_pool(self, name: str) -> bool:
        """Create the process work pool `name` unless it exists; True when created."""
        if self._call("GET", f"/work_pools/{name}") is not None:
            return False
        body = {"name": name, "type": "process"}
        created = self._call("POST", "/work_pools/", body, none_for=(409,))  # 409: exists
        return created is not None

    def deploy_all(self, repo: Path, timeout_seconds: float = 300) -> str:
        """`prefect --no-prompt deploy --all` from the repository root; its output.

        The deployments carry no data source: their flow runs read RETAINAI_TRAINING_SOURCE
        and RETAINAI_SCORING_SOURCE from the worker's environment, so no credential reaches
        Prefect."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(repo), env.get("PYTHONPATH")) if p)
        env.setdefault("RETAINAI_HOME", str(repo))
        env["PREFECT_API_URL"] = self.api_url or ""
        command = [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all"]
        try:
            done = subprocess.run(
                command, cwd=repo, env=env, capture_output=True, text=True, timeout=timeout_seconds
            )
        except subprocess.TimeoutExpired:
            raise StackError(f"prefect deploy took longer than {timeout_seconds:.0f} s") from None
        output = done.stdout + done.stderr
        if done.returncode != 0:
            tail = " | ".join(line.strip() for line in output.splitlines()[-5:] if line.strip())
            raise StackError(f"prefect deploy failed ({done.returncode}): {tail}")
        return output

    def ensure_crash_detector(self, settings: Settings) -> str:
        """The automation that marks a running flow run Crashed when its heartbeats stop.

        A flow run sends `prefect.flow-run.heartbeat` every RETAINAI_FLOW_HEARTBEAT_SECONDS
        (the worker sets PREFECT_FLOWS_HEARTBEAT_FREQUENCY); a run that sends none for
        RETAINAI_CRASHED_AFTER_SECONDS (its worker or machine died) is set to Crashed.
        Re-running replaces the automation, so a changed period takes effect. Command line
        only: it uses Prefect's own automation models."""
        from datetime import timedelta

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


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def emit_alert(event: str, kind: str, payload: dict[str, Any]) -> None:
    """An alert event (`retainai.alert.<kind>`) to the Prefect server of this flow run; inside
    a run Prefect relates it to the run, its flow and deployment. Its payload is already
    masked; without a Prefect API nothing is sent."""
    from prefect.events import emit_event

    resource = {"prefect.resource.id": f"retainai.alert.{kind}", "prefect.resource.name": kind}
    emit_event(event=event, resource=resource, payload=payload)
