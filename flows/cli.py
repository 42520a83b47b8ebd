"""The `retainai` command line. Errors print one clear line (a traceback with --debug) and
end with the exit code of their kind (flows/cli_common.EXIT_CODES)."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path

import typer

from flows.cli_common import EPILOG, cli_language, context, error_lines, exit_code_of, settings
from flows.commands_admin import db_app, expectations_app, models_app, serve, tokens_app
from flows.commands_campaign import campaign_app, contacts_app, uplift_app
from flows.commands_jobs import jobs_app
from flows.commands_pipeline import demo, generate_data, monitor, score, train
from flows.commands_stack import deploy, stack_app, worker
from flows.commands_users import users_app
from flows.init_config import init_config

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="RetainAI churn platform", epilog=EPILOG
)
for command in (train, score, monitor, demo, serve, deploy, worker):
    app.command()(command)
app.command("generate-data")(generate_data)
app.command("init-config")(init_config)
for group, name in (
    (models_app, "models"),
    (db_app, "db"),
    (expectations_app, "expectations"),
    (tokens_app, "tokens"),
    (campaign_app, "campaign"),
    (contacts_app, "contacts"),
    (uplift_app, "uplift"),
    (users_app, "users"),
    (stack_app, "stack"),
    (jobs_app, "jobs"),
):
    app.add_typer(group, name=name)
_state = {"debug": False}


def quiet_runtime_defaults(state_dir: Path, console_level: str = "WARNING") -> None:
    """Local, quiet, offline defaults for Prefect and MLflow; the environment wins.

    `console_level` is what Prefect prints to the terminal. A flow run sends its lines to the
    Prefect API itself, and only from inside the run (tasks/adapters/run_logs.py): the project's
    loggers get no Prefect handler here, so a line logged outside a run warns of nothing."""
    defaults = {
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": console_level,
        "PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL": console_level,
        "PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL": console_level,
        "PREFECT_HOME": str((state_dir / "prefect").resolve()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
        "DO_NOT_TRACK": "true",
        "TQDM_DISABLE": "1",
        "DASK_LOGGING__DISTRIBUTED": "warning",
        "GIT_PYTHON_REFRESH": "quiet",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)


def _echo_progress() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s  %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("retainai")
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


@app.callback()
def main_options(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
) -> None:
    _state["debug"] = debug
    settings.cache_clear()  # built once per invocation, from the environment of that call
    context.cache_clear()
    quiet_runtime_defaults(settings().state_dir, "WARNING" if debug else "CRITICAL")
    _echo_progress()


def main() -> None:
    try:
        app(standalone_mode=False)
    except SystemExit as exc:
        raise SystemExit(exc.code) from None
    except Exception as exc:
        import click

        if isinstance(exc, click.exceptions.Abort):
            raise SystemExit(130) from None
        if isinstance(exc, click.ClickException):
            exc.show()
            raise SystemExit(exc.exit_code) from None
        if _state["debug"]:
            traceback.print_exc()
        for line in error_lines(exc, cli_language()):
            typer.echo(line, err=True)
        for line in getattr(exc, "details", ()):  # a ProblemsError: one problem a line
            typer.echo(f"  {line}", err=True)
        raise SystemExit(exit_code_of(exc)) from None


if __name__ == "__main__":
    main()
