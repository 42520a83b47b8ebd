"""Approving and sending a campaign's messages, at most once each.

Sending is an outbox: a message moves approved -> sending (committed) before it is handed to
the mail server and sending -> sent after; a message found in `sending` when a send starts
was being handed over when the process died, so it may have arrived: it becomes `unknown`
and only `--retry-unknown` (a person's decision) sends it again. SMS go to an export file for
a gateway. Suppressed customers (unsubscribed, bounced) are never contacted.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from configs.schema import RunConfig
from configs.settings import Settings
from tasks import campaign_actions as actions
from tasks.adapters import campaign_store as store
from tasks.adapters import db
from tasks.adapters.mail import SmtpMailer, campaign_email
from tasks.adapters.sms_export import SmsRow, write_sms_export
from tasks.adapters.storage import write_text_atomic
from tasks.core.errors import (
    AddressRefusedError,
    ConfigError,
    DeliveryUnknownError,
    PermanentMailError,
    TransientMailError,
)
from tasks.core.outreach import due_campaigns, message_id
from tasks.progress import markdown_artifact, step


@task(name="approve-campaign", cache_policy=NO_CACHE)
def approve_campaign(
    settings: Settings, config: RunConfig, campaign_id: int, approved_by: str
) -> int:
    """Approve every draft message of the campaign; returns how many were approved."""
    return actions.approve(settings, config, campaign_id, approved_by)


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


@task(name="send-campaign", cache_policy=NO_CACHE)
def send_campaign(
    settings: Settings,
    config: RunConfig,
    campaign_id: int,
    retry_unknown: bool = False,
    outbox: Path | None = None,
) -> dict[str, Any]:
    """Send the approved messages once: email through SMTP (or into `outbox`), SMS to an
    export file; returns counts per outcome, `unknown` included."""
    with db.connected(settings) as engine:
        campaign = store.get_campaign(engine, campaign_id)
        if campaign is None or campaign["status"] not in ("approved", "sending", "sent"):
            raise ConfigError(f"campaign {campaign_id} is not approved: approve it first")
        stuck = _keys(store.messages(engine, campaign_id, "sending"))
        counts = {"unknown": store.move_messages(engine, campaign_id, stuck, "sending", "unknown")}
        if retry_unknown:
            unknown = _keys(store.messages(engine, campaign_id, "unknown"))
            store.move_messages(engine, campaign_id, unknown, "unknown", "approved")
        approved = store.messages(engine, campaign_id, "approved")
        people = store.contacts_of(engine, config.dataset.name).set_index("customer_id")
        blocked = store.suppressed(engine, config.dataset.name)
        store.update_campaign(engine, campaign_id, status="sending")
        blocked_keys = {(r.customer_id, r.channel) for r in blocked.itertuples()}
        mailer = FolderMailer(outbox) if outbox is not None else SmtpMailer(settings)
        emails, size = approved[approved["channel"] == "email"], settings.send_batch_size
        with mailer:
            for start in range(0, len(emails), size):
                part = emails.iloc[start : start + size]
                sent = _send_batch(
                    engine, settings, mailer, campaign_id, part, people, config, blocked_keys
                )
                for outcome, number in sent.items():
                    counts[outcome] = counts.get(outcome, 0) + number
        counts["sms"] = _export_sms(engine, settings, campaign_id, approved, people, blocked_keys)
        store.update_campaign(engine, campaign_id, status="sent")
    step(f"campaign {campaign_id}: {counts}")
    return counts


def _keys(frame) -> list[tuple[str, str]]:
    return list(zip(frame["customer_id"], frame["channel"], strict=True))


def _send_batch(engine, settings, mailer, campaign_id, part, people, config, blocked_keys):
    """Emails through the outbox: claimed as `sending` (committed) before any is handed over,
    then their outcomes stored together. After a crash in between they are still `sending`:
    unknown. Messages not handed over when an error stops the batch go back to `approved`."""
    counts: Counter[str] = Counter()
    stopped = [k for k in _keys(part) if {(k[0], "email"), (k[0], "all")} & blocked_keys]
    counts["suppressed"] = store.move_messages(
        engine, campaign_id, stopped, "approved", "failed", error="suppressed"
    )
    wanted = [key for key in _keys(part) if key not in set(stopped)]
    claimed = set(store.claim_messages(engine, campaign_id, wanted, "approved", "sending"))
    counts["skipped"] = len(wanted) - len(claimed)  # another sender took them
    outcomes: list[dict[str, Any]] = []
    handed: set[tuple[str, str]] = set()
    try:
        for row in part.itertuples():
            key = (row.customer_id, row.channel)
            if key not in claimed:
                continue
            handed.add(key)
            status, error, outcome = _hand_over(
                engine, settings, mailer, campaign_id, row, people, config
            )
            sent_at = datetime.now(UTC) if status == "sent" else None
            outcomes.append(
                {
                    "customer_id": key[0],
                    "channel": key[1],
                    "status": status,
                    "error": error,
                    "sent_at": sent_at,
                }
            )
            counts[outcome] += 1
    except ConfigError:
        handed.discard(key)  # the relay refused us before taking this message: nothing sent
        raise
    finally:
        store.settle_messages(engine, campaign_id, outcomes)
        untouched = [key for key in claimed if key not in handed]
        store.move_messages(engine, campaign_id, untouched, "sending", "approved")
    return +counts


def _email_of(settings, campaign_id, row, people) -> EmailMessage:
    """The email of one stored message; PermanentMailError when it cannot be built (no address
    on file, a line break in its subject, no text), so that it fails alone with its reason."""
    address = people["email"].get(row.customer_id)
    if not isinstance(address, str):
        raise PermanentMailError("no email address on file for this customer")
    try:
        return campaign_email(
            settings,
            campaign_id=campaign_id,
            customer_id=row.customer_id,
            to=address,
            subject=row.subject or "",
            text=f"{row.body}\n\n{row.call_to_action or ''}",
        )
    except ValueError as exc:  # what the email library or build_email refuses
        raise PermanentMailError(f"the email cannot be built: {exc}") from None


def _hand_over(engine, settings, mailer, campaign_id, row, people, config):
    """Hand one email to the mail server: (new status, error, outcome to count)."""
    try:
        mailer.send(_email_of(settings, campaign_id, row, people))
    except AddressRefusedError as exc:
        store.suppress(engine, config.dataset.name, row.customer_id, "email", "bounced")
        return "failed", str(exc)[:500], "bounced"
    except PermanentMailError as exc:
        return "failed", str(exc)[:500], "failed"
    except TransientMailError as exc:
        return "approved", str(exc)[:500], "deferred"
    except DeliveryUnknownError as exc:
        return "unknown", str(exc)[:500], "unknown"
    return "sent", None, "sent"


def _export_sms(engine, settings, campaign_id, approved, people, blocked_keys) -> int:
    """Approved SMS of reachable customers into the gateway file, then marked sent."""
    rows, keys = [], []
    for row in approved[approved["channel"] == "sms"].itertuples():
        if {(row.customer_id, "sms"), (row.customer_id, "all")} & blocked_keys:
            continue
        mid = message_id(campaign_id, row.customer_id, "sms", "sms.retainai")
        rows.append(SmsRow(people.loc[row.customer_id, "phone"], row.body, mid))
        keys.append((row.customer_id, "sms"))
    if not rows:
        return 0
    path = settings.reports_dir / "campaigns" / str(campaign_id) / "sms.csv"
    write_sms_export(rows, path, settings.sms_opt_out_text)
    return store.move_messages(
        engine, campaign_id, keys, "approved", "sent", sent_at=datetime.now(UTC)
    )


@task(name="due-campaigns", cache_policy=NO_CACHE)
def find_due_campaigns(settings: Settings, config: RunConfig) -> list[int]:
    """The campaigns to send now: approved (or cut short while sending), their time come."""
    with db.connected(settings) as engine:
        found = store.list_campaigns(engine, config.dataset.name)
    return due_campaigns(found, datetime.now(UTC))


@task(name="record-campaign-events", retries=1, cache_policy=NO_CACHE)
def record_events(
    settings: Settings, config: RunConfig, campaign_id: int, raw: pd.DataFrame
) -> int:
    """Outcome events of a campaign's customers (idempotent per event key); how many were new."""
    return actions.record_outcomes(settings, config, campaign_id, raw)


@task(name="campaign-report", cache_policy=NO_CACHE)
def report_campaign(settings: Settings, config: RunConfig, campaign_id: int) -> dict[str, Any]:
    """The campaign's report (see `campaign_actions.report_of`), also a Prefect artifact."""
    report = actions.report_of(settings, config, campaign_id)
    lift = report.get("lift")
    markdown_artifact(
        key=f"campaign-{campaign_id}-report",
        markdown=(
            f"**Campaign {campaign_id}** ({report['name']}): "
            + (
                f"lift {lift['lift']:+.3f} [{lift['low']:+.3f}, {lift['high']:+.3f}] "
                f"({lift['method']}, p={lift['p_value']:.3g})"
                if lift
                else report.get("note", "")
            )
        ),
    )
    return report
