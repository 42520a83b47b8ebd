"""Campaign email over SMTP: messages carrying their unsubscribe link, one connection per batch.

`SmtpMailer.send` tells the outbox what happened to a message by what it raises:
nothing (the server took it), `AddressRefusedError` (a bounce: the address is bad),
`PermanentMailError` (refused for good), `TransientMailError` (not delivered, try later),
`DeliveryUnknownError` (the connection broke during the hand-over: it may have arrived, so
only a person decides to send it again) or `ConfigError` (nothing sent: the relay refuses our
login, TLS or sender; stop the batch). Credentials are never logged nor put in errors.
"""

from __future__ import annotations

import functools
import html
import logging
import re
import smtplib
import ssl
from email import policy
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.utils import formatdate
from types import TracebackType

from configs.settings import Settings
from tasks.core.errors import (
    AddressRefusedError,
    ConfigError,
    DeliveryUnknownError,
    PermanentMailError,
    RetainAIError,
    TransientMailError,
)

log = logging.getLogger(__name__)


class _HeaderClasses(HeaderRegistry):
    """The standard header registry, each header's class made once: the registry builds a
    new class on every lookup, which was a third of the time spent building an email."""

    @functools.cache  # noqa: B019 (one registry lives as long as the module)
    def __getitem__(self, name: str) -> type:
        return super().__getitem__(name)


# RFC 5322 allows 998 characters a line: a long List-Unsubscribe URL stays one readable token
POLICY = policy.SMTP.clone(max_line_length=998, header_factory=_HeaderClasses())
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\]+$")
UNSUBSCRIBE_TEXT = "To stop receiving these emails, unsubscribe here: {url}"


def _cte(text: str) -> str:
    return "7bit" if text.isascii() else "quoted-printable"


def _html(text: str, url: str) -> str:
    paragraphs = [p.strip() for p in text.strip().split("\n\n") if p.strip()]
    body = "\n".join("<p>" + html.escape(p).replace("\n", "<br>\n") + "</p>" for p in paragraphs)
    link = f'<p><a href="{html.escape(url, quote=True)}">Unsubscribe</a></p>'
    return f"<!DOCTYPE html>\n<html><body>\n{body}\n<hr>\n{link}\n</body></html>\n"


def build_email(
    *,
    subject: str,
    text: str,
    sender: str,
    to: str,
    unsubscribe_url: str,
    message_id: str,
    page: str | None = None,
) -> EmailMessage:
    """A plain-text email with an escaped HTML alternative, one-click unsubscribe headers
    (RFC 8058) and the given Message-ID. A malformed `to` is an AddressRefusedError. Given
    its HTML `page`, `text` is the whole plain part (its footer and unsubscribe line too)."""
    to = to.strip()
    if not _ADDRESS.match(to):
        raise AddressRefusedError("the recipient address is malformed")
    if not text.strip():
        raise ValueError("the email has no text")
    msg = EmailMessage(policy=POLICY)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject  # a line break here raises ValueError: no header injection
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = message_id
    msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if page is None:
        plain = f"{text.strip()}\n\n-- \n{UNSUBSCRIBE_TEXT.format(url=unsubscribe_url)}\n"
        page = _html(text, unsubscribe_url)
    else:
        plain = text
    msg.set_content(plain, cte=_cte(plain))
    msg.add_alternative(page, subtype="html", cte=_cte(page))
    return msg


def _reply(reply: bytes | str) -> str:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())[:300]


def _refusal(code: int, reply: bytes | str, stage: str) -> RetainAIError:
    """A server's refusal as the outbox reads it: 5xx for good, anything else for now.

    A 5xx to our own sender or to the connection is about the setup, not the message.
    """
    message = f"the SMTP server refused the {stage} with {code} {_reply(reply)}".rstrip()
    if not 500 <= code < 600 or stage == "connection":
        return TransientMailError(message, code)
    if stage == "sender":
        return ConfigError(f"{message} (RETAINAI_MAIL_FROM)")
    return (AddressRefusedError if stage == "recipient" else PermanentMailError)(message, code)


