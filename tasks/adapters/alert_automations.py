"""The alert automations on the Prefect server, created by `retainai deploy` (command line
only: it uses Prefect's own automation models, like the crash detector).

One automation per alert kind (tasks/core/alerts.py): a reactive trigger on the kind's event
with a threshold of one within the kind's cool-down, so it acts on the first event and then
ignores the others until the cool-down has passed (0: it acts on every event). Its actions:
call the chat webhook (a Prefect Webhook block holding RETAINAI_ALERT_WEBHOOK_URL as a secret)
and run the `send-alert-email` deployment, which mails the alert through the project's SMTP
relay from the worker. Re-running replaces them all, so changed settings take effect."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from configs.settings import Settings
from tasks.core import alerts
from tasks.core.alerts import AUTOMATION_PREFIX, KINDS, rules
from tasks.core.errors import StackError

WEBHOOK_BLOCK = "retainai-alerts"
EMAIL_DEPLOYMENT = "send-alert/send-alert-email"


def cooldowns(settings: Settings) -> dict[str, int]:
    """Each alert kind's cool-down in minutes, from the settings."""
    return {
        alerts.DRIFT: settings.alert_drift_cooldown_minutes,
        alerts.REALISED: settings.alert_realised_cooldown_minutes,
        alerts.PROMOTION: settings.alert_promotion_cooldown_minutes,
        alerts.CRASHED: settings.alert_crash_cooldown_minutes,
        alerts.CAMPAIGN: settings.alert_campaign_cooldown_minutes,
    }


def ensure_alert_automations(settings: Settings) -> list[str]:
    """The alert automations for the configured channels; their names (none when neither
    RETAINAI_ALERT_WEBHOOK_URL nor RETAINAI_ALERT_EMAILS is set)."""
    from prefect.automations import (
        Automation,
        CallWebhook,
        EventTrigger,
        Posture,
        RunDeployment,
    )

    for kind in KINDS:
        with contextlib.suppress(ValueError):  # ValueError: none yet
            Automation.read(name=AUTOMATION_PREFIX + kind).delete()
    webhook_id = _webhook_block(settings)
    deployment_id = _email_deployment() if settings.alert_emails else None
    if webhook_id is None and deployment_id is None:
        return []
    created = []
    for rule in rules(cooldowns(settings)):
        actions = []
        if webhook_id is not None:
            actions.append(
                CallWebhook(block_document_id=webhook_id, payload=rule.webhook_payload())
            )
        if deployment_id is not None:
            parameters = {
                "kind": rule.kind,
                "subject": "{{ " + rule.subject + " }}",
                "text": "{{ " + rule.text + " }}",
            }
            actions.append(
                RunDeployment(source="selected", deployment_id=deployment_id, parameters=parameters)
            )
        minutes = rule.cooldown_seconds // 60
        often = f"at most once every {minutes} minutes" if minutes else "every time"
        automation = Automation(
            name=rule.name,
            description=f"Notify the people on call of {rule.kind} alerts, {often}.",
            trigger=EventTrigger(
                expect={rule.event},
                posture=Posture.Reactive,
                threshold=1,
                within=timedelta(seconds=rule.cooldown_seconds),
            ),
            actions=actions,
        )
        automation.create()
        created.append(rule.name)
    return created


def _webhook_block(settings: Settings):
    """The Webhook block's id (saved anew with the URL of the settings), or None (and no
    block left behind holding a URL no longer configured)."""
    from prefect.blocks.webhook import Webhook
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    if settings.alert_webhook_url is None:
        with get_client(sync_client=True) as client, contextlib.suppress(ObjectNotFound):
            found = client.read_block_document_by_name(WEBHOOK_BLOCK, "webhook")
            client.delete_block_document(found.id)
        return None
    url = settings.alert_webhook_url.get_secret_value()
    block = Webhook(url=url, method="POST", headers={"Content-Type": "application/json"})
    return block.save(WEBHOOK_BLOCK, overwrite=True)


def _email_deployment():
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            return client.read_deployment_by_name(EMAIL_DEPLOYMENT).id
        except ObjectNotFound:
            raise StackError(
                f"RETAINAI_ALERT_EMAILS is set but the deployment {EMAIL_DEPLOYMENT} is "
                "missing: is it in prefect.yaml?"
            ) from None
