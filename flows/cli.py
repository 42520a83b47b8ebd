"""The `retainai` command line. Errors print one clear line (a traceback with --debug)."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="RetainAI churn platform")
models_app = typer.Typer(no_args_is_help=True, help="Registered model versions and aliases")
db_app = typer.Typer(no_args_is_help=True, help="Application database schema")
expectations_app = typer.Typer(no_args_is_help=True, help="Great Expectations suites")
app.add_typer(models_app, name="models")
app.add_typer(db_app, name="db")
app.add_typer(expectations_app, name="expectations")

DEFAULT_CONFIG = Path("configs/telco.yaml")
_state = {"debug": False}


def quiet_runtime_defaults(state_dir: Path) -> None:
    """Local, quiet, offline defaults for Prefect and MLflow; the environment wins."""
    defaults = {
        "PREFECT_HOME": str((state_dir / "prefect").resolve()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_LOGGING_EXTRA_LOGGERS": "retainai",
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


def _settings():
    from configs.settings import Settings

    return Settings()


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
    quiet_runtime_defaults(_settings().state_dir)
    _echo_progress()


@app.command()
def train(
    config: Path = typer.Option(DEFAULT_CONFIG, help="Run config (YAML)."),
    data: str = typer.Option(..., help="CSV/Parquet path, s3://, database URL or http(s) URL."),
    table: str = typer.Option(None, help="Table to read when --data is a database URL."),
    query: str = typer.Option(None, help="SELECT to run when --data is a database URL."),
) -> None:
    """Train, evaluate, register and gate a churn model."""
    from flows.train import train_churn_model

    summary = train_churn_model(str(config), data, table, query)
    _print_training(summary)


def _print_training(summary: dict) -> None:
    holdout = summary["holdout"]
    typer.echo(
        f"model v{summary['version']} ({summary['family']}) "
        f"{'promoted to champion' if summary['promoted'] else 'kept as challenger'}\n"
        f"  holdout ({holdout['rows']} rows, threshold {holdout['threshold']:.3f}): "
        f"ROC-AUC {holdout['roc_auc']:.4f}  PR-AUC {holdout['pr_auc']:.4f}  "
        f"Brier {holdout['brier']:.4f}  lift@10% {holdout['lift_at_10']:.2f}  "
        f"F1(churn) {holdout['f1_churn']:.4f}\n"
        f"  CV ROC-AUC (training part) {summary['cv_roc_auc_mean']:.4f}\n"
        f"  reports: {summary['report_dir']}"
    )


@app.command("generate-data")
def generate_data(
    rows: int = typer.Option(..., min=1, help="Number of customers."),
    seed: int = typer.Option(0, help="Random seed."),
    out: Path = typer.Option(..., help="Output .csv or .parquet path."),
    drift: bool = typer.Option(False, "--drift", help="Shifted population for drift demos."),
) -> None:
    """Write synthetic customers with the Telco schema."""
    from data.generate import generate_customers, write_customers

    frame = generate_customers(rows, seed, drift=drift)
    write_customers(frame, out)
    typer.echo(f"wrote {len(frame):,} customers to {out}")


@models_app.command("list")
def models_list() -> None:
    """Every registered version with its aliases and holdout figures."""
    from tasks.models import list_versions

    rows = list_versions(_settings())
    if not rows:
        typer.echo("no registered versions yet: run `retainai train`")
        return
    typer.echo(f"{'version':>7}  {'aliases':<20} {'family':<20} {'roc_auc':>8} {'brier':>7}")
    for row in rows:
        roc = f"{row['roc_auc']:.4f}" if row["roc_auc"] is not None else "-"
        brier = f"{row['brier']:.4f}" if row["brier"] is not None else "-"
        typer.echo(
            f"{row['version']:>7}  {row['aliases']:<20} {row['family']:<20} {roc:>8} {brier:>7}"
        )


@models_app.command("promote")
def models_promote(
    version: str = typer.Argument(..., help="Version to make champion."),
    reason: str = typer.Option("manual promotion", help="Recorded in the promotion log."),
) -> None:
    """Make VERSION the champion (recorded in the promotion log)."""
    from tasks.models import promote_version

    previous = promote_version(_settings(), version, reason)
    typer.echo(f"champion: v{version} (was {'v' + previous if previous else 'none'})")


@models_app.command("rollback")
def models_rollback(
    reason: str = typer.Option("rollback requested", help="Recorded in the promotion log."),
) -> None:
    """Move champion back to the version that held it before."""
    from tasks.models import rollback

    current, target = rollback(_settings(), reason)
    typer.echo(f"champion: v{target} (rolled back from v{current})")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply the database migrations."""
    from tasks.adapters import db

    settings = _settings()
    engine = db.make_engine(settings.resolved_database_url)
    try:
        db.upgrade(engine, revision)
        typer.echo(f"database at revision {db.current_revision(engine)}")
    finally:
        engine.dispose()


@expectations_app.command("write")
def expectations_write(
    config: Path = typer.Option(DEFAULT_CONFIG, help="Run config (YAML)."),
) -> None:
    """(Re)write the training and scoring suites from the config."""
    from configs.schema import load_config
    from tasks.adapters.expectations import write_suites
    from tasks.validate import EXPECTATIONS

    for path in write_suites(load_config(config), EXPECTATIONS):
        typer.echo(f"wrote {path}")


@app.command()
def demo(
    data: str = typer.Option(None, help="Use this customer file instead of generated data."),
    config: Path = typer.Option(DEFAULT_CONFIG, help="Run config (YAML)."),
    rows: int = typer.Option(5000, min=100, help="Generated customers when --data is not set."),
) -> None:
    """Run the whole pipeline on embedded defaults and say where to look."""
    from flows.demo import run_demo

    summary = run_demo(config, data, rows)
    _print_training(summary["training"])
    typer.echo(summary["where"])


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
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        typer.echo(f"error: {message}", err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
