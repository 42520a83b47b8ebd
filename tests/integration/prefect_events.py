"""The alert events a Prefect server received (in-process flows: the test's own server)."""

from __future__ import annotations

import time
from datetime import datetime


def alert_events(kind: str, since: datetime, count: int = 1, timeout: float = 30) -> list[dict]:
    """The `retainai.alert.<kind>` events since `since`, oldest first, once there are
    `count` of them (they reach the server a moment after the flow emits them)."""
    from prefect.client.orchestration import get_client

    body = {
        "filter": {
            "event": {"name": [f"retainai.alert.{kind}"]},
            "occurred": {"since": since.isoformat()},
            "order": "ASC",
        },
        "limit": 50,
    }
    deadline, found = time.monotonic() + timeout, []
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            answer = client.request("POST", "/events/filter", json=body)
            found = answer.json()["events"]
            if len(found) >= count:
                return found
            time.sleep(0.5)
    raise AssertionError(f"{len(found)} {kind} alert events of {count} within {timeout:.0f} s")
