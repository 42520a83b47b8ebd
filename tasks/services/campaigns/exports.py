"""A campaign's files for a person to download: the SMS export (phone, text, message id) as
the send wrote it for the gateway, its audience (customer, arm) whose outcomes its report
needs, and that audience with each customer's messages in business words."""

from __future__ import annotations

from dataclasses import dataclass

from configs.schema import RunConfig
from tasks.adapters import campaign_store as store
from tasks.adapters.sms_export import read_export
from tasks.core.csv_cells import safe_frame
from tasks.core.errors import NotFoundError
from tasks.i18n import N_
from tasks.services.campaigns.views import stored_campaign
from tasks.services.context import Context


@dataclass(frozen=True)
class SmsExport:  # also the audience export: a file name, its CSV and its row count
    filename: str
    content: bytes  # CSV, UTF-8
    rows: int  # SMS in it


def sms_export(ctx: Context, config: RunConfig, campaign_id: int) -> SmsExport:
    """The campaign's SMS export; NotFoundError until a send wrote one."""
    stored_campaign(ctx.engine, config, campaign_id)
    content = read_export(ctx.settings, campaign_id)
    if content is None:
        raise NotFoundError(
            N_(
                "campaign %(id)s has no SMS export yet: its approved SMS are exported "
                "when it is sent"
            ),
            id=campaign_id,
        )
    rows = max(0, content.count(b"\r\n") - 1)
    return SmsExport(f"campaign-{campaign_id}-sms.csv", content, rows)


# audience and message columns -> their headings, in business words
AUDIENCE_COLUMNS = {
    "rank": "Rank",
    "customer_id": "Customer",
    "arm": "Group",
    "risk_segment": "Risk",
    "churn_probability": "Churn probability",
    "lifetime_value": "Lifetime value",
    "expected_profit": "Expected profit",
    "channel": "Channel",
    "status": "Message status",
    "subject": "Subject",
    "body": "Message",
    "path": "Written by",
    "sent_at": "Sent at",
}
_GROUPS = {"treated": "contacted", "holdout": "held out (not contacted)"}


def messages_export(ctx: Context, config: RunConfig, campaign_id: int) -> SmsExport:
    """The campaign's audience in rank order, one row per customer and message (a held-out
    customer, or one not yet written to, on a row of their own), as CSV safe to open in a
    spreadsheet (tasks/core/csv_cells.py)."""
    stored_campaign(ctx.engine, config, campaign_id)
    members = store.audience(ctx.engine, campaign_id)
    messages = store.messages(ctx.engine, campaign_id)
    wanted = [c for c in AUDIENCE_COLUMNS if c in messages.columns and c != "customer_id"]
    rows = members.merge(messages[["customer_id", *wanted]], on="customer_id", how="left")
    rows = rows.sort_values(["rank", "channel"], na_position="first", kind="stable")
    rows["arm"] = rows["arm"].map(_GROUPS).fillna(rows["arm"])
    frame = rows[[c for c in AUDIENCE_COLUMNS if c in rows.columns]]
    frame = safe_frame(frame.rename(columns=AUDIENCE_COLUMNS))
    content = frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8")
    return SmsExport(f"campaign-{campaign_id}-messages.csv", content, len(frame))


@dataclass(frozen=True)
class AudienceExport:
    filename: str
    content: bytes  # CSV, UTF-8: customer_id, arm (treated or holdout), in rank order
    rows: int  # customers in it


def audience_export(ctx: Context, config: RunConfig, campaign_id: int) -> AudienceExport:
    """The campaign's audience, both arms: the customers whose outcome events (retained,
    churned, accepted...) its report measures, the holdout as much as the treated; its
    columns are the outcome file's own (customer_id), so a file of outcomes starts from it."""
    stored_campaign(ctx.engine, config, campaign_id)
    members = store.audience(ctx.engine, campaign_id)[["customer_id", "arm"]]
    content = safe_frame(members).to_csv(index=False, lineterminator="\r\n").encode()
    return AudienceExport(f"campaign-{campaign_id}-audience.csv", content, len(members))
