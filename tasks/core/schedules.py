"""A Prefect server's deployments and their schedules in words, for the dashboard (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


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
    """Rows of the schedules table: flow/deployment, schedules, paused, next run."""
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
