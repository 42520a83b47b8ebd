"""`retainai init-config`: profile a churn table and write a commented config draft."""

from __future__ import annotations

from pathlib import Path

import click
import typer


def init_config(
    data: str = typer.Option(..., help="CSV/Parquet path, s3://, database URL or http(s) URL."),
    target: str = typer.Option(..., help="The churn label column."),
    table: str = typer.Option(None, help="Table to read when --data is a database URL."),
    query: str = typer.Option(None, help="SELECT to run when --data is a database URL."),
    out: Path = typer.Option(None, help="Where to write the draft (default configs/NAME.yaml)."),
    name: str = typer.Option(None, help="Dataset name (default: the file or table name)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Profile a churn table and write a commented config draft for it."""
    from flows.cli_common import context
    from tasks.services import data as service

    request = service.DraftRequest(data, target, table, query, out, name, force)
    path = service.draft_path(request)
    if path.exists() and not force:  # a usage error of --out, before the table is read
        raise click.ClickException(f"{path} exists; pass --force to overwrite it")
    draft = service.draft_config(context(), request)
    typer.echo(f"wrote {draft.path}\n  {draft.summary}")
