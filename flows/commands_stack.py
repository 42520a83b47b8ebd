"""`retainai stack up|down|status` and `retainai deploy`: the local production path."""

from __future__ import annotations

import os
import sys

import typer

from flows.cli_common import LAUNCH_ENV, settings

stack_app = typer.Typer(no_args_is_help=True, help="Local Prefect, MLflow, worker and API.")


@stack_app.command("up")
def stack_up() -> None:
    """Start the Prefect server, the MLflow server, a process worker and the API."""
    from tasks.services.operations import stack as local_stack

    config = settings()
    for state in local_stack.up(config):
        took = f" in {state.seconds:.1f} s" if state.seconds is not None else " (was running)"
        typer.echo(f"{state.name:<8} healthy{took}  pid {state.pid}  log {state.log}")
    for label, url in local_stack.urls(config).items():
        typer.echo(f"{label:<17} {url}")
    for label, where in local_stack.stores(config).items():
        typer.echo(f"{label:<17} {where}")
    typer.echo("for `retainai deploy` and flows in this shell:")
    for name, value in local_stack.exports(config).items():
        typer.echo(f"export {name}={value}")


@stack_app.command("down")
def stack_down() -> None:
    """Stop the recorded services (only their own process groups)."""
    from tasks.services.operations import stack as local_stack

    stopped = local_stack.down(settings())
    if not stopped:
        typer.echo("nothing recorded: the stack is not running")
    for name, count in stopped.items():
        typer.echo(f"{name:<8} stopped ({count} processes)" if count else f"{name:<8} was gone")


@stack_app.command("status")
def stack_status() -> None:
    """Each service: healthy, starting, dead or stopped; exit 1 unless all are healthy."""
    from tasks.services.operations import stack as local_stack

    states = local_stack.status(settings())
    for state in states:
        pid = f"pid {state.pid}" if state.pid else "-"
        typer.echo(f"{state.name:<8} {state.state:<8} {pid:<10} log {state.log}")
    if any(state.state != "healthy" for state in states):
        raise SystemExit(1)


def deploy() -> None:
    """Register prefect.yaml's deployments on PREFECT_API_URL (pool, limits, crash detector,
    alert automations)."""
    from tasks.services.operations import stack as local_stack

    config = settings()
    created, names, automation, alerts = local_stack.deploy(config)
    if created:
        typer.echo(f"created the process work pool {config.work_pool}")
    for name in names:
        typer.echo(f"deployed {name}")
    typer.echo(f"crash detector automation {automation}")
    if alerts:
        typer.echo(f"alert automations: {', '.join(alerts)}")
    else:
        typer.echo(
            "no alert automations: set RETAINAI_ALERT_WEBHOOK_URL and/or RETAINAI_ALERT_EMAILS"
        )


def worker() -> None:
    """Run a Prefect process worker for RETAINAI_WORK_POOL, once the settings are valid."""
    pool = settings().work_pool
    argv = [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, "--type", "process"]
    os.execve(sys.executable, argv, LAUNCH_ENV)  # the environment the command was started with
