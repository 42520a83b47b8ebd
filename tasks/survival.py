"""Survival stage: Kaplan-Meier curves, the Cox model and its checks, written as artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from configs.schema import RunConfig
from tasks.adapters import registry
from tasks.adapters.storage import write_frame_atomic, write_json_atomic
from tasks.core import survival
from tasks.core.kpis import assign_risk_segments
from tasks.core.progress import step
from tasks.core.scoring import curve_counts

MODEL_FILE = "survival_model.json"


def write_curves(
    config: RunConfig, frame: pd.DataFrame, probabilities: np.ndarray, folder: Path
) -> list[Path]:
    """Kaplan-Meier tables, plots and medians by risk segment, and by the segment role when
    the table has one. Without a duration role there are no curves: nothing is written."""
    if config.dataset.roles.duration is None:
        return []
    segments = assign_risk_segments(probabilities, config.segments)
    return write_curve_counts(config, curve_counts(frame, segments, config), folder)


def write_curve_counts(config: RunConfig, counts: pd.DataFrame, folder: Path) -> list[Path]:
    """`write_curves` from customers counted per duration, outcome and groups (see
    `scoring.curve_counts`): the same curves, from a table of a few hundred rows."""
    roles = config.dataset.roles
    folder.mkdir(parents=True, exist_ok=True)
    names = ([roles.segment] if roles.segment is not None else []) + ["risk_segment"]
    written, medians = [], {}
    for name in names:
        table = survival.kaplan_meier_table(
            counts["duration"], counts["churned"], counts[name].astype(str), counts["customers"]
        )
        write_frame_atomic(table, folder / f"km_by_{name}.csv")
        figure = survival.kaplan_meier_figure(table, f"Kaplan-Meier survival by {name}")
        figure.savefig(folder / f"km_by_{name}.png")
        medians[name] = {str(k): v for k, v in survival.median_survival(table).items()}
        written += [folder / f"km_by_{name}.csv", folder / f"km_by_{name}.png"]
    written.append(write_json_atomic(folder / "median_survival_months.json", medians))
    return written


@task(name="survival-curves", cache_policy=NO_CACHE)
def draw_curves(config: RunConfig, counts: pd.DataFrame, folder: Path) -> list[Path]:
    """Kaplan-Meier curves of a labelled scored batch, from its curve counts."""
    return write_curve_counts(config, counts, folder)


@task(name="survival-analysis", cache_policy=NO_CACHE)
def analyse_survival(
    config: RunConfig,
    frame: pd.DataFrame,
    probabilities: np.ndarray,
    folder: Path,
    run_id: str | None,
) -> survival.SurvivalModel:
    """Fit the Cox model on labelled customers; save it with its curves and checks."""
    step("fitting survival curves and the Cox model")
    model = survival.fit_survival_model(frame, config)
    paths = write_curves(config, frame, probabilities, folder)
    write_frame_atomic(model.hazard_ratio_table(), folder / "hazard_ratios.csv")
    write_frame_atomic(model.dropped_table(), folder / "dropped_covariates.csv")
    checked = survival.proportional_hazards_check(frame, config)
    write_frame_atomic(checked, folder / "proportional_hazards_check.csv")
    paths += [
        write_json_atomic(folder / MODEL_FILE, model.to_dict()),
        folder / "hazard_ratios.csv",
        folder / "dropped_covariates.csv",
        folder / "proportional_hazards_check.csv",
    ]
    if run_id:
        registry.log_run(
            run_id,
            metrics={"cox_concordance": model.concordance},
            artifacts=paths,
            folder="survival",
        )
    if model.dropped:
        step(f"Cox design: left out {len(model.dropped)} duplicated column(s)")
    step(f"Cox concordance {model.concordance:.3f}")
    return model


def load_survival_model(run_id: str, folder: Path) -> survival.SurvivalModel | None:
    """The Cox model saved with a training run, or None for runs that have none."""
    path = registry.download_artifact(run_id, f"survival/{MODEL_FILE}", folder)
    if path is None:
        return None
    return survival.SurvivalModel.from_dict(json.loads(path.read_text()))
