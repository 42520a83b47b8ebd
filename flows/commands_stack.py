"""`retainai stack up|down|status` and `retainai deploy`: the local production path."""

from __future__ import annotations

import os
import sys

import typer

from flows.cli_common import LAUNCH_ENV, settings

stack_app = typer.Typer(no_args_is_help=True, help="Local Prefect, MLflow, worker and API.")


@stack_app.command("up")
def stack_up() -> None:
    """Create the missing databases and buckets, start the Prefect server, the MLflow server,
    a process worker and the API, then check what the deployments will read."""
    from tasks.services.operations import stack as local_stack

    config = settings()
    started = local_stack.up(config)
    for store in started.created:
        typer.echo(f"created {store}")
    for state in started.services:
        took = f" in {state.seconds:.1f} s" if state.seconds is not None else " (was running)"
        typer.echo(f"{state.name:<8} healthy{took}  pid {state.pid}  log {state.log}")
    for run in started.crashed:
        typer.echo(f"marked Crashed: flow run {run} (its worker stopped with the stack)")
    for warning in started.warnings:
        typer.echo(f"warning: {warning}")
    for label, url in local_stack.urls(config).items():
        typer.echo(f"{label:<17} {url}")
    for label, where in local_stack.stores(config).items():
        typer.echo(f"{label:<17} {where}")
    _echo_preflight(started.preflight)
    typer.echo("for `retainai deploy` and flows in this shell:")
    for name, value in local_stack.exports(config).items():
        typer.echo(f"export {name}={value}")


def _echo_preflight(checked) -> None:
    if checked.ok:
        typer.echo(f"preflight: {len(checked.checked)} checks passed")
        return
    typer.echo("preflight: `retainai deploy` will refuse until these are fixed:")
    for problem in checked.problems:
        typer.echo(f"  {problem.line()}")


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
    """Check what the deployments will read (sources, database, buckets, LLM API, SMTP relay;
    exit 3 listing every problem), then register prefect.yaml's deployments on
    PREFECT_API_URL (pool, limits, crash detector, alert automations)."""
    from tasks.services.operations import stack as local_stack

    config = settings()
    done = local_stack.deploy(config)
    typer.echo(f"preflight: {len(done.checked)} checks passed")
    if done.pool_created:
        typer.echo(f"created the process work pool {config.work_pool}")
    for name in done.deployments:
        typer.echo(f"deployed {name}")
    typer.echo(f"crash detector automation {done.automation}")
    if done.alerts:
        typer.echo(f"alert automations: {', '.join(done.alerts)}")
    else:
        typer.echo(
            "no alert automations: set RETAINAI_ALERT_WEBHOOK_URL and/or RETAINAI_ALERT_EMAILS"
        )


def worker(
    healthcheck: bool = typer.Option(
        False,
        "--with-healthcheck",
        help="Also answer GET /health on PREFECT_WORKER_WEBSERVER_HOST:PORT (0.0.0.0:8080): "
        "503 once the worker stops polling its pool.",
    ),
) -> None:
    """Run a Prefect process worker for RETAINAI_WORK_POOL, once the settings are valid; its
    runs' INFO lines go to the Prefect UI."""
    from tasks.services.operations import stack as local_stack

    pool = settings().work_pool
    argv = [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, "--type", "process"]
    if healthcheck:
        argv.append("--with-healthcheck")
    # the environment the command was started with, not the command line's quiet defaults
    os.execve(sys.executable, argv, local_stack.worker_env(LAUNCH_ENV))
