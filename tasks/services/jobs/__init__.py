"""Background work: one launcher for every door (a Prefect deployment run, or a durable job
of the application database) and the worker that takes the jobs (`retainai jobs work`)."""

from tasks.services.jobs.launcher import (
    CHECK_UPLOAD,
    SCORE_UPLOAD,
    SEND_CAMPAIGN,
    TRAIN_MODEL,
    WRITE_MESSAGES,
    Launch,
    Launched,
    campaign_subject,
    latest_job,
    launch,
    stop,
    table_subject,
    upload_subject,
)

__all__ = [
    "CHECK_UPLOAD",
    "SCORE_UPLOAD",
    "SEND_CAMPAIGN",
    "TRAIN_MODEL",
    "WRITE_MESSAGES",
    "Launch",
    "Launched",
    "campaign_subject",
    "latest_job",
    "launch",
    "stop",
    "table_subject",
    "upload_subject",
]
