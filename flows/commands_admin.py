"""Administration commands: model versions, database, expectation suites, API tokens, serve."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from flows.cli_common import DEFAULT_CONFIG, context, settings

models_app = typer.Typer(no_args_is_help=True, help="Registered model versions and aliases")
db_app = typer.Typer(no_args_is_help=True, help="Application database schema")
expectations_app = typer.Typer(no_args_is_help=True, help="Great Expectations suites")
tokens_app = typer.Typer(no_args_is_help=True, help="API tokens of the serving API")


@models_app.command("list")
def models_list(
    config: Path = typer.Option(DEFAULT_CONFIG, help="Run config: whose table's model."),
) -> None:
    """Every registered version with its aliases and holdout figures."""
    from configs.schema import load_config
    from tasks.services import models

    rows = models.list_versions(context(), load_config(config))
    if not rows:
        typer.echo("no registered versions yet: run `retainai train`")
        return
    typer.echo(f"{'version':>7}  {'aliases':<20} {'family':<20} {'roc_auc':>8} {'brier':>7}")
    for row in rows:
        roc = f"{row.roc_auc:.4f}" if row.roc_auc is not None else "-"
        brier = f"{row.brier:.4f}" if row.brier is not None else "-"
        typer.echo(f"{row.version:>7}  {row.aliases:<20} {row.family:<20} {roc:>8} {brier:>7}")


@models_app.command("promote")
def models_promote(
    version: str = typer.Argument(..., help="Version to make champion."),
    reason: str = typer.Option("manual promotion", help="Recorded in the promotion log."),
    config: Path = typer.Option(DEFAULT_CONFIG, help="Run config: whose table's model."),
) -> None:
    """Make VERSION the champion (recorded in the promotion log)."""
    from configs.schema import load_config
    from tasks.services import models

    command = models.PromoteVersion(load_config(config), version, reason)
    moved = models.promote_version(context(), command)
    typer.echo(
        f"champion: v{moved.version} (was {'v' + moved.previous if moved.previous else 'none'})"
    )


@models_app.command("rollback")
def models_rollback(
    reason: str = typer.Option("rollback requested", help="Recorded in the promotion log."),
    config: Path = typer.Option(DEFAULT_CONFIG, help="Run config: whose table's model."),
) -> None:
    """Move champion back to the version that held it before."""
    from configs.schema import load_config
    from tasks.services import models

    moved = models.rollback(context(), models.RollBack(load_config(config), reason))
    typer.echo(f"champion: v{moved.version} (rolled back from v{moved.previous})")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply the database migrations."""
    from tasks.services.operations.maintenance import upgrade_database

    typer.echo(f"database at revision {upgrade_database(context(), revision)}")


@expectations_app.command("write")
def expectations_write(
    config: Path = typer.Option(DEFAULT_CONFIG, help="Run config (YAML)."),
) -> None:
    """(Re)write the training and scoring suites from the config."""
    from configs.schema import load_config
    from tasks.services.operations.maintenance import write_expectation_suites

    for path in write_expectation_suites(load_config(config)):
        typer.echo(f"wrote {path}")


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int | None = typer.Option(
        None, min=1, max=65535, help="Port to listen on (default RETAINAI_API_PORT, 8000)."
    ),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes."),
    config: Path = typer.Option(DEFAULT_CONFIG, help="Run config the request schema comes from."),
) -> None:
    """Serve predictions and the retention API; the champion is loaded at start. Client
    addresses come from X-Forwarded-For only on connections from RETAINAI_TRUSTED_PROXIES.
    Without a Prefect server, a jobs worker (`retainai jobs work`) runs beside it, started
    again if it dies and stopped with the server: it does the background work."""
    import uvicorn

    from tasks.services.jobs.process import supervise_worker

    os.environ["RETAINAI_SERVING_CONFIG"] = str(config.resolve())
    proxies = list(settings().trusted_proxies)
    port = port or settings().api_port
    worker = supervise_worker(context(), config.resolve())
    try:
        uvicorn.run(
            "serving.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or None,
        )
    finally:
        if worker is not None:
            worker.stop()


@tokens_app.command("create")
def tokens_create(
    role: str = typer.Option(..., help="app (predict only), viewer, analyst or admin."),
    name: str = typer.Option(..., help="Unique name, recorded on what the token does."),
) -> None:
    """Create an API token; it is printed once and only its SHA-256 digest is stored (the
    command line acts as the server's operator: see flows/commands_users.py)."""
    from flows.commands_users import operator_context
    from tasks.services import accounts

    token = accounts.create_token(operator_context(), accounts.NewToken(name, role))
    typer.echo(f"token {name!r} ({role}); store it now, it is not shown again:", err=True)
    typer.echo(token)


@tokens_app.command("list")
def tokens_list() -> None:
    """Every token's name, role, prefix and dates (never the token itself)."""
    from flows.commands_users import operator_context
    from tasks.services import accounts

    for row in accounts.list_tokens(operator_context()):
        revoked = f"revoked {row['revoked_at']:%Y-%m-%d %H:%M}" if row["revoked_at"] else "active"
        typer.echo(
            f"{row['name']:<24} {row['role']:<8} rtn_{row['prefix']}_…  "
            f"created {row['created_at']:%Y-%m-%d %H:%M}  {revoked}"
        )


@tokens_app.command("revoke")
def tokens_revoke(name: str = typer.Argument(..., help="Name of the token to revoke.")) -> None:
    """Revoke a token; running servers refuse it within their token cache time (10 s)."""
    from flows.commands_users import operator_context
    from tasks.services import accounts

    accounts.revoke_token(operator_context(), accounts.TokenRevocation(name))
    typer.echo(f"revoked {name!r}")
