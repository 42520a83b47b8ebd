"""The model card on the real stack: a deployed training run writes its card and each holdout
figure into the MLflow server's registry; the same inputs again register nothing; a run that
cannot publish its reports (their bucket is missing) leaves the champion where it was."""

from __future__ import annotations

import pytest

from tests.integration.conftest import small_config
from tests.production.flow_runs import start, wait

pytestmark = [pytest.mark.slow, pytest.mark.production, pytest.mark.postgres]
TRAINING = "train-churn-model/train-weekly"


def _run(client, timeout: float, job_variables: dict | None = None, **parameters):
    return wait(client, start(client, TRAINING, job_variables, **parameters), timeout)


def _artifact(client, run_id, key: str) -> str:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    ours = FlowRunFilter(id=FlowRunFilterId(any_=[run_id]))
    found = [a for a in client.read_artifacts(flow_run_filter=ours) if a.key == key]
    return str(found[0].data) if found else ""


def _registry(production):
    from mlflow import MlflowClient

    from tasks.services.operations import stack as local_stack

    tracking = local_stack.exports(production.settings)["RETAINAI_MLFLOW_TRACKING_URI"]
    return MlflowClient(tracking_uri=tracking, registry_uri=tracking)


def _versions(registry) -> list[str]:
    return sorted(v.version for v in registry.search_model_versions("name = 'retainai-churn'"))


def test_the_registry_version_holds_the_card_and_nothing_moves_without_new_inputs(production):
    """The page's own training (the default configuration on its generated customers) wrote
    the card; the same run again registers nothing; new inputs whose reports cannot be
    published leave the champion where it was."""
    from prefect.client.orchestration import get_client

    registry = _registry(production)
    champion = registry.get_model_version_by_alias("retainai-churn", "champion")
    card = champion.description
    for fact in (
        "# Model card",
        "Source: ",
        production.training_source,
        "Rows: 2,000 validated",
        "## Holdout figures",
        "passed: ROC-AUC",
        "Champion gate: passed",
        "## Known limits",
    ):
        assert fact in card, (fact, card)
    auc = float(champion.tags["holdout.roc_auc"])
    assert f"| ROC-AUC | {auc:.4f} |" in card
    model = registry.get_registered_model("retainai-churn")
    assert "probability that a customer leaves" in model.description
    versions = _versions(registry)
    with get_client(sync_client=True) as client:
        same = _run(client, 240)  # the page's run again: the same data, config and code
        assert same.state_name == "Completed", same.state.message
        said = _artifact(client, same.id, "promotion")
        assert f"those of version {champion.version}: nothing registered" in said, said
        assert _versions(registry) == versions
        now = registry.get_model_version_by_alias("retainai-churn", "champion")
        assert now.version == champion.version

        # new inputs (a small grid), reports sent to a bucket that is missing
        folder = production.config.parent / "other"
        folder.mkdir(exist_ok=True)
        other = small_config(
            folder,
            logistic_regression={"grid": {"C": [0.3, 1.0]}},
            monitoring={"action": "block"},
        )
        missing = {"env": {"RETAINAI_REPORTS_URL": "s3://retainai-no-such-bucket/reports"}}
        broken = _run(client, 420, job_variables=missing, config_path=str(other))
        assert broken.state_name == "Failed", broken.state.message
        assert _versions(registry) == versions
        now = registry.get_model_version_by_alias("retainai-churn", "champion")
        assert now.version == champion.version
    runs = registry.search_runs(
        [registry.get_experiment_by_name("retainai-churn").experiment_id],
        order_by=["attributes.start_time DESC"],
    )
    training = [r for r in runs if r.info.run_name.startswith("train-")]
    assert training[0].info.status == "FAILED"
    assert training[1].data.tags["unchanged_from_version"] == champion.version
