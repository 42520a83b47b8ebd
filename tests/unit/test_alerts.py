"""Alerts: the words and figures they carry, what is masked, and each kind's automation
(its cool-down and the templates Prefect renders with the triggering event)."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from configs.settings import Settings
from tasks.adapters.alert_automations import cooldowns
from tasks.core import alerts


def test_a_drift_alert_carries_its_figures():
    alert = alerts.drift_alert("telco", "2026-11-05", "3", 0.4667, 0.3, ["tenure", "Contract"])
    assert alert.event == "retainai.alert.drift"
    assert alert.subject == "RetainAI: data drift in 47% of columns (telco, 2026-11-05)"
    assert "model version 3" in alert.text and "(threshold 30%)" in alert.text
    assert "Drifted columns: tenure, Contract." in alert.text
    payload = alert.payload()
    assert payload["drifted_share"] == 0.4667 and payload["drifted_columns"] == [
        "tenure",
        "Contract",
    ]
    assert payload["subject"] == alert.subject and payload["kind"] == "drift"


def test_promotion_realised_and_campaign_alerts_say_what_happened():
    holdout = {"roc_auc": 0.71234, "pr_auc": 0.5, "brier": 0.2, "rows": 400.0}
    refused = alerts.promotion_alert("churn", "7", "ROC-AUC 0.7123 is below 0.8", holdout)
    assert refused.subject == "RetainAI: model churn version 7 was not promoted"
    assert "roc_auc 0.7123, pr_auc 0.5000, brier 0.2000" in refused.text
    assert "rows" not in refused.text and refused.figures["rows"] == 400.0

    row = {"model_version": "2", "as_of": "2026-10-01", "roc_auc": 0.61, "rows": 812}
    realised = alerts.realised_alert("telco", row, 0.7)
    assert realised.subject == "RetainAI: realised ROC-AUC 0.6100 below 0.7 (model version 2)"
    assert "on 812 customers" in realised.text and realised.figures["floor"] == 0.7

    assert alerts.campaign_alert(4, {"sent": 90, "suppressed": 3, "failed": 0}) is None
    sent = alerts.campaign_alert(4, {"sent": 90, "failed": 2, "unknown": 1})
    assert sent.subject == "RetainAI: campaign 4 sent with 3 failures"
    assert "sent 90 messages; 2 failed, 1 unknown." in sent.text
    assert sent.figures == {"campaign_id": 4, "sent": 90, "failed": 2, "bounced": 0, "unknown": 1}


def test_urls_and_known_secrets_are_masked_everywhere_in_an_alert():
    alert = alerts.Alert(
        "drift",
        "source postgresql://app:hunter22@db.example.com:5432/crm failed",
        "read https://api.example.com/customers?token=abc123&day=1 with key sk-live-0123456789",
        {"source": "s3://bucket/x.csv?X-Amz-Signature=deadbeef", "nested": ["sk-live-0123456789"]},
    )
    clean = alerts.masked(alert, ["sk-live-0123456789", "", "abc"])
    assert clean.subject == "source postgresql://***@db.example.com:5432/crm failed"
    assert clean.text == ("read https://api.example.com/customers?token=***&day=*** with key ***")
    assert clean.figures == {
        "source": "s3://bucket/x.csv?X-Amz-Signature=***",
        "nested": ["***"],
    }
    everything = json.dumps(clean.payload())
    for secret in ("hunter22", "abc123", "deadbeef", "sk-live"):
        assert secret not in everything


def test_each_kind_has_its_cool_down_and_the_crash_rule_reads_prefects_event():
    found = {rule.kind: rule for rule in alerts.rules(cooldowns(Settings()))}
    assert set(found) == set(alerts.KINDS)
    assert found["drift"].cooldown_seconds == 86_400  # one a day by default
    assert found["realised-roc-auc"].cooldown_seconds == 86_400
    assert found["promotion-refused"].cooldown_seconds == 0  # every refusal
    assert found["drift"].event == "retainai.alert.drift"
    assert found["run-crashed"].event == "prefect.flow-run.Crashed"
    assert found["drift"].name == "retainai-alert-drift"
    quick = Settings(alert_drift_cooldown_minutes=5, alert_crash_cooldown_minutes=60)
    found = {rule.kind: rule for rule in alerts.rules(cooldowns(quick))}
    assert (found["drift"].cooldown_seconds, found["run-crashed"].cooldown_seconds) == (300, 3600)
    with pytest.raises(ValueError, match="unknown alert kinds: storm"):
        alerts.rules({"storm": 5})
    with pytest.raises(ValueError, match="drift alerts is negative"):
        alerts.rules({"drift": -1})
    with pytest.raises(ValidationError):
        Settings(alert_drift_cooldown_minutes=-1)


def _render(template: str, event: dict) -> str:
    """As Prefect's automations render an action's template with the triggering event."""
    from prefect.server.utilities.user_templates import (
        render_user_template_sync,
        validate_user_template,
    )

    validate_user_template(template)
    return render_user_template_sync(template, {"event": event})


def test_the_webhook_body_is_json_for_chat_tools_with_the_alerts_words():
    alert = alerts.drift_alert("telco", "2026-11-05", "3", 0.5, 0.3, ["tenure"])
    event = {"event": alert.event, "payload": {**alert.payload(), "subject": 'say "hi" <b>'}}
    rule = next(r for r in alerts.rules({}) if r.kind == "drift")
    body = json.loads(_render(rule.webhook_payload(), event))
    assert body["kind"] == "drift"
    assert body["text"] == body["content"] == f'say "hi" <b>\n\n{alert.text}'
    assert _render("{{ " + rule.subject + " }}", event) == 'say "hi" <b>'


def test_a_crash_is_worded_from_the_runs_name_only():
    event = {
        "event": "prefect.flow-run.Crashed",
        "occurred": "2026-12-08T03:04:05+00:00",
        "resource": {
            "prefect.resource.id": "prefect.flow-run.1234",
            "prefect.resource.name": "sly-fox",
        },
    }
    rule = next(r for r in alerts.rules({}) if r.kind == "run-crashed")
    assert _render("{{ " + rule.subject + " }}", event) == "RetainAI: flow run sly-fox crashed"
    text = _render("{{ " + rule.text + " }}", event)
    assert text.startswith("Flow run sly-fox (prefect.flow-run.1234) was marked Crashed at 2026")
    assert json.loads(_render(rule.webhook_payload(), event))["text"].endswith("run it again.")


def test_alert_emails_are_a_comma_separated_list_of_addresses():
    settings = Settings(alert_emails=" ops@example.com, oncall@example.org ,")
    assert settings.alert_emails == ("ops@example.com", "oncall@example.org")
    with pytest.raises(ValidationError, match="RETAINAI_ALERT_EMAILS: ops-at-example is not"):
        Settings(alert_emails="ops-at-example,ok@example.com")
