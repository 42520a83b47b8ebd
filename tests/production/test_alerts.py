"""Alerts on the real stack: a drifted batch monitored through the worker notifies the people
on call once by email (the project's SMTP relay, here a local SMTP server) and once on the
chat webhook (a local HTTP receiver); a second drift within the cool-down notifies no one."""

from __future__ import annotations

import json
import time
from email import message_from_bytes, policy

import httpx
import pytest

from data.generate import generate_customers, write_customers
from tests.production.conftest import HOOK_TOKEN
from tests.production.flow_runs import start, wait

pytestmark = [pytest.mark.slow, pytest.mark.production, pytest.mark.postgres]


def _run(client, deployment: str, timeout: float, **parameters):
    run = wait(client, start(client, deployment, **parameters), timeout)
    assert run.state_name == "Completed", (deployment, run.state.message)
    return run


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


def _drift_mails(channels) -> list:
    mails = [message_from_bytes(m.content, policy=policy.default) for m in channels.mail.received]
    return [m for m in mails if m["Subject"].startswith("RetainAI: data drift")]


def _drift_hooks(channels) -> list[dict]:
    hooks = [json.loads(hook["body"]) for hook in channels.hooks]
    return [hook for hook in hooks if hook.get("kind") == "drift"]


def test_a_drift_notifies_once_by_email_and_webhook_then_the_cool_down_holds(
    production, channels, tmp_path
):
    """Monitoring a drifted batch against the page's champion (the default configuration):
    one email and one webhook call name the drift; a second within the cool-down, none. Other
    alerts of the stack (a crashed run of another module) are other kinds, told apart."""
    from prefect.client.orchestration import get_client

    from tasks.services.operations import stack as local_stack

    drifted = tmp_path / "drifted.csv"
    write_customers(generate_customers(600, seed=21, drift=True), drifted)
    api = local_stack.exports(production.settings)["PREFECT_API_URL"]
    monitor = "monitor-churn-model/monitor-after-scoring"
    with get_client(sync_client=True) as client:
        began = time.monotonic()
        _run(client, monitor, 240, data=str(drifted), as_of="2026-11-05")
        _until(lambda: _drift_mails(channels) and _drift_hooks(channels), 120, "no notification")
        print(f"\nnotified {time.monotonic() - began:.0f} s after the monitoring run started")
        event = _drift_events(api)[0]
        assert event["payload"]["drifted_share"] >= 0.3, event["payload"]
        related = {r["prefect.resource.role"] for r in event["related"]}
        assert {"flow-run", "deployment"} <= related, event["related"]

        # a second drift within the day's cool-down: its event arrives, nothing is sent
        _run(client, monitor, 240, data=str(drifted), as_of="2026-11-06")
        _until(lambda: len(_drift_events(api)) == 2, 60, "no second drift event")
        time.sleep(8)  # what the automation would have done by now
        drift_runs = [r for r in _email_runs(client) if r.parameters.get("kind") == "drift"]
        assert len(drift_runs) == 1, [r.parameters for r in _email_runs(client)]

    mails, hooks = _drift_mails(channels), _drift_hooks(channels)
    assert len(mails) == 1 and len(hooks) == 1
    received = [m for m in channels.mail.received if b"data drift" in m.content]
    assert received[0].rcpt_tos == ["oncall@example.test"]
    share = f"{event['payload']['drifted_share']:.0%}"
    assert mails[0]["Subject"].startswith("RetainAI: data drift in " + share), mails[0]["Subject"]
    text = mails[0].get_content()
    hook = hooks[0]
    assert hook["text"] == hook["content"]
    for sent in (text, hook["text"]):
        assert "2026-11-05" in sent and share in sent, sent
        assert all(column in sent for column in event["payload"]["drifted_columns"]), sent
        assert HOOK_TOKEN not in sent
