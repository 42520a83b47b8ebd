"""The as_of a scoring or monitoring run works on, decided without Prefect."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from tasks.core.periods import scoring_period

NOW = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def test_a_given_as_of_wins_over_the_schedule():
    scheduled = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)
    assert scoring_period("2026-10-01", scheduled, NOW) == date(2026, 10, 1)
    assert scoring_period(" 2026-10-01 ", None, NOW) == date(2026, 10, 1)
    assert scoring_period(date(2026, 10, 2), scheduled, NOW) == date(2026, 10, 2)


def test_a_deployment_run_scores_the_date_it_was_scheduled_for_even_when_late():
    scheduled = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)
    two_days_late = scheduled + timedelta(days=2, hours=3)
    assert scoring_period(None, scheduled, two_days_late) == date(2026, 11, 28)
    assert scoring_period("", scheduled, NOW) == date(2026, 11, 28)


def test_the_scheduled_date_is_the_utc_date():
    paris_morning = datetime(2026, 11, 29, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert scoring_period(None, paris_morning, NOW) == date(2026, 11, 28)


def test_outside_a_deployment_the_period_is_today_in_utc():
    late_evening = datetime(2026, 11, 30, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert scoring_period(None, None, NOW) == date(2026, 11, 30)
    assert scoring_period(None, None, late_evening) == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("30/11/2026", "as_of '30/11/2026' is not a date (YYYY-MM-DD)"),
        ("yesterday", "as_of 'yesterday' is not a date"),
        (datetime(2026, 11, 30, 5, tzinfo=UTC), "is a timestamp, expected a date"),
    ],
)
def test_a_bad_as_of_says_what_is_wrong(given, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        scoring_period(given, None, NOW)


def test_a_time_without_zone_is_refused():
    with pytest.raises(ValueError, match="has no time zone"):
        scoring_period(None, datetime(2026, 11, 30, 5), NOW)
