"""Uplift training from finished campaigns: their treated and holdout customers with the outcome
at the horizon, a T-learner fit on one part and judged on the held-out rest (Qini curve and
coefficient, AUUC, uplift at the top 10/20/30%), logged to MLflow and registered under its own
name; it becomes the champion uplift model only when it beats random targeting there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters import campaign_store as store
from tasks.adapters import registry
from tasks.adapters.storage import write_json_atomic
from tasks.adapters.uplift_models import (
    load_uplift_model,
    log_uplift_model,
    register_uplift_model,
    registered_name,
)
from tasks.core.audience import TREATED
from tasks.core.contract import validate_frame
from tasks.core.errors import ConflictError, InvalidInputError, NotFoundError
from tasks.core.plots import qini_figure
from tasks.core.uplift import SCORE_INPUTS, TOP_SHARES, fit_and_evaluate
from tasks.i18n import N_
from tasks.services.context import Context

OUTCOMES = {"retained": True, "churned": False}
ROW_KEYS = ("customer_id", *SCORE_INPUTS)
NO_TREATED_OUTCOME = N_("no treated customer with a known outcome")
NO_HOLDOUT_OUTCOME = N_("no holdout customer with a known outcome")
MEMBERS_NOT_IN_DATA = N_("%(count)s campaign customers are not in the data: %(missing)s")
CANDIDATES_NOT_IN_DATA = N_("%(count)s candidates are not in the data: %(missing)s")


def campaign_examples(
    settings: Settings, config: RunConfig, campaign_ids: list[int], customers: pd.DataFrame
) -> pd.DataFrame:
    """One row per audience member with a known outcome: the customer's columns (typed by the
    contract), their churn score and risk segment at the campaign, `treated` and `retained`."""
    parts = []
    engine = Context(settings).engine
    for campaign_id in campaign_ids:
        found = store.get_campaign(engine, campaign_id)
        if found is None or found.get("dataset") != config.dataset.name:
            raise NotFoundError(
                N_("no campaign %(id)s of %(dataset)s"), id=campaign_id, dataset=config.dataset.name
            )
        members = store.audience(engine, campaign_id)
        events = store.events(engine, campaign_id)
        known = events[events["event"].isin(list(OUTCOMES))]
        if known.empty:
            raise ConflictError(
                N_("campaign %(id)s has no retained/churned outcomes yet"), id=campaign_id
            )
        outcome = known.drop_duplicates("customer_id", keep="last").set_index("customer_id")
        members = members[members["customer_id"].isin(outcome.index)]
        parts.append(
            members.assign(
                treated=(members["arm"] == TREATED).to_numpy(),
                retained=outcome.loc[members["customer_id"], "event"].map(OUTCOMES).to_numpy(),
            )
        )
    examples = pd.concat(parts, ignore_index=True)[[*ROW_KEYS, "treated", "retained"]]
    joined = with_customer_columns(config, examples, customers, MEMBERS_NOT_IN_DATA)
    for arm, missing in ((True, NO_TREATED_OUTCOME), (False, NO_HOLDOUT_OUTCOME)):
        if not (joined["treated"] == arm).any():
            raise ConflictError(missing)
    return joined


def with_customer_columns(
    config: RunConfig, rows: pd.DataFrame, customers: pd.DataFrame, not_in_data: str
) -> pd.DataFrame:
    """`rows` (customer_id, churn_probability, risk_segment, ...) joined to the customers'
    columns typed by the contract; a row whose customer is not in the data is refused with
    the message `not_in_data` (its values: `count`, `missing`)."""
    typed = validate_frame(customers, config, "scoring").clean
    typed = typed.rename(columns={config.dataset.id_column: "customer_id"})
    typed = typed.drop_duplicates("customer_id").drop(columns=list(SCORE_INPUTS), errors="ignore")
    joined = rows.merge(typed, on="customer_id")
    if len(joined) < len(rows):
        missing = sorted(set(rows["customer_id"]) - set(joined["customer_id"]))
        raise InvalidInputError(not_in_data, count=len(missing), missing=missing[:5])
    return joined


def uplift_champion(settings: Settings, config: RunConfig) -> str | None:
    """The champion uplift model's version, None while there is none."""
    registry.configure(settings)
    found = registry.version_by_alias(
        registered_name(settings.model_name(config)), registry.CHAMPION
    )
    return found.version if found is not None else None


