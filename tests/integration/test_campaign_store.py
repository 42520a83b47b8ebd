"""The campaign store on SQLite and the real PostgreSQL: idempotent writes, state moves."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from tasks.adapters import campaign_store as store
from tasks.adapters import db


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = db.make_engine(url)
    db.upgrade(engine)
    yield engine
    with engine.begin() as connection:
        for table in (
            "campaign_reports",
            "campaign_events",
            "campaign_messages",
            "campaign_members",
            "contacts",
            "suppressions",
            "campaigns",
        ):
            connection.exec_driver_sql(f"DELETE FROM {table}")
    engine.dispose()


def _campaign(engine) -> int:
    return store.create_campaign(
        engine,
        name="winback",
        segment_filter={},
        holdout_share=0.1,
        created_by="test",
        dataset="telco",
        offer="discount",
        channels=["email"],
    )["id"]


def _members(n: int = 5) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "arm": ["holdout"] + ["treated"] * (n - 1),
            "risk_segment": "high",
            "churn_probability": 0.7,
            "lifetime_value": [100.0, float("nan"), 300.0, 400.0, 500.0][:n],
            "expected_profit": 10.0,
            "rank": range(1, n + 1),
        }
    )


def _message(campaign_id: int, customer: str, body: str = "hello") -> dict:
    return {
        "campaign_id": campaign_id,
        "customer_id": customer,
        "channel": "email",
        "status": "draft",
        "subject": "s",
        "body": body,
        "call_to_action": "c",
        "path": "template",
        "prompt_version": "fallback-email-v1",
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cost": 0.0,
    }


def test_the_audience_is_stored_once(engine):
    campaign = _campaign(engine)
    assert store.store_audience(engine, campaign, _members()) == 5
    assert store.store_audience(engine, campaign, _members(3)) == 5  # a rerun keeps the first
    stored = store.audience(engine, campaign)
    assert stored["arm"].tolist()[0] == "holdout" and stored["lifetime_value"].isna().sum() == 1


def test_one_message_per_key_and_status_moves_are_guarded(engine):
    campaign = _campaign(engine)
    assert store.save_messages(engine, [_message(campaign, "C1"), _message(campaign, "C2")]) == 2
    assert store.save_messages(engine, [_message(campaign, "C1", body="again")]) == 0
    assert store.messages(engine, campaign)["body"].tolist() == ["hello", "hello"]
    keys = [("C1", "email"), ("C2", "email")]
    assert store.move_messages(engine, campaign, keys, "draft", "approved") == 2
    assert store.move_messages(engine, campaign, keys, "draft", "approved") == 0
    now = datetime.now(UTC)
    assert store.move_messages(engine, campaign, keys[:1], "approved", "sent", sent_at=now) == 1
    assert store.messages(engine, campaign, "sent")["customer_id"].tolist() == ["C1"]


def test_events_are_idempotent_per_key(engine):
    campaign = _campaign(engine)
    now = datetime.now(UTC)
    event = {
        "campaign_id": campaign,
        "customer_id": "C1",
        "event": "accepted",
        "event_key": "C1:accepted",
        "occurred_at": now,
    }
    assert store.record_events(engine, [event]) == 1
    assert store.record_events(engine, [event]) == 0
    assert len(store.events(engine, campaign)) == 1


def test_a_report_is_stored_once_per_campaign_and_replaced(engine):
    from tasks.adapters import campaign_edits as edits
    from tasks.adapters import campaign_reports as reports

    campaign = _campaign(engine)
    reports.save_report(engine, campaign, {"lift": None, "accepted": 0}, 0)
    reports.save_report(engine, campaign, {"lift": {"lift": 0.1}, "accepted": 3}, 9)
    assert reports.reports_of(engine, [campaign, 999]) == {
        campaign: {"lift": {"lift": 0.1}, "accepted": 3}
    }
    now = datetime.now(UTC)
    message = {
        "campaign_id": campaign,
        "channel": "email",
        "status": "draft",
        "body": "Hello",
        "path": "template",
        "prompt_version": "t1",
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cost": 0.0,
        "created_at": now,
    }
    store.save_messages(engine, [{**message, "customer_id": c} for c in ("C1", "C2", "C3")])
    assert reports.message_counts(engine, [campaign]) == {campaign: {"draft": 3}}
    edited = {"body": "Hi", "path": "edited", "edited_by": "a@x.test", "edited_at": now}
    assert edits.replace_text(engine, campaign, "C1", "email", edited)
    assert edits.get_message(engine, campaign, "C1", "email")["edited_by"] == "a@x.test"
    assert edits.exclude_customer(engine, campaign, "C2", ("draft", "approved"), "a") == 1
    assert not edits.replace_text(engine, campaign, "C2", "email", edited)  # no longer a draft
    assert edits.cancel_campaign(engine, campaign, ("draft",), ("draft", "approved")) == 2
    assert edits.cancel_campaign(engine, campaign, ("draft",), ("draft", "approved")) is None
    assert reports.message_counts(engine, [campaign]) == {campaign: {"cancelled": 2, "excluded": 1}}


def test_contacts_upsert_and_suppressions(engine):
    row = {
        "dataset": "telco",
        "customer_id": "C1",
        "first_name": "Ada",
        "email": "a@x.test",
        "phone": None,
        "consent_email": True,
        "consent_sms": False,
    }
    store.upsert_contacts(engine, [row])
    store.upsert_contacts(engine, [{**row, "email": "ada@x.test"}])
    assert store.contacts_of(engine, "telco")["email"].tolist() == ["ada@x.test"]
    store.suppress(engine, "telco", "C1", "email", "unsubscribed")
    store.suppress(engine, "telco", "C1", "email", "unsubscribed")
    assert len(store.suppressed(engine, "telco")) == 1
