"""Reading campaigns: one `CampaignView` per campaign, built the same way for the list and for
a campaign's own page (so they cannot disagree), its messages and its report. The report is
computed when outcomes or messages change and stored (`refresh_report`); every read takes
the stored one."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from configs.schema import RunConfig
from tasks.adapters import campaign_reports as reports
from tasks.adapters import campaign_store as store
from tasks.adapters import db
from tasks.adapters.storage import write_json_atomic
from tasks.core.campaign_report import campaign_report
from tasks.core.errors import NotFoundError
from tasks.i18n import N_
from tasks.services.context import Context


@dataclass(frozen=True)
class CampaignView:
    """A campaign as every door shows it: its stored fields, its audience and holdout, its
    messages counted by status, and, from its stored report, its retention lift and net
    revenue once outcomes are known."""

    id: int
    name: str
    status: str
    offer: str | None
    channels: list[str]
    segment_filter: dict[str, Any]
    holdout_share: float
    totals: dict[str, Any]
    scores_as_of: Any
    scheduled_at: datetime | None
    created_by: str
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    audience: int
    holdout: int
    messages: dict[str, int]  # by status: draft, approved, sent, ...
    lift: dict[str, Any] | None  # from the stored report, as every view reads it
    net_revenue: dict[str, Any] | None  # net of costs, with its interval
    accepted: int  # treated customers who accepted the offer
    currency: str  # of the table's money (dataset.currency)

    @property
    def next_steps(self) -> tuple[str, ...]:
        """What a person may do with the campaign now (the same rules as the use cases)."""
        steps = []
        if self.status == "draft":
            steps.append("generate")
        if self.status in ("draft", "approved") and self.messages.get("draft"):
            steps.append("approve")
        if self.status in SENDABLE and self.messages.get("approved", 0) + self.messages.get(
            "unknown", 0
        ):
            steps.append("send")
        if self.status in ("draft", "approved"):  # nothing sent yet
            steps += ["exclude", "cancel"]
        if self.status == "draft" and self.messages.get("draft"):
            steps.append("edit")
        if "sms" in self.channels and self.status in ("sending", "sent"):
            steps.append("export")
        if self.status != "cancelled":
            steps.append("record")
        return tuple(steps)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


SENDABLE = ("approved", "sending", "sent", "stopped")  # stopped: a person stopped its send
STORED = (
    "id",
    "name",
    "status",
    "offer",
    "segment_filter",
    "holdout_share",
    "scores_as_of",
    "scheduled_at",
    "created_by",
    "created_at",
    "approved_by",
    "approved_at",
)


def stored_campaign(engine: Engine, config: RunConfig, campaign_id: int) -> dict[str, Any]:
    """The stored row of one campaign of the table; NotFoundError when there is none."""
    found = store.get_campaign(engine, campaign_id)
    if found is None or found.get("dataset") != config.dataset.name:
        raise NotFoundError(
            N_("no campaign %(id)s of %(dataset)s"), id=campaign_id, dataset=config.dataset.name
        )
    return found


def compute_report(
    engine: Engine, config: RunConfig, row: dict[str, Any]
) -> tuple[dict[str, Any], int]:
    """The campaign's report from its audience, events and messages (the expensive part:
    three reads of its tables and a bootstrap); `refresh_report` stores it."""
    members = store.audience(engine, row["id"])
    events = store.events(engine, row["id"])
    messages = store.messages(engine, row["id"])
    offer = config.campaigns.offers[row["offer"]]
    found = campaign_report(members, events, messages, offer, seed=row["id"])
    report = {"campaign": row["id"], "name": row["name"], "offer": row["offer"], **found}
    return _finite(report), len(events)


def _finite(value: Any) -> Any:
    """The report as JSON stores it: NaN and infinities (no figure) as None."""
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def refresh_report(ctx: Context, config: RunConfig, campaign_id: int) -> dict[str, Any]:
    """Compute the campaign's report and store it: called when its outcomes or its messages
    change (recording outcomes, writing or rewriting, excluding, sending), never on a read."""
    row = stored_campaign(ctx.engine, config, campaign_id)
    report, events = compute_report(ctx.engine, config, row)
    reports.save_report(ctx.engine, campaign_id, report, events)
    return _shown(config, report)


def _shown(config: RunConfig, report: dict[str, Any]) -> dict[str, Any]:
    return {**report, "currency": config.dataset.currency}


def _stored_reports(engine: Engine, config: RunConfig, rows: list[dict[str, Any]]):
    """The stored reports of these campaigns; one stored before reports were (a campaign of
    an older version) is computed and stored once, then read like the others."""
    found = reports.reports_of(engine, [row["id"] for row in rows])
    for row in rows:
        if row["id"] not in found and row.get("offer") in config.campaigns.offers:
            report, events = compute_report(engine, config, row)
            reports.save_report(engine, row["id"], report, events)
            found[row["id"]] = report
    return {key: _shown(config, value) for key, value in found.items()}


def _view(
    row: dict[str, Any], counts: dict[str, int], report: dict[str, Any] | None, currency: str
) -> CampaignView:
    totals = dict(row.get("totals") or {})
    report = report or {}
    return CampaignView(
        **{k: row.get(k) for k in STORED},
        channels=list(row.get("channels") or []),
        totals=totals,
        audience=int(totals.get("audience", 0)),
        holdout=int(totals.get("holdout", 0)),
        messages=dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))),
        lift=report.get("lift"),
        net_revenue=report.get("revenue"),
        accepted=int(report.get("accepted") or 0),
        currency=currency,
    )


def _views(engine: Engine, config: RunConfig, rows: list[dict[str, Any]]) -> list[CampaignView]:
    """The views of these campaigns: two queries for all of them (counts, stored reports)."""
    counts = reports.message_counts(engine, [row["id"] for row in rows])
    found = _stored_reports(engine, config, rows)
    currency = config.dataset.currency
    return [_view(row, counts[row["id"]], found.get(row["id"]), currency) for row in rows]


def get_campaign(ctx: Context, config: RunConfig, campaign_id: int) -> CampaignView:
    """One campaign of the table; NotFoundError when there is none."""
    return _views(ctx.engine, config, [stored_campaign(ctx.engine, config, campaign_id)])[0]


def list_campaigns(ctx: Context, config: RunConfig) -> list[CampaignView]:
    """The table's campaigns, newest first, each as `get_campaign` shows it."""
    db.ensure_schema(ctx.engine, embedded=ctx.settings.database_url is None)
    rows = store.list_campaigns(ctx.engine, config.dataset.name)
    return _views(ctx.engine, config, rows)


def campaign_messages(
    ctx: Context, config: RunConfig, campaign_id: int, status: str | None = None
) -> pd.DataFrame:
    """The campaign's messages (one per customer and channel), by customer."""
    stored_campaign(ctx.engine, config, campaign_id)
    return store.messages(ctx.engine, campaign_id, status)


def read_report(ctx: Context, config: RunConfig, campaign_id: int) -> dict[str, Any]:
    """The campaign's stored report (counts, accepted offers, lift with its interval, revenue
    saved and net of costs with theirs, generation cost) in the table's currency."""
    row = stored_campaign(ctx.engine, config, campaign_id)
    return _stored_reports(ctx.engine, config, [row]).get(campaign_id) or {}


def write_report(
    ctx: Context, config: RunConfig, campaign_id: int, recompute: bool = False
) -> dict[str, Any]:
    """`read_report` (with `recompute`, computed and stored again first), also written as
    JSON under the reports folder (the CLI and the flow)."""
    if recompute:
        refresh_report(ctx, config, campaign_id)
    report = read_report(ctx, config, campaign_id)
    folder = ctx.settings.reports_dir / "campaigns" / str(campaign_id)
    write_json_atomic(folder / "report.json", report)
    return report
