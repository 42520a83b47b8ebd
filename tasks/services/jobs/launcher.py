"""The one launcher of background work, for every door (pages, API, CLI, the worker's own
schedule): with a Prefect server (PREFECT_API_URL), a run of the kind's deployment; without
one, a durable job in the application database, which the worker `retainai serve` starts
(`retainai jobs work`) takes. Never run inside the web process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tasks.adapters import jobs as queue
from tasks.core.errors import ConflictError, UnavailableError
from tasks.i18n import N_
from tasks.services.context import Context

WRITE_MESSAGES = "write-messages"
SEND_CAMPAIGN = "send-campaign"
KINDS = (WRITE_MESSAGES, SEND_CAMPAIGN)
# the Prefect deployment of each kind (prefect.yaml), given the job's payload as parameters
DEPLOYMENTS = {
    WRITE_MESSAGES: "write-campaign-messages/write-campaign-messages",
    SEND_CAMPAIGN: "send-retention-campaign/send-campaign-now",
}


BUSY_WRITING = N_("%(subject)s is busy writing its messages: wait for it")
BUSY_SENDING = N_("%(subject)s is busy sending it: wait for it")


@dataclass(frozen=True)
class Launch:
    """Background work: `kind` on `subject`, with the parameters `payload`."""

    kind: str
    subject: str
    payload: dict[str, Any]
    by: str


@dataclass(frozen=True)
class Launched:
    """Where the work went: a job of the table (`job`) or a Prefect flow run (`flow_run`);
    `new` False when the subject's active job was already this work."""

    door: str  # "jobs" | "prefect"
    job: int | None = None
    flow_run: str | None = None
    new: bool = True


def campaign_subject(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"


def launch(ctx: Context, work: Launch) -> Launched:
    """Start `work` through Prefect when a server is configured, else queue it. A subject
    busy with other work is refused (ConflictError: one job per subject at a time)."""
    if work.kind not in KINDS:
        raise ValueError(f"unknown kind of work {work.kind!r}")  # a programming error
    if ctx.prefect.configured:
        name = DEPLOYMENTS[work.kind]
        run = ctx.prefect.start_deployment_run(name, work.payload, exclusive=False)
        if run is None:
            raise UnavailableError(
                N_("the Prefect server has no deployment %(name)s: run `retainai deploy`"),
                name=name,
            )
        return Launched("prefect", flow_run=run)
    job, new = queue.enqueue(ctx.engine, work.kind, work.subject, work.payload, work.by)
    if not new and job["kind"] != work.kind:
        busy = BUSY_WRITING if job["kind"] == WRITE_MESSAGES else BUSY_SENDING
        raise ConflictError(busy, subject=work.subject.replace(":", " "))
    return Launched("jobs", job=int(job["id"]), new=new)


def stop(ctx: Context, subject: str, kind: str) -> str | None:
    """Cancel the subject's queued job of `kind`, or ask its running one to stop."""
    return queue.stop(ctx.engine, subject, kind)


def latest_job(ctx: Context, subject: str) -> dict[str, Any] | None:
    """The subject's newest job (any kind, any state), for progress pages."""
    return queue.latest(ctx.engine, subject)
