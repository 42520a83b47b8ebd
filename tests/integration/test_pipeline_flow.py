"""The churn pipeline end to end on small generated data: each stage a subflow run, results
kept for a retry, reports stored and linked, and the campaign left as a draft."""

from __future__ import annotations

from pathlib import Path

import pytest

from data.generate import generate_customers, write_customers
from tests.integration.conftest import small_config

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]
AS_OF = "2026-11-29"
STAGE_OUTCOME = {  # each stage's flow, and where the pipeline returns its outcome
    "train-churn-model": "training",
    "score-customers": "scoring",
    "monitor-churn-model": "monitoring",
    "run-retention-campaign": "campaign",
}


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pipeline")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RETAINAI_STATE_DIR", str(folder))
        yield folder


def _subflow_runs(parent_id) -> dict[str, list]:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent_id])
            )
        )
        names = {flow.id: flow.name for flow in client.read_flows()}
    found: dict[str, list] = {}
    for run in runs:
        found.setdefault(names[run.flow_id], []).append(run)
    return found


def _links(run_ids) -> dict[str, str]:
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=run_ids))
        )
    links = {}
    for artifact in found:
        if artifact.type == "markdown" and artifact.key:  # a link: "[uri](uri)"
            links[artifact.key] = artifact.data.partition("](")[2].removesuffix(")")
    return links


def test_the_pipeline_runs_every_stage_as_a_subflow_and_leaves_a_draft(state):
    from configs.schema import load_config
    from configs.settings import Settings
    from flows.pipeline import churn_pipeline
    from tasks.adapters import campaign_store, db, registry, report_store
    from tasks.services.context import Context
    from tasks.services.models import model_overview

    training, scoring = state / "train.csv", state / "batch.csv"
    write_customers(generate_customers(2500, seed=3), training)
    write_customers(generate_customers(1200, seed=4), scoring)
    config = str(small_config(state))
    result = churn_pipeline(config, str(training), str(scoring), as_of=AS_OF, return_state=True)
    assert result.is_completed(), result.message
    outcome = result.result()

    runs = _subflow_runs(result.state_details.flow_run_id)
    assert set(runs) == set(STAGE_OUTCOME)
    assert all(len(found) == 1 and found[0].state.is_completed() for found in runs.values())
    # each stage's result is kept under the state folder, where a retry of the pipeline reads
    # it back instead of running the stage again
    for name, (found,) in runs.items():
        kept = Path(found.state.data.storage_key)
        assert kept.parent == state.resolve() / "results" and kept.is_file()
        assert found.state.result() == outcome[STAGE_OUTCOME[name]]

    assert outcome["training"]["promoted"]
    assert outcome["scoring"]["as_of"] == outcome["monitoring"]["as_of"] == AS_OF
    assert outcome["scoring"]["rows_scored"] == 1200
    settings = Settings()
    with db.connected(settings) as engine:
        campaign = campaign_store.get_campaign(engine, outcome["campaign"]["campaign"])
        sent = campaign_store.messages(engine, campaign["id"], status="sent")
    assert campaign["status"] == "draft" and campaign["name"] == f"win-back {AS_OF}"
    assert len(sent) == 0  # sending waits for a person's approval

    # reports: kept in the store (the local folder here), linked from Prefect and MLflow
    links = _links([found[0].id for found in runs.values()])
    drift = outcome["monitoring"]["drift"]
    assert {"training-reports", "scoring-reports", "drift-report"} <= set(links)
    assert links["scoring-reports"] == outcome["scoring"]["reports_uri"]
    assert "<html" in report_store.fetch(settings, links["drift-report"]).read_text()
    with db.connected(settings) as engine:  # what the dashboard's model page reads
        latest = model_overview(Context(settings), load_config(config))["drift"]
    assert latest["report_uri"] == links["drift-report"]
    assert drift["dataset_drift"] in (True, False)
    registry.configure(settings)
    from mlflow import MlflowClient

    tags = MlflowClient().get_run(outcome["training"]["run_id"]).data.tags
    assert tags["reports_uri"] == outcome["training"]["reports_uri"]