class SmtpMailer:
    """One SMTP connection for a batch: `with SmtpMailer(settings) as mailer: mailer.send(m)`.

    A connection lost between messages is opened again by the next `send`.
    """

    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host:
            raise ConfigError("RETAINAI_SMTP_HOST is not set: email delivery is not configured")
        self._settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._active = False
        self.where = f"{settings.smtp_host}:{settings.resolved_smtp_port}"

    def __repr__(self) -> str:
        return f"SmtpMailer({self.where}, security={self._settings.smtp_security})"

    def __enter__(self) -> SmtpMailer:
        self._smtp = self._connect()
        self._active = True
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Say goodbye and close; `send` refuses to run afterwards."""
        self._active = False
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _drop(self) -> None:
        """Close a broken connection without waiting on it; the next `send` opens another."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def _tls(self) -> ssl.SSLContext:
        cafile = self._settings.smtp_ca_file
        return ssl.create_default_context(cafile=str(cafile) if cafile else None)

    def _connect(self) -> smtplib.SMTP:
        s = self._settings
        host, port, timeout = s.smtp_host or "", s.resolved_smtp_port, s.smtp_timeout_seconds
        try:
            if s.smtp_security == "ssl":
                smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=self._tls())
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
        except ssl.SSLCertVerificationError as exc:
            raise ConfigError(f"the SMTP server {self.where} failed TLS checks: {exc}") from None
        except smtplib.SMTPResponseException as exc:  # e.g. 421 or 554 as a greeting
            raise _refusal(exc.smtp_code, exc.smtp_error, "connection") from None
        except OSError as exc:
            raise TransientMailError(f"cannot reach the SMTP server {self.where}: {exc}") from None
        try:
            self._greet(smtp)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _greet(self, smtp: smtplib.SMTP) -> None:
        s = self._settings
        try:
            smtp.ehlo()
            if s.smtp_security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise ConfigError(
                        f"the SMTP server {self.where} does not offer STARTTLS; "
                        "set RETAINAI_SMTP_SECURITY=ssl or none deliberately"
                    )
                smtp.starttls(context=self._tls())
                smtp.ehlo()
            if s.smtp_user:
                password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                smtp.login(s.smtp_user, password)
        except smtplib.SMTPAuthenticationError as exc:
            raise ConfigError(
                f"the SMTP server {self.where} refused the login of RETAINAI_SMTP_USER "
                f"({exc.smtp_code})"
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise ConfigError(f"the SMTP server {self.where} failed TLS checks: {exc}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise ConfigError(f"the SMTP server {self.where}: {exc}") from None
        except smtplib.SMTPResponseException as exc:
            raise _refusal(exc.smtp_code, exc.smtp_error, "connection") from None
        except OSError as exc:
            raise TransientMailError(f"the SMTP server {self.where} failed: {exc}") from None

    def _abort(self, error: RetainAIError) -> RetainAIError:
        """Reset the transaction after a refusal; a connection that cannot is dropped."""
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()
        return error

    def send(self, msg: EmailMessage) -> None:
        """Hand one message to the server; see the module's doc for what each error means."""
        if not self._active:
            raise RuntimeError("send inside `with SmtpMailer(settings) as mailer:`")
        if self._smtp is None:
            self._smtp = self._connect()
        smtp = self._smtp
        sender = msg["From"].addresses[0].addr_spec
        recipients = [address.addr_spec for address in msg["To"].addresses]
        utf8 = not all(address.isascii() for address in (sender, *recipients))
        if utf8 and not smtp.has_extn("smtputf8"):
            raise AddressRefusedError(f"{self.where} takes no non-ASCII address (no SMTPUTF8)")
        options = ["SMTPUTF8", "BODY=8BITMIME"] if utf8 else []
        data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n", utf8=utf8))
        try:
            code, reply = smtp.mail(sender, options)
            if code != 250:
                raise self._abort(_refusal(code, reply, "sender"))
            for recipient in recipients:
                code, reply = smtp.rcpt(recipient)
                if code not in (250, 251):
                    raise self._abort(_refusal(code, reply, "recipient"))
        except RetainAIError:
            raise
        except OSError as exc:  # smtplib's errors are OSErrors: nothing was handed over
            self._drop()
            raise TransientMailError(f"the SMTP server {self.where} failed: {exc}") from None
        try:
            code, reply = smtp.data(data)  # raises on a refused DATA, returns the final reply
        except smtplib.SMTPDataError as exc:
            code, reply = exc.smtp_code, exc.smtp_error
        except OSError as exc:  # DATA may have arrived whole: only its reply was lost
            self._drop()
            raise DeliveryUnknownError(
                f"the connection to {self.where} broke while sending {msg['Message-ID']}: {exc}"
            ) from None
        if code != 250:
            raise self._abort(_refusal(code, reply, "message"))
        log.info("sent %s through %s", msg["Message-ID"], self.where)
