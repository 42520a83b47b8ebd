"""The port every channel's delivery implements (email through SMTP, SMS into an export
file, ...): the send use case claims a batch of approved messages, hands it to the channel's
`Deliverer` and stores what it says happened to each message.

`deliver` yields one `Delivery` per message, in the order given, as each is handed over. A
`RetainAIError` escaping it means the message in flight was NOT handed over (it goes back to
`approved`); any other exception leaves it `sending`, so the next send marks it `unknown`
(it may have arrived) and only a person decides to send it again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tasks.core.campaign_email import Letter


@dataclass(frozen=True)
class Outgoing:
    """One approved message and the contact row of its customer."""

    campaign_id: int
    customer_id: str
    channel: str
    subject: str | None
    body: str
    call_to_action: str | None
    contact: Mapping[str, Any] = field(default_factory=dict)  # first_name, email, phone, ...
    letter: Letter | None = None  # what an email puts around the text (greeting, footer, ...)
    offer_link: str | None = None  # the offer's link template (signed by the deliverer)


@dataclass(frozen=True)
class Delivery:
    """What happened to one message: its new status, the outcome counted, and whether its
    address proved bad (the customer is then never contacted on the channel again)."""

    status: str  # sent | failed | approved (try later) | unknown (may have arrived)
    outcome: str  # the count it adds to: sent, bounced, failed, deferred, unknown, ...
    error: str | None = None
    bounced: bool = False


class Deliverer(Protocol):
    batch_size: int | None  # messages claimed and handed over together; None: all at once

    def __enter__(self) -> Deliverer: ...

    def __exit__(self, *exc: object) -> None: ...

    def deliver(self, messages: Sequence[Outgoing]) -> Iterator[Delivery]: ...
