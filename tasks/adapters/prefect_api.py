"""Read-only views of a Prefect server's deployments over its REST API, for the dashboard
(the serving process never imports prefect: plain HTTP, a short timeout, one clear error)."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import httpx

from tasks.core.errors import ConfigError
from tasks.core.redaction import mask_url

TIMEOUT_SECONDS = 3.0


def describe_schedule(schedule: dict[str, Any]) -> str:
    """One schedule of a deployment in words: cron with its timezone, interval, or RRule."""
    zone = schedule.get("timezone") or "UTC"
    if schedule.get("cron"):
        return f"cron {schedule['cron']} ({zone})"
    if schedule.get("interval") is not None:
        seconds = float(schedule["interval"])
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if seconds >= size and seconds % size == 0:
                count = int(seconds // size)
                return f"every {count} {unit}{'s' if count != 1 else ''}"
        return f"every {seconds:g} seconds"
    if schedule.get("rrule"):
        return f"rrule {schedule['rrule']} ({zone})"
    return "unknown schedule"


def summarise(deployments: list[dict], flows: dict[str, str], upcoming: list[dict]) -> list[dict]:
    """Rows of the schedules table: flow/deployment, schedules, paused, next run (pure)."""
    next_run: dict[str, str] = {}
    for run in upcoming:  # sorted by expected start: the first one per deployment is next
        next_run.setdefault(str(run.get("deployment_id")), run.get("expected_start_time") or "")
    rows = []
    for deployment in deployments:
        active = [s["schedule"] for s in deployment.get("schedules", []) if s.get("active", True)]
        start = next_run.get(str(deployment["id"]))
        when = datetime.fromisoformat(start).strftime("%Y-%m-%d %H:%M %Z") if start else None
        rows.append(
            {
                "name": f"{flows.get(str(deployment['flow_id']), '?')}/{deployment['name']}",
                "schedules": [describe_schedule(s) for s in active] or ["no schedule"],
                "paused": bool(deployment.get("paused")),
                "next_run": when,
                "concurrency_limit": (deployment.get("global_concurrency_limit") or {}).get(
                    "limit"
                ),
            }
        )
    return sorted(rows, key=lambda row: row["name"])


def deployment_schedules(api_url: str | None = None) -> list[dict[str, Any]]:
    """The deployments registered on the Prefect server at `api_url` (PREFECT_API_URL by
    default) with their schedules and next scheduled run."""
    api_url = (api_url or os.environ.get("PREFECT_API_URL") or "").rstrip("/")
    if not api_url:
        raise ConfigError("no Prefect server is configured (PREFECT_API_URL)")
    key = os.environ.get("PREFECT_API_KEY")
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        with httpx.Client(base_url=api_url, timeout=TIMEOUT_SECONDS, headers=headers) as client:
            deployments = _post(client, "/deployments/filter", {"limit": 200})
            ids = sorted({d["flow_id"] for d in deployments})
            flows = _post(client, "/flows/filter", {"flows": {"id": {"any_": ids}}}) if ids else []
            upcoming = (
                _post(
                    client,
                    "/flow_runs/filter",
                    {
                        "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
                        "deployments": {"id": {"any_": [d["id"] for d in deployments]}},
                        "sort": "EXPECTED_START_TIME_ASC",
                        "limit": 200,
                    },
                )
                if deployments
                else []
            )
    except httpx.HTTPError as error:
        raise ConfigError(
            f"the Prefect server at {mask_url(api_url)} did not answer: {error}"
        ) from None
    return summarise(deployments, {str(f["id"]): f["name"] for f in flows}, upcoming)


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    answer = client.post(path, json=body)
    if answer.status_code != 200:
        raise ConfigError(f"the Prefect server refused {path}: {answer.status_code}")
    return answer.json()