def with_expected_uplift(
    settings: Settings, config: RunConfig, candidates: pd.DataFrame, customers: pd.DataFrame
) -> tuple[pd.DataFrame, str]:
    """The candidates with `expected_uplift` from the champion uplift model (so a campaign
    ranks by uplift x value), and that model's version."""
    registry.configure(settings)
    try:
        model, version = load_uplift_model(registered_name(settings.model_name(config)))
    except LookupError as error:
        raise ConflictError(str(error)) from None
    joined = with_customer_columns(
        config, candidates[list(ROW_KEYS)], customers, CANDIDATES_NOT_IN_DATA
    )
    uplift = pd.Series(model.predict(joined), index=joined["customer_id"].to_numpy())
    return candidates.assign(expected_uplift=uplift.loc[candidates["customer_id"]].to_numpy()), (
        version
    )


def train_uplift(
    settings: Settings,
    config: RunConfig,
    campaign_ids: list[int],
    customers: pd.DataFrame,
    source: str,
    family: str = "logistic_regression",
) -> dict[str, Any]:
    """Fit, evaluate on the held-out part, log and register the uplift model."""
    examples = campaign_examples(settings, config, campaign_ids, customers)
    treated = examples.pop("treated").to_numpy(dtype=bool)
    retained = examples.pop("retained").to_numpy(dtype=bool)
    learner, evaluation = fit_and_evaluate(
        config, examples, treated, retained, family=family, seed=config.model.seed
    )
    metrics = {
        "heldout_qini_coefficient": evaluation.qini_coefficient,
        "heldout_auuc": evaluation.auuc,
        "heldout_overall_lift": evaluation.overall_lift,
        "heldout_customers": evaluation.customers,
        **{f"heldout_uplift_at_{round(s * 100)}pct": evaluation.uplift_at[s] for s in TOP_SHARES},
    }
    name = registered_name(settings.model_name(config))
    folder = settings.reports_dir / "uplift" / "-".join(str(i) for i in campaign_ids)
    files = _write_curve(folder, evaluation, metrics)
    experiment = registry.configure(settings)
    tags = {"kind": "uplift", "campaigns": ",".join(map(str, campaign_ids)), "family": family}
    with registry.training_run(experiment, f"uplift {tags['campaigns']}", tags) as run_id:
        params = {
            "campaigns": tags["campaigns"],
            "family": family,
            "source": source,
            "customers": len(examples),
            "inputs": ",".join(learner.inputs),
        }
        registry.log_run(run_id, params=params, metrics=metrics, artifacts=files, folder="uplift")
        uri = log_uplift_model(run_id, learner, examples[list(learner.inputs)].head(5))
    better = bool(np.isfinite(evaluation.qini_coefficient) and evaluation.qini_coefficient > 0)
    version = register_uplift_model(uri, name, tags, better)
    return {
        "model": name,
        "version": version,
        "champion": better,
        "run_id": run_id,
        "customers": len(examples),
        "metrics": metrics,
        "report_dir": str(folder),
    }


def _write_curve(folder: Path, evaluation, metrics: dict) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    figure = qini_figure(
        evaluation.share,
        evaluation.qini,
        evaluation.qini_coefficient,
        "Qini curve on held-out campaign customers",
    )
    figure.savefig(folder / "qini_curve.png")
    curve = {"share": evaluation.share.tolist(), "qini": evaluation.qini.tolist(), **metrics}
    write_json_atomic(folder / "qini_curve.json", curve)
    return [folder / "qini_curve.png", folder / "qini_curve.json"]
