"""A campaign's background work: writing its messages as soon as it is created, sending it
now, stopping its send, and the progress its page shows while they go. The work itself goes
through the one launcher (tasks/services/jobs): a Prefect deployment run, or a durable job
the worker takes; never the web process."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from configs.schema import RunConfig
from tasks.adapters import campaign_store as store
from tasks.core.errors import ConflictError
from tasks.i18n import N_
from tasks.services import jobs
from tasks.services.campaigns.commands import SendNow
from tasks.services.campaigns.views import SENDABLE, stored_campaign
from tasks.services.context import Context

STOPPABLE = ("approved", "sending")


def start_writing(ctx: Context, config: RunConfig, campaign_id: int, by: str) -> jobs.Launched:
    """Launch the writing of a draft campaign's messages (the missing ones); ConflictError
    once it is no longer a draft, or while it is being sent."""
    campaign = stored_campaign(ctx.engine, config, campaign_id)
    if campaign["status"] != "draft":
        raise ConflictError(
            N_("campaign %(id)s is %(status)s: its messages stand"),
            id=campaign_id,
            status=campaign["status"],
        )
    work = jobs.Launch(
        jobs.WRITE_MESSAGES, jobs.campaign_subject(campaign_id), {"campaign_id": campaign_id}, by
    )
    mark_writing(ctx, campaign_id, WRITING_SINCE)  # the page polls whatever door runs it
    try:
        return jobs.launch(ctx, work)
    except Exception:
        mark_writing(ctx, campaign_id, WRITING_ENDED)  # nothing runs: nothing to wait for
        raise


# The campaign's own marks of its writing (in its totals), set when the writing is launched
# or starts and when it ends, so that its page knows the messages are still being written
# whatever runs them: a job of the worker, a Prefect flow run, `retainai campaign generate`.
WRITING_SINCE = "writing_since"
WRITING_ENDED = "writing_ended"
WRITING_GIVEN_UP = timedelta(hours=6)  # a run killed without a word: stop waiting for it


def mark_writing(ctx: Context, campaign_id: int, mark: str) -> None:
    campaign = store.get_campaign(ctx.engine, campaign_id) or {}
    totals = {**(campaign.get("totals") or {}), mark: datetime.now(UTC).isoformat()}
    store.update_campaign(ctx.engine, campaign_id, totals=totals)


def still_writing(campaign: dict[str, Any], now: datetime | None = None) -> bool:
    """Whether the draft's messages are being written: its writing began (or was launched)
    and has not ended since, not so long ago that the run must have died."""
    totals = campaign.get("totals") or {}
    since, ended = totals.get(WRITING_SINCE), totals.get(WRITING_ENDED)
    if campaign.get("status") != "draft" or not since:
        return False
    began = datetime.fromisoformat(since)
    if ended and datetime.fromisoformat(ended) >= began:
        return False
    return (now or datetime.now(UTC)) - began < WRITING_GIVEN_UP


def send_now(ctx: Context, config: RunConfig, command: SendNow) -> jobs.Launched:
    """Launch the send of an approved (or stopped) campaign now, at most once per message;
    a later send time is brought forward to now. ConflictError before approval."""
    campaign_id = command.campaign_id
    campaign = stored_campaign(ctx.engine, config, campaign_id)
    if campaign["status"] not in SENDABLE:
        raise ConflictError(N_("campaign %(id)s is not approved: approve it first"), id=campaign_id)
    waiting = store.messages(ctx.engine, campaign_id, "approved")
    if waiting.empty and not command.retry_unknown:
        raise ConflictError(
            N_("campaign %(id)s has no approved message left to send"), id=campaign_id
        )
    now = datetime.now(UTC)
    at = campaign.get("scheduled_at")
    if at is not None and (at.replace(tzinfo=UTC) if at.tzinfo is None else at) > now:
        store.update_campaign(ctx.engine, campaign_id, scheduled_at=now)
    payload = {"campaign_id": campaign_id, "retry_unknown": command.retry_unknown}
    work = jobs.Launch(jobs.SEND_CAMPAIGN, jobs.campaign_subject(campaign_id), payload, command.by)
    launched = jobs.launch(ctx, work)
    store.move_campaign(ctx.engine, campaign_id, ("stopped",), "approved")
    return launched


def stop_sending(ctx: Context, config: RunConfig, campaign_id: int) -> str:
    """Stop the campaign's send: nothing more is handed over after the batch in flight, and
    its scheduled send no longer happens; the rest stays approved for a later "send now".
    Returns the campaign's status; ConflictError when it is not waiting to be sent or sending."""
    campaign = stored_campaign(ctx.engine, config, campaign_id)
    if not store.move_campaign(ctx.engine, campaign_id, STOPPABLE, "stopped"):
        if campaign["status"] == "stopped":
            return "stopped"
        raise ConflictError(
            N_("campaign %(id)s is %(status)s: nothing to stop"),
            id=campaign_id,
            status=campaign["status"],
        )
    jobs.stop(ctx, jobs.campaign_subject(campaign_id), jobs.SEND_CAMPAIGN)
    return "stopped"


@dataclass(frozen=True)
class Progress:
    """What a campaign's background work has done so far, as its page shows it."""

    campaign: int
    status: str
    work: str | None  # "writing" | "sending" | None (nothing going on)
    job_state: str | None  # queued | running | done | failed | cancelled (worker jobs)
    error: str | None
    written: int
    planned: int | None  # messages to write in all, once the writing has counted them
    fallbacks: int  # written by the templates instead of the language model
    cost: float  # of the writing so far, in `currency`
    sent: int
    failed: int
    unknown: int
    waiting: int  # approved, not yet sent
    currency: str = "USD"  # of the table's money (dataset.currency)

    @property
    def active(self) -> bool:
        """Whether something is still going on (the page keeps refreshing)."""
        return self.work is not None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "active": self.active}


def campaign_progress(ctx: Context, config: RunConfig, campaign_id: int) -> Progress:
    campaign = stored_campaign(ctx.engine, config, campaign_id)
    messages = store.messages(ctx.engine, campaign_id)
    counts = messages["status"].value_counts()
    job = jobs.latest_job(ctx, jobs.campaign_subject(campaign_id))
    work = None
    if job is not None and job["state"] in ("queued", "running"):
        work = "writing" if job["kind"] == jobs.WRITE_MESSAGES else "sending"
    elif campaign["status"] == "sending":
        work = "sending"  # a send run of the Prefect door, or one from the command line
    elif still_writing(campaign):
        work = "writing"  # a writing run of the Prefect door, or one from the command line
    planned = (campaign.get("totals") or {}).get("planned")
    return Progress(
        campaign=campaign_id,
        status=campaign["status"],
        work=work,
        job_state=job["state"] if job is not None else None,
        error=job["error"] if job is not None else None,
        written=len(messages),
        planned=int(planned) if planned is not None else None,
        fallbacks=int(messages["path"].str.startswith("template").sum()),
        cost=round(float(messages["cost"].sum()), 6),
        sent=int(counts.get("sent", 0)),
        failed=int(counts.get("failed", 0)),
        unknown=int(counts.get("unknown", 0)),
        waiting=int(counts.get("approved", 0)),
        currency=config.dataset.currency,
    )
