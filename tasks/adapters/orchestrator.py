"""Starting flow runs of Prefect deployments; prefect is imported inside the functions only."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from typing import Any

from tasks.core.errors import ConcurrentRunError

TRAINING_DEPLOYMENT = "train-churn-model/train-weekly"
_starting = threading.Lock()  # one check-then-create at a time in this process


def api_configured() -> bool:
    """True when a Prefect API server is configured through PREFECT_API_URL."""
    return bool(os.environ.get("PREFECT_API_URL"))


def start_deployment_run(
    name: str = TRAINING_DEPLOYMENT, parameters: dict[str, Any] | None = None
) -> str | None:
    """Create a flow run of deployment `name`; None if there is no such deployment.

    Raises ConcurrentRunError while a run of it is pending, running, or scheduled and due."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterExpectedStartTime,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.exceptions import ObjectNotFound

    def states(*types: StateType) -> FlowRunFilterState:
        return FlowRunFilterState(type=FlowRunFilterStateType(any_=list(types)))

    with _starting, get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(name)
        except ObjectNotFound:
            return None
        ours = DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id]))
        active = states(StateType.PENDING, StateType.RUNNING, StateType.CANCELLING)
        due = FlowRunFilter(
            state=states(StateType.SCHEDULED),
            expected_start_time=FlowRunFilterExpectedStartTime(before_=datetime.now(UTC)),
        )
        for flow_runs in (FlowRunFilter(state=active), due):
            found = client.read_flow_runs(
                deployment_filter=ours, flow_run_filter=flow_runs, limit=1
            )
            if found:
                raise ConcurrentRunError(
                    f"flow run {found[0].id} of {name} is already {found[0].state_type.value}"
                )
        run = client.create_flow_run_from_deployment(
            deployment.id, parameters=parameters, tags=["serving-api"]
        )
        return str(run.id)
