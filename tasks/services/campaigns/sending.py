"""Sending a campaign's approved messages, at most once each, through each channel's
`Deliverer` (tasks/adapters/deliverers.py).

Sending is an outbox: a message moves approved -> sending (committed) before it is handed
over and sending -> its outcome after; a message found in `sending` when a send starts was
being handed over when the process died, so it may have arrived: it becomes `unknown` and
only `retry_unknown` (a person's decision) sends it again. Suppressed customers
(unsubscribed, bounced) are never contacted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from configs.schema import RunConfig
from configs.vocabulary import CHANNELS
from tasks.adapters import campaign_store as store
from tasks.adapters.deliverers import deliverer_for
from tasks.adapters.delivery import Deliverer, Outgoing
from tasks.core.campaign_email import Letter
from tasks.core.errors import ConflictError, RetainAIError
from tasks.i18n import N_
from tasks.services.campaigns.commands import SendCampaign
from tasks.services.campaigns.views import SENDABLE, refresh_report, stored_campaign
from tasks.services.context import Context


def _keys(frame: pd.DataFrame) -> list[tuple[str, str]]:
    return list(zip(frame["customer_id"], frame["channel"], strict=True))


def send_campaign(
    ctx: Context,
    config: RunConfig,
    command: SendCampaign,
    stop: Callable[[], bool] = lambda: False,
) -> dict[str, int]:
    """Send the approved messages once each; returns counts per outcome, `unknown` included.
    Refused (ConflictError) until a person approved the campaign. Between two batches it
    stops when a person stopped the campaign (status `stopped`) or `stop()` says so; the
    rest stays approved for a later send."""
    engine, campaign_id, dataset = ctx.engine, command.campaign_id, config.dataset.name
    campaign = stored_campaign(engine, config, campaign_id)
    if campaign["status"] not in SENDABLE:
        raise ConflictError(N_("campaign %(id)s is not approved: approve it first"), id=campaign_id)
    stuck = _keys(store.messages(engine, campaign_id, "sending"))
    counts = Counter(unknown=store.move_messages(engine, campaign_id, stuck, "sending", "unknown"))
    if command.retry_unknown:
        unknown = _keys(store.messages(engine, campaign_id, "unknown"))
        store.move_messages(engine, campaign_id, unknown, "unknown", "approved")
    approved = store.messages(engine, campaign_id, "approved")
    people = store.contacts_of(engine, dataset).set_index("customer_id")
    blocked = store.suppressed(engine, dataset)
    blocked_keys = {(r.customer_id, r.channel) for r in blocked.itertuples()}
    letters = _letters(config, campaign["offer"])
    store.update_campaign(engine, campaign_id, status="sending")
    for channel in CHANNELS:
        rows = approved[approved["channel"] == channel]
        if rows.empty:
            continue
        with deliverer_for(channel, ctx.settings, campaign_id, command.outbox) as deliverer:
            size = deliverer.batch_size or len(rows)
            for start in range(0, len(rows), size):
                if stop() or _stopped(engine, campaign_id):
                    counts["stopped"] = 1
                    break
                part = rows.iloc[start : start + size]
                counts += _send_batch(
                    ctx, dataset, deliverer, campaign_id, part, (people, letters), blocked_keys
                )
        if counts["stopped"]:
            break
    if not counts["stopped"]:  # stopped by a person: `stopped`; else still due (`sending`)
        store.move_campaign(engine, campaign_id, ("sending",), "sent")
    refresh_report(ctx, config, campaign_id)  # messages sent and contacted: stored anew
    return {"unknown": counts["unknown"], **+counts}


def _stopped(engine, campaign_id: int) -> bool:
    found = store.get_campaign(engine, campaign_id)
    return found is None or found["status"] == "stopped"


def _letters(config: RunConfig, offer: str):
    """The letter of a message in each language: the offer's name as customers read it in
    that language, the sender's footer; the greeting's first name is the contact's."""
    settings, spec = config.campaigns, config.campaigns.offers.get(offer)

    def letter(language: str | None, first_name: Any) -> Letter:
        language = language or settings.default_language
        return Letter(
            language=language,
            unsubscribe_url="",  # signed by the deliverer
            first_name=first_name if isinstance(first_name, str) else None,
            offer_name=spec.name_in(offer, language) if spec is not None else None,
            sender_name=settings.sender_name,
            postal_address=settings.postal_address,
        )

    return letter, spec.call_to_action_url if spec is not None else None


def _outgoing(campaign_id: int, row: Any, people: pd.DataFrame, letters=None) -> Outgoing:
    contact = people.loc[row.customer_id].to_dict() if row.customer_id in people.index else {}
    contact = {k: v for k, v in contact.items() if v == v}  # NaN: not on file
    letter, link = letters or (None, None)
    language = getattr(row, "language", None)
    return Outgoing(
        campaign_id,
        row.customer_id,
        row.channel,
        row.subject,
        row.body,
        row.call_to_action,
        contact,
        letter(language if isinstance(language, str) else None, contact.get("first_name"))
        if letter is not None
        else None,
        link,
    )


def _send_batch(ctx, dataset, deliverer: Deliverer, campaign_id, part, recipients, blocked_keys):
    """One batch through the outbox: claimed as `sending` (committed) before any is handed
    over, then their outcomes stored together. After a crash in between they are still
    `sending`: unknown. Messages not handed over when an error stops the batch go back to
    `approved`. `recipients`: the contacts by customer id and the campaign's letters."""
    (people, letters), engine, counts = recipients, ctx.engine, Counter()
    stopped = [k for k in _keys(part) if {k, (k[0], "all")} & blocked_keys]
    counts["suppressed"] = store.move_messages(
        engine, campaign_id, stopped, "approved", "failed", error="suppressed"
    )
    wanted = [key for key in _keys(part) if key not in set(stopped)]
    claimed = set(store.claim_messages(engine, campaign_id, wanted, "approved", "sending"))
    counts["skipped"] = len(wanted) - len(claimed)  # another sender took them
    outgoing = [
        _outgoing(campaign_id, row, people, letters)
        for row in part.itertuples()
        if (row.customer_id, row.channel) in claimed
    ]
    outcomes: list[dict[str, Any]] = []
    handed = 0
    try:
        for delivery in deliverer.deliver(outgoing):
            message = outgoing[handed]
            handed += 1
            if delivery.bounced:
                store.suppress(engine, dataset, message.customer_id, message.channel, "bounced")
            sent_at = datetime.now(UTC) if delivery.status == "sent" else None
            outcomes.append(
                {
                    "customer_id": message.customer_id,
                    "channel": message.channel,
                    "status": delivery.status,
                    "error": delivery.error,
                    "sent_at": sent_at,
                }
            )
            counts[delivery.outcome] += 1
    except RetainAIError:
        raise  # the message in flight was not handed over: back to approved below
    except BaseException:
        handed += 1  # the message in flight may have arrived: it stays `sending`
        raise
    finally:
        store.settle_messages(engine, campaign_id, outcomes)
        untouched = [(m.customer_id, m.channel) for m in outgoing[handed:]]
        store.move_messages(engine, campaign_id, untouched, "sending", "approved")
    return counts
