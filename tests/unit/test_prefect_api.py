"""The dashboard's view of a Prefect server's deployments (pure parts; the HTTP reads run
against a real Prefect server in the production tests)."""

from __future__ import annotations

import pytest

from tasks.adapters.prefect_door import PrefectDoor
from tasks.core.errors import ConfigError, UnavailableError
from tasks.core.schedules import describe_schedule, summarise


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        ({"cron": "0 5 * * *", "timezone": "UTC"}, "cron 0 5 * * * (UTC)"),
        ({"cron": "0 3 * * 1", "timezone": None}, "cron 0 3 * * 1 (UTC)"),
        ({"interval": 900.0}, "every 15 minutes"),
        ({"interval": 86400}, "every 1 day"),
        ({"interval": 7200}, "every 2 hours"),
        ({"interval": 90}, "every 90 seconds"),
        ({"rrule": "FREQ=DAILY", "timezone": "Europe/Paris"}, "rrule FREQ=DAILY (Europe/Paris)"),
    ],
)
def test_schedules_are_described_in_words(schedule, words):
    assert describe_schedule(schedule) == words


def test_summary_names_flow_and_deployment_and_picks_the_next_run():
    deployments = [
        {
            "id": "d2",
            "flow_id": "f2",
            "name": "score-daily",
            "paused": False,
            "schedules": [
                {"schedule": {"cron": "0 5 * * *", "timezone": "UTC"}, "active": True},
                {"schedule": {"interval": 60}, "active": False},
            ],
            "global_concurrency_limit": {"limit": 1},
        },
        {"id": "d1", "flow_id": "f1", "name": "monitor", "paused": True, "schedules": []},
    ]
    upcoming = [
        {"deployment_id": "d2", "expected_start_time": "2026-12-01T05:00:00+00:00"},
        {"deployment_id": "d2", "expected_start_time": "2026-12-02T05:00:00+00:00"},
    ]
    rows = summarise(deployments, {"f1": "monitor-churn-model", "f2": "score-customers"}, upcoming)
    assert rows == [
        {
            "name": "monitor-churn-model/monitor",
            "schedules": ["no schedule"],
            "paused": True,
            "next_run": None,
            "concurrency_limit": None,
        },
        {
            "name": "score-customers/score-daily",
            "schedules": ["cron 0 5 * * * (UTC)"],
            "paused": False,
            "next_run": "2026-12-01 05:00 UTC",
            "concurrency_limit": 1,
        },
    ]


def test_an_unconfigured_or_silent_server_is_one_clear_error(monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with pytest.raises(ConfigError, match="no Prefect server is configured"):
        PrefectDoor(None).deployment_schedules()
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UnavailableError, match=f"127.0.0.1:{port}/api did not answer"):
        PrefectDoor(f"http://127.0.0.1:{port}/api").deployment_schedules()
