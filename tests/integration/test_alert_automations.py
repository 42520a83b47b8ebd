"""`retainai deploy`'s alert automations on a Prefect server (the test's own): one per kind
with its cool-down and the webhook call, replaced on every deploy, gone with the channels."""

from __future__ import annotations

from datetime import timedelta

import pytest

from configs.settings import Settings
from tasks.adapters.alert_automations import WEBHOOK_BLOCK, ensure_alert_automations
from tasks.core.alerts import KINDS

HOOK = "http://127.0.0.1:9/hooks/alerts?token=automation-test-token"


def _automation(name: str):
    from prefect.automations import Automation

    return Automation.read(name=name)


def test_deploy_replaces_the_alert_automations_and_removes_them_with_the_channel():
    from prefect.blocks.webhook import Webhook

    settings = Settings(alert_webhook_url=HOOK, alert_drift_cooldown_minutes=30)
    made = ensure_alert_automations(settings)
    assert made == [f"retainai-alert-{kind}" for kind in KINDS]
    assert ensure_alert_automations(settings) == made  # again: replaced, not doubled
    drift = _automation("retainai-alert-drift")
    assert drift.trigger.within == timedelta(minutes=30) and drift.trigger.threshold == 1
    assert drift.trigger.expect == {"retainai.alert.drift"}
    assert [action.type for action in drift.actions] == ["call-webhook"]
    assert _automation("retainai-alert-promotion-refused").trigger.within == timedelta(0)
    crashed = _automation("retainai-alert-run-crashed")
    assert crashed.trigger.expect == {"prefect.flow-run.Crashed"}
    assert Webhook.load(WEBHOOK_BLOCK).url.get_secret_value() == HOOK

    assert ensure_alert_automations(Settings()) == []
    for name in made:
        with pytest.raises(ValueError):
            _automation(name)
    with pytest.raises(ValueError):
        Webhook.load(WEBHOOK_BLOCK)
