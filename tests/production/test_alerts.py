"""Alerts on the real stack: a drifted batch monitored through the worker notifies the people
on call once by email (the project's SMTP relay, here a local SMTP server) and once on the
chat webhook (a local HTTP receiver); a second drift within the cool-down notifies no one."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest

from data.generate import generate_customers, write_customers
from tests.integration.smtp_server import Recorder, smtp_server
from tests.production.conftest import TERMINAL, env_api

pytestmark = [pytest.mark.slow, pytest.mark.production, pytest.mark.postgres]
HOOK_TOKEN = "hook-token-4f1c9e"  # in the webhook's URL: must never be in what is sent


@dataclass
class Channels:
    mail: Recorder
    hooks: list[dict] = field(default_factory=list)
    smtp_port: int = 0
    webhook_url: str = ""


def _receiver(hooks: list[dict]) -> HTTPServer:
    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            hooks.append({"path": self.path, "body": body.decode()})
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    return HTTPServer(("127.0.0.1", 0), Hook)


@pytest.fixture(scope="module")
def channels():
    """A local SMTP server and a local webhook receiver, up before the stack starts."""
    found = Channels(Recorder())
    server = _receiver(found.hooks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    found.webhook_url = f"http://127.0.0.1:{server.server_port}/hooks/alerts?token={HOOK_TOKEN}"
    try:
        with smtp_server(found.mail) as port:
            found.smtp_port = port
            yield found
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def production_env(channels) -> dict[str, str]:
    return {
        "RETAINAI_SMTP_HOST": "127.0.0.1",
        "RETAINAI_SMTP_PORT": str(channels.smtp_port),
        "RETAINAI_SMTP_SECURITY": "none",
        "RETAINAI_MAIL_FROM": "RetainAI <alerts@example.test>",
        "RETAINAI_ALERT_EMAILS": "oncall@example.test",
        "RETAINAI_ALERT_WEBHOOK_URL": channels.webhook_url,
    }


def _run(client, deployment: str, timeout: float, **parameters):
    found = client.read_deployment_by_name(deployment)
    run_id = client.create_flow_run_from_deployment(found.id, parameters=parameters).id
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.read_flow_run(run_id)
        if run.state_type.value in TERMINAL:
            assert run.state_name == "Completed", (deployment, run.state.message)
            return run
        time.sleep(1)
    raise AssertionError(f"{deployment} run {run_id} still {run.state_name}")


def _until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.5)
    raise AssertionError(f"{what} within {timeout:.0f} s")


def _drift_events(api: str) -> list[dict]:
    body = {"filter": {"event": {"name": ["retainai.alert.drift"]}}, "limit": 50}
    answer = httpx.post(f"{api}/events/filter", json=body, timeout=10)
    answer.raise_for_status()
    return answer.json()["events"]


def _email_runs(client) -> list:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    found = client.read_deployment_by_name("send-alert/send-alert-email")
    ours = DeploymentFilter(id=DeploymentFilterId(any_=[found.id]))
    return client.read_flow_runs(deployment_filter=ours, limit=10)


def test_a_drift_notifies_once_by_email_and_webhook_then_the_cool_down_holds(
    production, channels, tmp_path
):
    from prefect.client.orchestration import get_client

    drifted = tmp_path / "drifted.csv"
    write_customers(generate_customers(600, seed=21, drift=True), drifted)
    config, api = str(production.config), env_api(production.settings)
    monitor = "monitor-churn-model/monitor-after-scoring"
    with get_client(sync_client=True) as client:
        _run(client, "train-churn-model/train-weekly", 420, config_path=config)
        began = time.monotonic()
        _run(client, monitor, 240, config_path=config, data=str(drifted), as_of="2026-11-05")
        _until(lambda: channels.mail.received and channels.hooks, 120, "no notification")
        print(f"\nnotified {time.monotonic() - began:.0f} s after the monitoring run started")
        event = _drift_events(api)[0]
        assert event["payload"]["drifted_share"] >= 0.3, event["payload"]
        related = {r["prefect.resource.role"] for r in event["related"]}
        assert {"flow-run", "deployment"} <= related, event["related"]

        # a second drift within the day's cool-down: its event arrives, nothing is sent
        _run(client, monitor, 240, config_path=config, data=str(drifted), as_of="2026-11-06")
        _until(lambda: len(_drift_events(api)) == 2, 60, "no second drift event")
        time.sleep(15)  # what the automation would have done by now
        assert len(_email_runs(client)) == 1

    assert len(channels.mail.received) == 1 and len(channels.hooks) == 1
    mail = message_from_bytes(channels.mail.received[0].content, policy=policy.default)
    assert channels.mail.received[0].rcpt_tos == ["oncall@example.test"]
    share = f"{event['payload']['drifted_share']:.0%}"
    assert mail["Subject"].startswith("RetainAI: data drift in " + share), mail["Subject"]
    text = mail.get_content()
    hook = json.loads(channels.hooks[0]["body"])
    assert hook["kind"] == "drift" and hook["text"] == hook["content"]
    for sent in (text, hook["text"]):
        assert "2026-11-05" in sent and share in sent, sent
        assert all(column in sent for column in event["payload"]["drifted_columns"]), sent
        assert HOOK_TOKEN not in sent
