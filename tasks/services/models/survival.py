"""What the survival page shows: the Kaplan-Meier curves (with 95% bands) and median survival
that the committed scoring run of the latest as_of wrote, by the segment column and by risk
segment, and the champion's Cox hazard ratios logged with its training run; nothing is
refitted here."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters import registry, report_store
from tasks.adapters import retention_store as store
from tasks.adapters.artifact_cache import cached_artifact
from tasks.adapters.report_folders import committed_run_folder
from tasks.i18n import N_
from tasks.services.context import Context


def _run_folder(settings: Settings, config: RunConfig, ctx: Context):
    latest = store.latest_kpis(ctx.engine, config.dataset.name)
    if latest is None:
        return None, None
    folder = committed_run_folder(settings, config.dataset.name, latest["as_of"])
    return latest["as_of"], (folder / "survival" if folder else None)


def _hazard_ratios(settings: Settings, config: RunConfig) -> list[dict[str, Any]]:
    registry.configure(settings)
    name = settings.model_name(config)
    champion = registry.version_by_alias(name, registry.CHAMPION)
    if champion is None:
        return []
    key, path = f"{name}/{champion.version}", "survival/hazard_ratios.csv"
    found = cached_artifact(settings, key, champion.run_id, path)
    if found is None:
        return []
    table = pd.read_csv(found).sort_values("hazard_ratio", ascending=False)
    return table.to_dict("records")


def survival_overview(ctx: Context, config: RunConfig) -> dict[str, Any]:
    """as_of, curves {grouping: KM table rows}, medians {grouping: {group: months}}, hazard
    ratios (covariate, hazard_ratio, ci_lower, ci_upper, p), and why something is missing."""
    settings = ctx.settings
    found: dict[str, Any] = {"as_of": None, "curves": {}, "medians": {}, "hazard_ratios": []}
    if config.dataset.roles.duration is None:
        return {**found, "missing": N_("this table has no duration role: no survival curves")}
    as_of, folder = _run_folder(settings, config, ctx)
    found["as_of"] = as_of
    if folder is not None:  # read through the report store: the flows may run elsewhere
        roles = config.dataset.roles
        for name in [*([roles.segment] if roles.segment else []), "risk_segment"]:
            path = report_store.read(settings, folder / f"km_by_{name}.csv")
            if path is not None:
                found["curves"][name] = pd.read_csv(path).to_dict("records")
        medians = report_store.read(settings, folder / "median_survival_months.json")
        found["medians"] = json.loads(medians.read_text()) if medians is not None else {}
    if not found["curves"]:
        found["missing"] = N_(
            "no curves yet: the latest scoring run had no churn labels to draw them"
        )
    found["hazard_ratios"] = _hazard_ratios(settings, config)
    return found
