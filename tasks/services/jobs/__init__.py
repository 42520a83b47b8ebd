"""Background work: one launcher for every door (a Prefect deployment run, or a durable job
of the application database) and the worker that takes the jobs (`retainai jobs work`)."""

from tasks.services.jobs.launcher import (
    SEND_CAMPAIGN,
    WRITE_MESSAGES,
    Launch,
    Launched,
    campaign_subject,
    latest_job,
    launch,
    stop,
)

__all__ = [
    "SEND_CAMPAIGN",
    "WRITE_MESSAGES",
    "Launch",
    "Launched",
    "campaign_subject",
    "latest_job",
    "launch",
    "stop",
]
