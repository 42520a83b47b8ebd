"""A deployed run's log lines in the Prefect UI: the training service's INFO lines and
Prefect's own, sent by the flow run the stack's worker started, no secret among them."""

from __future__ import annotations

import time

import pytest

from tests.production.conftest import SOURCE_TOKEN, TERMINAL

pytestmark = [pytest.mark.slow, pytest.mark.production, pytest.mark.postgres]


def _wait(client, run_id, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.read_flow_run(run_id)
        if run.state_type.value in TERMINAL:
            return run
        time.sleep(1)
    raise AssertionError(f"flow run {run_id} still {run.state_name} after {timeout:.0f} s")


def _logs(client, run_id, until, timeout: float = 30.0) -> list:
    """The run's logs once `until` holds for them (the last batch may arrive after the end)."""
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    ours = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id]))
    deadline = time.monotonic() + timeout
    while True:
        logs = client.read_logs(log_filter=ours, limit=200)
        if until(logs) or time.monotonic() > deadline:
            return logs
        time.sleep(1)


def test_a_deployed_training_run_sends_its_info_lines_to_the_prefect_api(production):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        found = client.read_deployment_by_name("train-churn-model/train-weekly")
        run_id = client.create_flow_run_from_deployment(
            found.id, parameters={"config_path": str(production.config)}
        ).id
        run = _wait(client, run_id, 420)
        assert run.state_name == "Completed", run.state.message

        def complete(logs) -> bool:
            return any("is now champion" in entry.message for entry in logs) and any(
                "Finished in state Completed" in entry.message for entry in logs
            )

        logs = _logs(client, run_id, complete)
    messages = [entry.message for entry in logs]
    ours = {entry.message: entry for entry in logs if entry.name == "retainai"}
    # the training service's progress lines, as the command line prints them, at INFO
    champion = next((m for m in ours if " is now champion: " in m), None)
    assert champion is not None, messages
    assert ours[champion].level == 20 and ours[champion].flow_run_id == run_id
    assert any(m.startswith("searching logistic_regression") for m in ours), messages
    assert any(m.startswith(f"reading {production.customers}") for m in ours), messages
    # and Prefect's own lines of the run
    assert any("Finished in state Completed" in m for m in messages), messages
    assert not [m for m in messages if SOURCE_TOKEN in m]
    print(f"\n{len(logs)} log lines, {len(ours)} of the training service")
