"""Account and alert email (a password reset link, an alert to the people on call): a
plain-text message to one person, sent at once through the SMTP relay of the settings. Unlike
campaign email it carries no unsubscribe link: it answers the person's own request."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from configs.settings import Settings
from tasks.adapters.mail import POLICY, SmtpMailer
from tasks.core.errors import ConfigError
from tasks.core.outreach import domain_of


def account_email(settings: Settings, *, to: str, subject: str, text: str) -> EmailMessage:
    if not settings.mail_from:
        raise ConfigError("account email needs RETAINAI_MAIL_FROM (and an SMTP relay)")
    msg = EmailMessage(policy=POLICY)
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=domain_of(settings.mail_from))
    msg.set_content(text, cte="7bit" if text.isascii() else "quoted-printable")
    return msg


def send_one(settings: Settings, msg: EmailMessage) -> None:
    """Send one message on its own connection (errors as SmtpMailer.send raises them)."""
    if not settings.smtp_host:
        raise ConfigError("no SMTP relay is configured (RETAINAI_SMTP_HOST)")
    with SmtpMailer(settings) as mailer:
        mailer.send(msg)
