"""The pipeline commands: train, score, monitor, generate data, the demo."""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli_common import DEFAULT_CONFIG, settings


def train(
    config: Path = typer.Option(DEFAULT_CONFIG, help="Run config (YAML)."),
    data: str = typer.Option(
        None,
        help="CSV/Parquet path, s3://, database URL or http(s) URL "
        "(default RETAINAI_TRAINING_SOURCE; a URL with a password must be given there).",
    ),
    table: str = typer.Option(None, help="Table to read when --data is a database URL."),
    query: str = typer.Option(None, help="SELECT to run when --data is a database URL."),
) -> None:
    """Train, evaluate, register and gate a churn model."""
    from flows.train import train_churn_model

    _refuse_secrets(data=data)
    summary = train_churn_model(str(config), data, table, query)
    _print_training(summary)


def _refuse_secrets(**options: str | None) -> None:
    """Before any run starts: no option may pass a password or token as a run parameter."""
    from tasks.services.data import check_parameter

    for name, value in options.items():
        check_parameter(value, "--" + name.replace("_", "-"))


def _print_training(summary: dict) -> None:
    holdout = summary["holdout"]
    if not summary.get("registered", True):  # the inputs of an existing version
        typer.echo(f"model v{summary['version']} ({summary['family']}): {summary['reason']}")
        return
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


def score(
    config: Path = typer.Option(DEFAULT_CONFIG, help="Run config (YAML)."),
    data: str = typer.Option(
        None,
        help="Customers: file, s3://, database URL or http(s) URL "
        "(default RETAINAI_SCORING_SOURCE; a URL with a password must be given there).",
    ),
    table: str = typer.Option(None, help="Table to read when --data is a database URL."),
    query: str = typer.Option(None, help="SELECT to run when --data is a database URL."),
    as_of: str = typer.Option(None, "--as-of", help="Scoring date YYYY-MM-DD (default today)."),
    task_runner: str = typer.Option(
        "auto",
        help="auto: the Dask scheduler at RETAINAI_DASK_ADDRESS if set, else local threads; "
        "local: threads; dask: RETAINAI_DASK_ADDRESS, else a local two-process cluster.",
    ),
) -> None:
    """Score every customer with the champion into the application database."""
    from flows.score import score_customers_flow
    from flows.task_runners import runner_for

    if task_runner not in ("auto", "local", "dask"):
        raise typer.BadParameter("--task-runner must be auto, local or dask")
    runner = runner_for(task_runner, settings())
    flow_fn = (
        score_customers_flow.with_options(task_runner=runner) if runner else score_customers_flow
    )
    _refuse_secrets(data=data)
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


def monitor(
    config: Path = typer.Option(DEFAULT_CONFIG, help="Run config (YAML)."),
    data: str = typer.Option(
        None, help="Current customer batch to compare (default RETAINAI_SCORING_SOURCE)."
    ),
    table: str = typer.Option(None, help="Table to read when --data is a database URL."),
    query: str = typer.Option(None, help="SELECT to run when --data is a database URL."),
    as_of: str = typer.Option(None, "--as-of", help="Monitoring date YYYY-MM-DD (default today)."),
    outcomes: str = typer.Option(None, help="Delayed outcomes: id and target columns."),
    outcomes_table: str = typer.Option(None, help="Table when --outcomes is a database URL."),
    retrain_data: str = typer.Option(None, help="Labelled data for the `retrain` action."),
) -> None:
    """Drift report against the champion's reference; realised performance from outcomes."""
    from flows.monitor import monitor_churn_model

    _refuse_secrets(data=data, outcomes=outcomes, retrain_data=retrain_data)
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
    _print_campaign(summary["campaign"])
    admin = summary["admin"]
    if admin["email"]:
        typer.echo(
            f"dashboard admin: {admin['email']}, password {admin['password']} "
            "(shown once; change it on your profile page)"
        )
    typer.echo(summary["where"])


def _print_campaign(campaign: dict) -> None:
    report, lift = campaign["report"], campaign["report"].get("lift")
    line = (
        f"campaign {campaign['id']}: {report['audience']:,} customers "
        f"({report['holdout']:,} held out), {report['messages_sent']:,} emails in "
        f"{campaign['outbox']}"
    )
    if lift:
        line += (
            f"\n  retention lift {lift['lift']:+.3f}, 95% interval [{lift['low']:+.3f}, "
            f"{lift['high']:+.3f}] (Newcombe), p={lift['p_value']:.3g}; "
            f"simulated true lift {campaign['true_lift']:+.3f}"
        )
    typer.echo(line)
