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
    from configs.settings import Settings
    from tasks.profile import draft_config_text, draft_name

    name = name or draft_name(data, table)
    out = out or Path("configs") / f"{name}.yaml"
    if out.exists() and not force:
        raise click.ClickException(f"{out} exists; pass --force to overwrite it")
    text, described = draft_config_text(data, table, query, target, name, str(out), Settings())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    typer.echo(f"wrote {out}\n  {described}")
