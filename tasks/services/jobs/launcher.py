"""The one launcher of background work, for every door (pages, API, CLI, the worker's own
schedule): with a Prefect server (PREFECT_API_URL), a run of the kind's deployment; without
one, a durable job in the application database, which the worker `retainai serve` starts
(`retainai jobs work`) takes. Never run inside the web process.

A job's subject is what it works on: a campaign (`campaign:12`), an upload (`upload:<id>`)
or a table (`table:telco`, for scoring an upload and training: one run of a table at a
time). One job per subject is active at a time; launching the same work again while it
waits or runs gives that job back, launching other work on a busy subject is refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tasks.adapters import jobs as queue
from tasks.adapters.prefect_door import TRAINING_DEPLOYMENT
from tasks.core.errors import ConflictError, UnavailableError
from tasks.i18n import N_
from tasks.services.context import Context

WRITE_MESSAGES = "write-messages"
SEND_CAMPAIGN = "send-campaign"
CHECK_UPLOAD = "check-upload"
SCORE_UPLOAD = "score-upload"
TRAIN_MODEL = "train-model"


@dataclass(frozen=True)
class Kind:
    """A kind of background work: its Prefect deployment (given the job's payload as
    parameters), what a subject busy with it says, and whether a Prefect run of it is
    refused while another of its deployment goes (else the deployment's limit queues it)."""

    deployment: str
    busy: str
    exclusive: bool = False


KINDS = {
    WRITE_MESSAGES: Kind(
        "write-campaign-messages/write-campaign-messages",
        N_("%(subject)s is busy writing its messages: wait for it"),
    ),
    SEND_CAMPAIGN: Kind(
        "send-retention-campaign/send-campaign-now",
        N_("%(subject)s is busy sending it: wait for it"),
    ),
    CHECK_UPLOAD: Kind("check-upload/check-upload", N_("%(subject)s is being checked")),
    SCORE_UPLOAD: Kind(
        "score-customers/score-upload",
        N_("%(subject)s is busy scoring an upload: start another run when it has finished"),
    ),
    TRAIN_MODEL: Kind(
        TRAINING_DEPLOYMENT,
        N_("%(subject)s is busy training a model: start another run when it has finished"),
        exclusive=True,
    ),
}
# kinds whose same work launched again is one job (a double click); for the others a second
# launch with other parameters (another date to score) waits for the first to end
SAME_KIND_IS_SAME_WORK = (WRITE_MESSAGES, SEND_CAMPAIGN, CHECK_UPLOAD)


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


def upload_subject(upload_id: str) -> str:
    return f"upload:{upload_id}"


def table_subject(table: str) -> str:
    return f"table:{table}"


def launch(ctx: Context, work: Launch) -> Launched:
    """Start `work` through Prefect when a server is configured, else queue it. A subject
    busy with other work is refused (ConflictError: one job per subject at a time)."""
    kind = KINDS.get(work.kind)
    if kind is None:
        raise ValueError(f"unknown kind of work {work.kind!r}")  # a programming error
    if ctx.prefect.configured:
        run = ctx.prefect.start_deployment_run(kind.deployment, work.payload, kind.exclusive)
        if run is None:
            raise UnavailableError(
                N_("the Prefect server has no deployment %(name)s: run `retainai deploy`"),
                name=kind.deployment,
            )
        return Launched("prefect", flow_run=run)
    job, new = queue.enqueue(ctx.engine, work.kind, work.subject, work.payload, work.by)
    same = job["kind"] == work.kind and (
        work.kind in SAME_KIND_IS_SAME_WORK or job["payload"] == work.payload
    )
    if not new and not same:
        busy = KINDS[job["kind"]].busy if job["kind"] in KINDS else KINDS[work.kind].busy
        raise ConflictError(busy, subject=work.subject.replace(":", " "))
    return Launched("jobs", job=int(job["id"]), new=new)


def stop(ctx: Context, subject: str, kind: str) -> str | None:
    """Cancel the subject's queued job of `kind`, or ask its running one to stop."""
    return queue.stop(ctx.engine, subject, kind)


def latest_job(ctx: Context, subject: str, kind: str | None = None) -> dict[str, Any] | None:
    """The subject's newest job (of `kind`; any state), for progress pages."""
    return queue.latest(ctx.engine, subject, kind)
