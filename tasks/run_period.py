"""The as_of of the running flow: given, else the deployment run's scheduled date, else today."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tasks.core.periods import scoring_period


def resolve_as_of(value: str | date | None) -> date:
    """`scoring_period` with the scheduled start of this flow run when it is a deployment run
    (a subflow is not one: its parent passes the as_of down)."""
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    run = context.flow_run if context is not None else None
    deployed = run is not None and run.deployment_id is not None
    scheduled = run.expected_start_time if deployed else None
    return scoring_period(value, scheduled, datetime.now(UTC))
