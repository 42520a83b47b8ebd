"""The as_of a flow run resolves, read from the run Prefect really gives it: a deployment run
scheduled two days ago works on that day; a run outside a deployment on today."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from prefect import flow

from tasks.run_period import resolve_as_of

pytestmark = pytest.mark.usefixtures("prefect_server")


@flow(name="resolve-period")
def resolve_period(as_of: str | None = None) -> str:
    return resolve_as_of(as_of).isoformat()


def test_a_late_deployment_run_works_on_its_scheduled_date_and_a_plain_run_on_today():
    from prefect import get_client
    from prefect.flow_engine import run_flow
    from prefect.states import Scheduled

    scheduled = datetime.now(UTC) - timedelta(days=2)
    deployment_id = resolve_period.to_deployment("late-run").apply()
    with get_client(sync_client=True) as client:
        late = client.create_flow_run_from_deployment(
            deployment_id, state=Scheduled(scheduled_time=scheduled)
        )
        given = client.create_flow_run_from_deployment(
            deployment_id, parameters={"as_of": "2026-01-31"}
        )
    assert run_flow(resolve_period, flow_run=late) == scheduled.date().isoformat()
    assert run_flow(resolve_period, flow_run=given, parameters={"as_of": "2026-01-31"}) == (
        "2026-01-31"
    )
    assert resolve_period() == datetime.now(UTC).date().isoformat()
    assert resolve_as_of(None) == datetime.now(UTC).date()  # outside any flow run
    assert resolve_as_of(date(2026, 3, 1)) == date(2026, 3, 1)
