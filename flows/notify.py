"""The alert email flow: the `send-alert-email` deployment that the alert automations run."""

from __future__ import annotations

from prefect import flow

from configs.settings import Settings
from tasks.alerts import mail_alert


@flow(name="send-alert")
def send_alert(kind: str, subject: str, text: str) -> int:
    """Email one alert (masked) to RETAINAI_ALERT_EMAILS through the SMTP relay of the
    settings; how many were sent."""
    settings = Settings()
    return mail_alert(settings, subject, f"{text}\n\n(alert kind: {kind})")
