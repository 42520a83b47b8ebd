"""`retainai init-config`: profile a churn table and write a commented config draft."""

from __future__ import annotations

from pathlib import Path

import click
import typer
import yaml


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
    from configs.schema import RunConfig, YamlLoader
    from configs.settings import Settings
    from tasks.adapters.sources import describe_source, read_source
    from tasks.core.draft_yaml import dataset_name, render_draft, summary
    from tasks.core.drafting import draft_config

    name = name or dataset_name(data, table)
    out = out or Path("configs") / f"{name}.yaml"
    if out.exists() and not force:
        raise click.ClickException(f"{out} exists; pass --force to overwrite it")
    label = describe_source(data, table, query)
    frame = read_source(data, table=table, query=query, settings=Settings())
    draft = draft_config(frame, target, name, label)
    data_hint = describe_source(data) + (f" --table {table}" if table else "")
    text = render_draft(draft, data_hint + (" --query '...'" if query else ""), str(out))
    RunConfig.model_validate(yaml.load(text, Loader=YamlLoader))  # the draft must load as is
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    typer.echo(f"wrote {out}\n  {summary(draft)}")
