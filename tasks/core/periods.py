"""Which period a scoring or monitoring run is about: the `as_of` date, decided once."""

from __future__ import annotations

from datetime import UTC, date, datetime


def scoring_period(
    given: str | date | None, scheduled_start: datetime | None, now: datetime
) -> date:
    """The as_of a run works on: the one given; else, for a deployment run, the UTC date it
    was scheduled for (so a late or repeated run scores the same period); else today (UTC).

    `scheduled_start` is None when the run is not a deployment run."""
    if isinstance(given, datetime):
        raise ValueError(f"as_of {given!r} is a timestamp, expected a date (YYYY-MM-DD)")
    if isinstance(given, date):
        return given
    if given is not None and str(given).strip():
        try:
            return date.fromisoformat(str(given).strip())
        except ValueError as exc:
            raise ValueError(f"as_of {given!r} is not a date (YYYY-MM-DD)") from exc
    moment = scheduled_start if scheduled_start is not None else now
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone; the period is the date in UTC")
    return moment.astimezone(UTC).date()
