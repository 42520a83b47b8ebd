"""`retainai jobs work`: the worker of the durable background jobs (writing a campaign's
messages, sending it, the sends whose time has come, checking and scoring an uploaded file,
training started from the app) when no Prefect server runs them.
`retainai serve` starts one and keeps it running; more may run anywhere with the same
application database (each job is taken by one)."""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli_common import DEFAULT_CONFIG, context

jobs_app = typer.Typer(no_args_is_help=True, help="Background jobs without a Prefect server")


@jobs_app.command("work")
def work(
    config: Path = typer.Option(DEFAULT_CONFIG, help="Run config (YAML)."),
    parent: int = typer.Option(0, help="Stop when this process (the server) is gone."),
    once: bool = typer.Option(False, "--once", help="Run the jobs waiting now, then stop."),
) -> None:
    """Take the jobs of the application database one at a time until stopped (SIGTERM)."""
    from tasks.services.jobs.process import work as run

    run(context(), config, parent, once)
