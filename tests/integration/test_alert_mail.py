"""The alert email step through a real SMTP server on 127.0.0.1: every recipient, secrets
masked again (the text came through Prefect's templates), no recipients refused."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from configs.settings import Settings
from tasks.alerts import mail_alert
from tasks.core.errors import ConfigError
from tests.integration.smtp_server import Recorder, smtp_server

KEY = "sk-test-alert-0123456789"


def settings(port: int, **overrides) -> Settings:
    values = dict(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        smtp_timeout_seconds=5,
        mail_from="RetainAI <alerts@retain.example.com>",
        alert_emails="ops@example.com,oncall@example.org",
        llm_api_key=KEY,
    )
    return Settings(**{**values, **overrides})


def test_an_alert_reaches_every_recipient_with_its_secrets_masked():
    recorder = Recorder()
    text = f"source https://u:pw@crm.example.com/x?key=v failed; key {KEY}"
    with smtp_server(recorder) as port:
        sent = mail_alert.fn(settings(port), f"RetainAI: drift\n {KEY}", text)
    assert sent == 2
    assert [r.rcpt_tos for r in recorder.received] == [["ops@example.com"], ["oncall@example.org"]]
    mail = message_from_bytes(recorder.received[0].content, policy=policy.default)
    assert mail["Subject"] == "RetainAI: drift ***"
    assert mail["From"] == "RetainAI <alerts@retain.example.com>"
    body = mail.get_content()
    assert body.strip() == "source https://***@crm.example.com/x?key=*** failed; key ***"
    assert KEY not in recorder.received[1].content.decode()


def test_no_recipients_is_a_configuration_error():
    with pytest.raises(ConfigError, match="RETAINAI_ALERT_EMAILS is empty"):
        mail_alert.fn(settings(25, alert_emails=""), "subject", "text")
