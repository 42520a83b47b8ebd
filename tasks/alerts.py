"""Alert stages: an outcome someone must hear about becomes a Prefect event with its figures
(the automations `retainai deploy` creates deliver it), and the alert email deployment's
one step, which mails an alert to RETAINAI_ALERT_EMAILS."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import SecretStr

from configs.settings import Settings
from tasks.adapters.account_mail import account_email
from tasks.adapters.mail import SmtpMailer
from tasks.adapters.prefect_door import emit_alert
from tasks.core import alerts
from tasks.core.errors import ConfigError
from tasks.core.progress import step


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value of the settings: never in an alert."""
    values = (value for _, value in settings if isinstance(value, SecretStr))
    return [secret for value in values if (secret := value.get_secret_value())]


def announce(settings: Settings, alert: alerts.Alert) -> alerts.Alert:
    """Mask the alert, say it on the run's log and emit it as a Prefect event."""
    clean = alerts.masked(alert, secrets_of(settings))
    step(f"alert {clean.kind}: {clean.subject}")
    emit_alert(clean.event, clean.kind, clean.payload())
    return clean


def announce_drift(settings: Settings, dataset: str, as_of: str, version: str, summary) -> None:
    announce(
        settings,
        alerts.drift_alert(
            dataset,
            as_of,
            str(version),
            summary.drifted_share,
            summary.drift_share_threshold,
            list(summary.drifted_columns),
        ),
    )


def announce_refusal(
    settings: Settings, model: str, version: str, reason: str, figures: Mapping[str, Any]
) -> None:
    announce(settings, alerts.promotion_alert(model, str(version), reason, dict(figures)))


def announce_realised(
    settings: Settings, dataset: str, realised: Iterable[Mapping[str, Any]], floor: float
) -> None:
    for row in realised:
        if row.get("alert"):
            announce(settings, alerts.realised_alert(dataset, row, floor))


def announce_send(settings: Settings, campaign_id: int, counts: Mapping[str, int]) -> None:
    alert = alerts.campaign_alert(campaign_id, counts)
    if alert is not None:
        announce(settings, alert)


@task(name="mail-alert", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=30)
def mail_alert(settings: Settings, subject: str, text: str) -> int:
    """The alert to every RETAINAI_ALERT_EMAILS address over one SMTP connection, masked
    again (it came through Prefect's templates); how many were sent."""
    if not settings.alert_emails:
        raise ConfigError("RETAINAI_ALERT_EMAILS is empty: no one to email the alert to")
    secrets = secrets_of(settings)
    subject = alerts.mask_text(" ".join(subject.split()), secrets)[:200]
    text = alerts.mask_text(text, secrets)
    with SmtpMailer(settings) as mailer:
        for to in settings.alert_emails:
            mailer.send(account_email(settings, to=to, subject=subject, text=text))
    step(f"alert emailed to {len(settings.alert_emails)} recipients: {subject}")
    return len(settings.alert_emails)
