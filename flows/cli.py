"""The `retainai` command line. Errors print one clear line (a traceback with --debug)."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path

import typer

from flows.init_config import init_config

app = typer.Typer(no_args_is_help=True, add_completion=False, help="RetainAI churn platform")
models_app = typer.Typer(no_args_is_help=True, help="Registered model versions and aliases")
db_app = typer.Typer(no_args_is_help=True, help="Application database schema")
expectations_app = typer.Typer(no_args_is_help=True, help="Great Expectations suites")
app.add_typer(models_app, name="models")
app.add_typer(db_app, name="db")
app.add_typer(expectations_app, name="expectations")

DEFAULT_CONFIG = Path("configs/telco.yaml")
_state = {"debug": False}


def quiet_runtime_defaults(state_dir: Path, console_level: str = "WARNING") -> None:
    """Local, quiet, offline defaults for Prefect and MLflow; the environment wins.

    `console_level` is what Prefect prints to the terminal; the Prefect UI still gets every
    warning and error with its traceback."""
    defaults = {
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": console_level,
        "PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL": console_level,
        "PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL": console_level,
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
    quiet_runtime_defaults(_settings().state_dir, "WARNING" if debug else "CRITICAL")
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


def _task_runner(name: str):
    if name == "local":
        return None
    if name != "dask":
        raise typer.BadParameter("--task-runner must be local or dask")
    from prefect_dask import DaskTaskRunner

    address = _settings().dask_address
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": 2,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
        }
    )


@app.command()
def score(
    config: Path = typer.Option(DEFAULT_CONFIG, help="Run config (YAML)."),
    data: str = typer.Option(..., help="Customers: file, s3://, database URL or http(s) URL."),
    table: str = typer.Option(None, help="Table to read when --data is a database URL."),
    query: str = typer.Option(None, help="SELECT to run when --data is a database URL."),
    as_of: str = typer.Option(None, "--as-of", help="Scoring date YYYY-MM-DD (default today)."),
    task_runner: str = typer.Option("local", help="local, or dask (RETAINAI_DASK_ADDRESS)."),
) -> None:
    """Score every customer with the champion into the application database."""
    from flows.score import score_customers_flow

    runner = _task_runner(task_runner)
    flow_fn = (
        score_customers_flow.with_options(task_runner=runner) if runner else score_customers_flow
    )
    summary = flow_fn(str(config), data, table, query, as_of)
    _print_scoring(summary)


def _print_scoring(summary: dict) -> None:
    kpis = summary["kpis"]
    segments = ", ".join(f"{k} {v['count']:,}" for k, v in kpis["segments"].items())
    lines = [
        f"scored {summary['rows_scored']:,} customers for {summary['as_of']} with "
        f"champion v{summary['model_version']} ({summary['rows_quarantined']:,} quarantined)",
        f"  risk segments: {segments}",
    ]
    if kpis.get("revenue_at_risk_monthly") is not None:  # only tables with a value role
        lines.append(f"  revenue at risk per month: {kpis['revenue_at_risk_monthly']:,.2f}")
    if kpis.get("average_lifetime_value") is not None:
        lines.append(f"  average lifetime value: {kpis['average_lifetime_value']:,.2f}")
    lines.append(f"  reports: {summary['report_dir']}")
    typer.echo("\n".join(lines))


@app.command()
def monitor(
    config: Path = typer.Option(DEFAULT_CONFIG, help="Run config (YAML)."),
    data: str = typer.Option(None, help="Current customer batch to compare with the reference."),
    table: str = typer.Option(None, help="Table to read when --data is a database URL."),
    query: str = typer.Option(None, help="SELECT to run when --data is a database URL."),
    as_of: str = typer.Option(None, "--as-of", help="Monitoring date YYYY-MM-DD (default today)."),
    outcomes: str = typer.Option(None, help="Delayed outcomes: id and target columns."),
    outcomes_table: str = typer.Option(None, help="Table when --outcomes is a database URL."),
    retrain_data: str = typer.Option(None, help="Labelled data for the `retrain` action."),
) -> None:
    """Drift report against the champion's reference; realised performance from outcomes."""
    from flows.monitor import monitor_churn_model

    result = monitor_churn_model(
        str(config), data, table, query, as_of, outcomes, outcomes_table, retrain_data
    )
    if "drift" in result:
        drift = result["drift"]
        typer.echo(
            f"dataset drift: {drift['dataset_drift']} ({drift['drifted_share']:.0%} of columns; "
            f"drifted: {', '.join(drift['drifted_columns']) or 'none'})"
        )
    for row in result.get("realised", []):
        typer.echo(
            f"v{row['model_version']} as_of {row['as_of']}: realised ROC-AUC {row['roc_auc']}, "
            f"precision@10% {row['precision_at_10']:.3f} on {row['rows']:,} customers"
        )
    typer.echo(f"reports: {result['report_dir']}")


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


