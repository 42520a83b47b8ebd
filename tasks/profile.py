"""Drafting a run config from a table: read it, profile it, render the commented YAML."""

from __future__ import annotations

import yaml

from configs.schema import RunConfig, YamlLoader
from configs.settings import Settings
from tasks.adapters.sources import describe_source, read_source
from tasks.core.draft_yaml import dataset_name, render_draft, summary
from tasks.core.drafting import draft_config


def draft_name(data: str, table: str | None) -> str:
    """The dataset name a draft takes from its file or table."""
    return dataset_name(data, table)


def draft_config_text(
    data: str,
    table: str | None,
    query: str | None,
    target: str,
    name: str,
    out: str,
    settings: Settings,
) -> tuple[str, str]:
    """The draft's YAML text (checked to load as a config) and a one-line summary."""
    label = describe_source(data, table, query)
    frame = read_source(data, table=table, query=query, settings=settings)
    draft = draft_config(frame, target, name, label)
    data_hint = describe_source(data) + (f" --table {table}" if table else "")
    text = render_draft(draft, data_hint + (" --query '...'" if query else ""), out)
    RunConfig.model_validate(yaml.load(text, Loader=YamlLoader))  # the draft must load as is
    return text, summary(draft)
