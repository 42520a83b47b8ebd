"""The worker of the durable jobs (`retainai jobs work`, started and supervised by `retainai
serve` when no Prefect server is configured): it takes one job at a time from the
application database (writing or sending a campaign's messages, checking an upload, scoring
an upload or training: these two as a child process), runs its use case, renews the job's
lease while it runs (a worker that dies leaves a job another takes once the lease runs out)
and records how it ended. It
also queues the send of every approved campaign whose send time has come, as the
`send-due-campaigns` deployment does with a Prefect server."""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from configs.schema import RunConfig
from tasks.adapters import jobs as queue
from tasks.core.errors import ConflictError, RetainAIError
from tasks.core.redaction import hide_paths, mask_url
from tasks.services import campaigns, data, models
from tasks.services.context import Context
from tasks.services.jobs.launcher import (
    CHECK_UPLOAD,
    SCORE_UPLOAD,
    SEND_CAMPAIGN,
    TRAIN_MODEL,
    WRITE_MESSAGES,
    campaign_subject,
)

log = logging.getLogger("retainai.jobs")
MAX_ATTEMPTS = 3  # a job whose worker died this many times is failed, not taken again
DUE_EVERY_SECONDS = 30.0  # how often the worker looks for campaigns due to be sent
RETRY_FAILED_AFTER = timedelta(minutes=15)  # a due campaign whose send failed: again after
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")


def safe_error(error: BaseException) -> str:
    """What a job's failure may say: URLs masked, server folders hidden, kept short."""
    text = _URL.sub(lambda found: mask_url(found.group(0)), str(error))
    text = hide_paths(text)
    if not isinstance(error, RetainAIError):
        text = f"{type(error).__name__}: {text}"
    return text[:500]


def _write(ctx: Context, config: RunConfig, job: dict[str, Any], stop) -> dict[str, Any]:
    campaign_id = int(job["payload"]["campaign_id"])
    try:
        return campaigns.generate_messages(ctx, config, campaign_id)
    except ConflictError:
        if campaigns.get_campaign(ctx, config, campaign_id).status != "draft":
            return {"skipped": "the campaign is no longer a draft"}  # its messages stand
        raise


def _send(ctx: Context, config: RunConfig, job: dict[str, Any], stop) -> dict[str, Any]:
    payload = job["payload"]
    command = campaigns.SendCampaign(int(payload["campaign_id"]), bool(payload["retry_unknown"]))
    counts = campaigns.send_campaign(ctx, config, command, stop)
    if not counts.get("stopped"):
        campaigns.write_report(ctx, config, command.campaign_id)
    return counts


def _check(ctx: Context, config: RunConfig, job: dict[str, Any], stop) -> dict[str, Any]:
    command = data.CheckUpload(str(job["payload"]["upload_id"]), str(job["payload"]["name"]))
    found = data.run_upload_check(ctx, config, command)
    return {"rows": found.rows, "quarantined": found.quarantined_rows}


def _score(ctx: Context, config: RunConfig, job: dict[str, Any], stop) -> dict[str, Any]:
    return models.run_scoring(ctx, int(job["id"]), job["payload"], stop)


def _train(ctx: Context, config: RunConfig, job: dict[str, Any], stop) -> dict[str, Any]:
    return models.run_training(ctx, int(job["id"]), job["payload"], stop)


RUNNERS: dict[str, Callable[..., dict[str, Any]]] = {
    WRITE_MESSAGES: _write,
    SEND_CAMPAIGN: _send,
    CHECK_UPLOAD: _check,
    SCORE_UPLOAD: _score,
    TRAIN_MODEL: _train,
}


@dataclass
class Worker:
    """Takes the jobs of the application database one at a time until `stopping` is set."""

    ctx: Context
    config: RunConfig
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    stopping: threading.Event = field(default_factory=threading.Event)
    _due_checked: float = field(default=0.0, init=False)

    @property
    def lease(self) -> float:
        return float(self.ctx.settings.job_lease_seconds)

    def run(self) -> None:
        """Loop until stopped: queue the due sends now and then, take the next job."""
        log.info("jobs worker %s started", self.name)
        while not self.stopping.is_set():
            if time.monotonic() - self._due_checked >= DUE_EVERY_SECONDS:
                self.queue_due_sends()
            if not self.run_once():
                self.stopping.wait(self.ctx.settings.job_poll_seconds)
        log.info("jobs worker %s stopped", self.name)

    def run_once(self) -> bool:
        """Take and run one job; False when there was none."""
        job = queue.claim(self.ctx.engine, self.name, self.lease, MAX_ATTEMPTS)
        if job is None:
            return False
        log.info(
            "job %s: %s %s (attempt %s)", job["id"], job["kind"], job["subject"], job["attempts"]
        )
        beating = threading.Event()
        beat = threading.Thread(target=self._renew, args=(job["id"], beating), daemon=True)
        beat.start()
        try:
            result = RUNNERS[job["kind"]](self.ctx, self.config, job, self._stop_asked(job["id"]))
        except Exception as error:  # every failure is recorded on the job
            beating.set()
            queue.finish(self.ctx.engine, job["id"], self.name, "failed", safe_error(error))
            log.warning("job %s failed: %s", job["id"], safe_error(error))
            return True
        finally:
            beating.set()
            beat.join()
        if result.get("stopped") and self.stopping.is_set():
            asked = queue.get(self.ctx.engine, job["id"])["stop_requested"]
            if not asked and queue.release(self.ctx.engine, job["id"], self.name):
                log.info("job %s back in the queue: this worker is stopping", job["id"])
                return True
        state = "cancelled" if result.get("stopped") else "done"
        queue.finish(self.ctx.engine, job["id"], self.name, state, progress=_plain(result))
        log.info("job %s %s", job["id"], state)
        return True

    def _stop_asked(self, job_id: int) -> Callable[[], bool]:
        def asked() -> bool:
            return self.stopping.is_set() or bool(
                queue.get(self.ctx.engine, job_id)["stop_requested"]
            )

        return asked

    def _renew(self, job_id: int, done: threading.Event) -> None:
        while not done.wait(self.lease / 3):
            try:
                if queue.renew(self.ctx.engine, job_id, self.name, self.lease) is None:
                    return  # no longer ours
            except Exception as error:  # a database hiccup: the next beat tries
                log.warning("job %s: lease not renewed: %s", job_id, safe_error(error))

    def queue_due_sends(self) -> list[int]:
        """Queue a send of every campaign due now (approved, its time come); a campaign whose
        last send failed waits RETRY_FAILED_AFTER. The ids queued."""
        self._due_checked = time.monotonic()
        queued = []
        try:
            due = campaigns.due_campaigns(self.ctx, self.config)
        except RetainAIError as error:
            log.warning("due campaigns not read: %s", safe_error(error))
            return []
        for campaign_id in due:
            subject = campaign_subject(campaign_id)
            if _failed_lately(queue.latest(self.ctx.engine, subject, SEND_CAMPAIGN)):
                continue
            payload = {"campaign_id": campaign_id, "retry_unknown": False}
            _, new = queue.enqueue(self.ctx.engine, SEND_CAMPAIGN, subject, payload, "schedule")
            if new:
                queued.append(campaign_id)
        return queued


def _failed_lately(job: dict[str, Any] | None) -> bool:
    if job is None or job["state"] != "failed" or job["finished_at"] is None:
        return False
    return datetime.now(UTC) - job["finished_at"] < RETRY_FAILED_AFTER


def _plain(result: dict[str, Any]) -> dict[str, Any]:
    return {
        str(k): v if isinstance(v, int | float | str | bool | None) else str(v)
        for k, v in result.items()
    }
