"""Email delivery: each message built with its unsubscribe link and handed to the SMTP server
(or, for demos and relays that pick files up, written into an outbox folder)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from email.message import EmailMessage
from pathlib import Path

from configs.settings import Settings
from tasks.adapters.campaign_mail import campaign_email
from tasks.adapters.delivery import Delivery, Outgoing
from tasks.adapters.mail import SmtpMailer
from tasks.adapters.storage import write_text_atomic
from tasks.core.errors import (
    AddressRefusedError,
    DeliveryUnknownError,
    PermanentMailError,
    TransientMailError,
)


class FolderMailer:
    """Delivers into a local outbox folder (one .eml file per message): for demos and for a
    relay that picks files up. Same interface as SmtpMailer."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> FolderMailer:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, msg: EmailMessage) -> None:
        name = msg["Message-ID"].strip("<>").replace("@", "_at_") + ".eml"
        write_text_atomic(self.folder / name, msg.as_string())


class EmailDeliverer:
    """One SMTP connection (or outbox folder) for the whole send, in batches of
    `settings.send_batch_size` messages."""

    def __init__(self, settings: Settings, campaign_id: int, outbox: Path | None = None):
        self.settings, self.campaign_id = settings, campaign_id
        self.batch_size = settings.send_batch_size
        self.mailer = FolderMailer(outbox) if outbox is not None else SmtpMailer(settings)

    def __enter__(self) -> EmailDeliverer:
        self.mailer.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.mailer.__exit__(*exc)

    def deliver(self, messages: Sequence[Outgoing]) -> Iterator[Delivery]:
        for message in messages:
            yield self._hand_over(message)

    def _email(self, message: Outgoing) -> EmailMessage:
        """PermanentMailError when the email cannot be built (no address on file, a line
        break in its subject, no text), so that it fails alone with its reason."""
        address = message.contact.get("email")
        if not isinstance(address, str) or not address:
            raise PermanentMailError("no email address on file for this customer")
        try:
            return campaign_email(
                self.settings,
                campaign_id=self.campaign_id,
                customer_id=message.customer_id,
                to=address,
                subject=message.subject or "",
                text=message.body,
                call_to_action=message.call_to_action,
                letter=message.letter,
                offer_link=message.offer_link,
            )
        except ValueError as exc:  # what the email library or build_email refuses
            raise PermanentMailError(f"the email cannot be built: {exc}") from None

    def _hand_over(self, message: Outgoing) -> Delivery:
        try:
            self.mailer.send(self._email(message))
        except AddressRefusedError as exc:
            return Delivery("failed", "bounced", str(exc)[:500], bounced=True)
        except PermanentMailError as exc:
            return Delivery("failed", "failed", str(exc)[:500])
        except TransientMailError as exc:
            return Delivery("approved", "deferred", str(exc)[:500])
        except DeliveryUnknownError as exc:
            return Delivery("unknown", "unknown", str(exc)[:500])
        return Delivery("sent", "sent")
