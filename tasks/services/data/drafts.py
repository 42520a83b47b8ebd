"""Drafting a run config for a new churn table: read it, profile it, write the commented YAML
(checked to load as a config), never over an existing file unless asked to."""

from __future__ import annotations

from pathlib import Path

import yaml

from configs.schema import RunConfig, YamlLoader
from tasks.adapters.sources import describe_source, read_source
from tasks.core.draft_yaml import dataset_name, render_draft, summary
from tasks.core.drafting import draft_config as profile_table
from tasks.core.errors import ConflictError
from tasks.services.context import Context
from tasks.services.data.commands import ConfigDraft, DraftRequest


def draft_path(request: DraftRequest) -> Path:
    """Where the draft goes: `out`, else configs/NAME.yaml (NAME: `name` or the file's or
    table's name)."""
    return request.out or Path("configs") / f"{draft_name(request)}.yaml"


def draft_name(request: DraftRequest) -> str:
    return request.name or dataset_name(request.data, request.table)


def draft_config(ctx: Context, request: DraftRequest) -> ConfigDraft:
    """Profile the table and write its config draft; ConflictError when the file exists and
    `force` is not set, ProfilingError when the table cannot be drafted (no such target)."""
    out = draft_path(request)
    if out.exists() and not request.force:
        raise ConflictError(f"{out} exists; pass --force to overwrite it")
    data, table, query = request.data, request.table, request.query
    frame = read_source(data, table=table, query=query, settings=ctx.settings)
    label = describe_source(data, table, query)
    draft = profile_table(frame, request.target, draft_name(request), label)
    hint = describe_source(data) + (f" --table {table}" if table else "")
    text = render_draft(draft, hint + (" --query '...'" if query else ""), str(out))
    RunConfig.model_validate(yaml.load(text, Loader=YamlLoader))  # the draft must load as is
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return ConfigDraft(path=out, summary=summary(draft))
