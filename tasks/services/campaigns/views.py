"""Reading campaigns: one `CampaignView` per campaign, built the same way for the list and for
a campaign's own page (so they cannot disagree), its messages and its report."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from configs.schema import RunConfig
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
    messages counted by status, and its retention lift once outcomes are known."""

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
    lift: dict[str, Any] | None

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
        steps.append("record")
        return tuple(steps)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


SENDABLE = ("approved", "sending", "sent")
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


def _report(engine: Engine, config: RunConfig, row: dict[str, Any]) -> dict[str, Any]:
    members = store.audience(engine, row["id"])
    events = store.events(engine, row["id"])
    messages = store.messages(engine, row["id"])
    offer = config.campaigns.offers[row["offer"]]
    found = campaign_report(members, events, messages, offer, seed=row["id"])
    return {"campaign": row["id"], "name": row["name"], "offer": row["offer"], **found}


def _view(engine: Engine, config: RunConfig, row: dict[str, Any]) -> CampaignView:
    totals = dict(row.get("totals") or {})
    messages = store.messages(engine, row["id"])
    counts = {str(k): int(v) for k, v in messages["status"].value_counts().items()}
    has_events = len(store.events(engine, row["id"])) > 0
    lift = _report(engine, config, row).get("lift") if has_events else None
    return CampaignView(
        **{k: row.get(k) for k in STORED},
        channels=list(row.get("channels") or []),
        totals=totals,
        audience=int(totals.get("audience", 0)),
        holdout=int(totals.get("holdout", 0)),
        messages=counts,
        lift=lift,
    )


def get_campaign(ctx: Context, config: RunConfig, campaign_id: int) -> CampaignView:
    """One campaign of the table; NotFoundError when there is none."""
    return _view(ctx.engine, config, stored_campaign(ctx.engine, config, campaign_id))


def list_campaigns(ctx: Context, config: RunConfig) -> list[CampaignView]:
    """The table's campaigns, newest first, each as `get_campaign` shows it."""
    db.ensure_schema(ctx.engine, embedded=ctx.settings.database_url is None)
    rows = store.list_campaigns(ctx.engine, config.dataset.name)
    return [_view(ctx.engine, config, row) for row in rows]


def campaign_messages(
    ctx: Context, config: RunConfig, campaign_id: int, status: str | None = None
) -> pd.DataFrame:
    """The campaign's messages (one per customer and channel), by customer."""
    stored_campaign(ctx.engine, config, campaign_id)
    return store.messages(ctx.engine, campaign_id, status)


def read_report(ctx: Context, config: RunConfig, campaign_id: int) -> dict[str, Any]:
    """The campaign's report (counts, lift with its interval, revenue net of costs)."""
    return _report(ctx.engine, config, stored_campaign(ctx.engine, config, campaign_id))


def write_report(ctx: Context, config: RunConfig, campaign_id: int) -> dict[str, Any]:
    """`read_report`, also written as JSON under the reports folder (the CLI and the flow)."""
    report = read_report(ctx, config, campaign_id)
    folder = ctx.settings.reports_dir / "campaigns" / str(campaign_id)
    write_json_atomic(folder / "report.json", report)
    return report
