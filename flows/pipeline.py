"""The end-to-end churn pipeline, as in the diagram: train -> score -> monitor -> campaign
draft, each stage a subflow run of its own flow. Sending waits for a person's approval (the
send-due-campaigns schedule sends approved campaigns when their time comes)."""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows.campaign import run_retention_campaign
from flows.monitor import monitor_churn_model
from flows.score import score_customers_flow
from flows.train import train_churn_model
from tasks.run_period import resolve_as_of
from tasks.run_setup import run_settings
from tasks.stage_results import persisted


@flow(name="churn-pipeline", retries=1, retry_delay_seconds=60)
def churn_pipeline(
    config_path: str,
    training_data: str | None = None,
    scoring_data: str | None = None,
    scoring_table: str | None = None,
    as_of: str | None = None,
    campaign_name: str = "win-back",
    offer: str = "loyalty-discount",
    channels: list[str] | None = None,
) -> dict[str, Any]:
    """Train (the promotion gate decides the champion), score every customer with the
    champion, monitor drift of that batch, draft the campaign. Each stage's result is kept
    under the state folder, so a retry of the pipeline resumes after the last finished stage.
    Without data, each stage reads RETAINAI_TRAINING_SOURCE / RETAINAI_SCORING_SOURCE."""
    stage = persisted(run_settings())
    period = resolve_as_of(as_of).isoformat()
    trained = stage(train_churn_model)(config_path, training_data)
    scored = stage(score_customers_flow)(config_path, scoring_data, scoring_table, as_of=period)
    monitored = stage(monitor_churn_model)(config_path, scoring_data, scoring_table, as_of=period)
    drafted = stage(run_retention_campaign)(
        config_path, f"{campaign_name} {period}", offer, channels, created_by="churn-pipeline"
    )
    return {
        "as_of": period,
        "training": trained,
        "scoring": scored,
        "monitoring": monitored,
        "campaign": drafted,
    }