app.command("init-config")(init_config)


@models_app.command("list")
def models_list(
    config: Path = typer.Option(DEFAULT_CONFIG, help="Run config: whose table's model."),
) -> None:
    """Every registered version with its aliases and holdout figures."""
    from configs.schema import load_config
    from tasks.models import list_versions

    rows = list_versions(_settings(), load_config(config))
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
    config: Path = typer.Option(DEFAULT_CONFIG, help="Run config: whose table's model."),
) -> None:
    """Make VERSION the champion (recorded in the promotion log)."""
    from configs.schema import load_config
    from tasks.models import promote_version

    previous = promote_version(_settings(), load_config(config), version, reason)
    typer.echo(f"champion: v{version} (was {'v' + previous if previous else 'none'})")


@models_app.command("rollback")
def models_rollback(
    reason: str = typer.Option("rollback requested", help="Recorded in the promotion log."),
    config: Path = typer.Option(DEFAULT_CONFIG, help="Run config: whose table's model."),
) -> None:
    """Move champion back to the version that held it before."""
    from configs.schema import load_config
    from tasks.models import rollback

    current, target = rollback(_settings(), load_config(config), reason)
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
    _print_scoring(summary["scoring"])
    drift, folder = summary["monitoring"]["drift"], summary["monitoring"]["report_dir"]
    typer.echo(
        f"drift check: dataset drift {drift['dataset_drift']} "
        f"({drift['drifted_share']:.0%} of columns); report in {folder}"
    )
    typer.echo(summary["where"])


tokens_app = typer.Typer(no_args_is_help=True, help="API tokens of the serving API")
app.add_typer(tokens_app, name="tokens")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes."),
    config: Path = typer.Option(DEFAULT_CONFIG, help="Run config the request schema comes from."),
) -> None:
    """Serve predictions and the retention API; the champion is loaded at start."""
    import uvicorn

    os.environ["RETAINAI_SERVING_CONFIG"] = str(config.resolve())
    uvicorn.run("serving.app:create_app", factory=True, host=host, port=port, workers=workers)


def _tokens_engine():
    from tasks.adapters import db

    settings = _settings()
    engine = db.make_engine(settings.resolved_database_url)
    db.ensure_schema(engine, embedded=settings.database_url is None)
    return engine


@tokens_app.command("create")
def tokens_create(
    role: str = typer.Option(..., help="app (predict only), viewer, analyst or admin."),
    name: str = typer.Option(..., help="Unique name, recorded on what the token does."),
) -> None:
    """Create an API token; it is printed once and only its SHA-256 digest is stored."""
    from serving import tokens

    engine = _tokens_engine()
    try:
        token = tokens.create(engine, name, role)
    finally:
        engine.dispose()
    typer.echo(f"token {name!r} ({role}); store it now, it is not shown again:", err=True)
    typer.echo(token)


@tokens_app.command("list")
def tokens_list() -> None:
    """Every token's name, role, prefix and dates (never the token itself)."""
    from serving import tokens

    engine = _tokens_engine()
    try:
        rows = tokens.list_tokens(engine)
    finally:
        engine.dispose()
    for row in rows:
        revoked = f"revoked {row['revoked_at']:%Y-%m-%d %H:%M}" if row["revoked_at"] else "active"
        typer.echo(
            f"{row['name']:<24} {row['role']:<8} rtn_{row['prefix']}_…  "
            f"created {row['created_at']:%Y-%m-%d %H:%M}  {revoked}"
        )


@tokens_app.command("revoke")
def tokens_revoke(name: str = typer.Argument(..., help="Name of the token to revoke.")) -> None:
    """Revoke a token; running servers refuse it within their token cache time (10 s)."""
    from serving import tokens

    engine = _tokens_engine()
    try:
        revoked = tokens.revoke(engine, name)
    finally:
        engine.dispose()
    if not revoked:
        raise typer.BadParameter(f"no active token named {name!r}")
    typer.echo(f"revoked {name!r}")


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
