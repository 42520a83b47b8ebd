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
from tasks.i18n import DEFAULT_LANGUAGE, N_, gettext
from tasks.i18n.words import word_in, written_by_in
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


# audience and message columns -> their headings, in business words (translated)
AUDIENCE_COLUMNS = {
    "rank": N_("Rank"),
    "customer_id": N_("Customer"),
    "arm": N_("Group"),
    "risk_segment": N_("Risk"),
    "churn_probability": N_("Churn probability"),
    "lifetime_value": N_("Lifetime value"),
    "expected_profit": N_("Expected profit"),
    "channel": N_("Channel"),
    "status": N_("Message status"),
    "subject": N_("Subject"),
    "body": N_("Message"),
    "path": N_("Written by"),
    "sent_at": N_("Sent at"),
}
_GROUPS = {"treated": N_("contacted"), "holdout": N_("held out (not contacted)")}
_WORDS = ("risk_segment", "channel", "status")  # stored words, shown in the reader's language


def messages_export(
    ctx: Context, config: RunConfig, campaign_id: int, language: str = DEFAULT_LANGUAGE
) -> SmsExport:
    """The campaign's audience in rank order, one row per customer and message (a held-out
    customer, or one not yet written to, on a row of their own), as CSV safe to open in a
    spreadsheet (tasks/core/csv_cells.py). Its headings, groups and stored words are in
    `language`; its numbers and times stay as a program reads them (a dot before decimals,
    ISO times), whatever the language: a file for people, not the one read back (that is
    `audience_export`)."""
    stored_campaign(ctx.engine, config, campaign_id)
    members = store.audience(ctx.engine, campaign_id)
    messages = store.messages(ctx.engine, campaign_id)
    wanted = [c for c in AUDIENCE_COLUMNS if c in messages.columns and c != "customer_id"]
    rows = members.merge(messages[["customer_id", *wanted]], on="customer_id", how="left")
    rows = rows.sort_values(["rank", "channel"], na_position="first", kind="stable")
    rows["arm"] = rows["arm"].map(lambda arm: gettext(language, _GROUPS.get(arm, arm)))
    for column in (c for c in _WORDS if c in rows.columns):
        rows[column] = rows[column].map(lambda value: word_in(language, value))
    if "path" in rows.columns:
        rows["path"] = rows["path"].map(
            lambda path: written_by_in(language, path) if isinstance(path, str) else path
        )
    frame = rows[[c for c in AUDIENCE_COLUMNS if c in rows.columns]]
    headings = {column: gettext(language, heading) for column, heading in AUDIENCE_COLUMNS.items()}
    frame = safe_frame(frame.rename(columns=headings))
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
