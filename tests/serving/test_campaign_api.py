"""The campaign API: read campaigns, page their messages, approve, record events, report, and
the public unsubscribe link (signed token; a GET changes nothing)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from serving_helpers import bearer

from tasks.services.context import Context

SECRET = "unsubscribe-secret-for-tests-0123456789"


@pytest.fixture(scope="module")
def campaign(served) -> dict:
    """A campaign created through the API, with two draft messages of treated customers."""
    from tasks.adapters import campaign_store as store

    served.state.settings = served.state.settings.model_copy(
        update={"secret_key": SecretStr(SECRET)}
    )
    served.state.context = Context(served.state.settings)
    answer = served.client.post(
        "/campaigns",
        json={"name": "api campaign", "offer": "loyalty-discount", "channels": ["email", "sms"]},
        headers=bearer(served.tokens["analyst"]),
    )
    assert answer.status_code == 201, answer.text
    created = answer.json()
    members = store.audience(served.state.engine, created["id"])
    treated = sorted(members.loc[members["arm"] == "treated", "customer_id"])[:2]
    now = datetime.now(UTC)
    rows = [
        {
            "campaign_id": created["id"],
            "customer_id": c,
            "channel": "email",
            "status": "draft",
            "subject": "Stay",
            "body": f"Hello {n}",
            "call_to_action": "Go",
            "path": "template",
            "prompt_version": "t1",
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "cost": 0.0,
            "created_at": now,
        }
        for n, c in enumerate(treated)
    ]
    store.save_messages(served.state.engine, rows)
    return {**created, "treated": treated, "members": members}


def _as(served, role: str) -> dict:
    return bearer(served.tokens[role])


def test_campaigns_are_listed_and_read(served, campaign):
    listed = served.client.get("/campaigns", headers=_as(served, "viewer")).json()
    assert campaign["id"] in [c["id"] for c in listed]
    one = served.client.get(f"/campaigns/{campaign['id']}", headers=_as(served, "viewer"))
    assert one.status_code == 200 and one.json()["channels"] == ["email", "sms"]
    assert one.json()["totals"]["audience"] == len(campaign["members"])
    missing = served.client.get("/campaigns/999999", headers=_as(served, "viewer"))
    assert missing.status_code == 404 and "no campaign 999999" in missing.json()["detail"]


def test_messages_page_and_approval_needs_an_analyst(served, campaign):
    path = f"/campaigns/{campaign['id']}"
    assert served.client.get(f"{path}/messages", headers=_as(served, "viewer")).status_code == 403
    page = served.client.get(
        f"{path}/messages", params={"limit": 1}, headers=_as(served, "analyst")
    )
    body = page.json()
    assert [m["customer_id"] for m in body["items"]] == campaign["treated"][:1]
    assert body["next_offset"] == 1 and body["items"][0]["status"] == "draft"
    assert served.client.post(f"{path}/approve", headers=_as(served, "viewer")).status_code == 403
    approved = served.client.post(f"{path}/approve", headers=_as(served, "analyst")).json()
    assert approved == {"campaign": campaign["id"], "approved": 2}
    again = served.client.get(
        f"{path}/messages", params={"status": "approved"}, headers=_as(served, "analyst")
    ).json()
    assert len(again["items"]) == 2 and again["next_offset"] is None


def test_events_are_idempotent_and_refused_whole(served, campaign):
    path = f"/campaigns/{campaign['id']}/events"
    first, second = campaign["treated"]
    accepted = {"customer_id": first, "event": "accepted"}
    retained = {"customer_id": second, "event": "retained", "event_key": "r-2"}
    events = {"events": [accepted, retained]}
    answer = served.client.post(path, json=events, headers=_as(served, "analyst"))
    assert answer.status_code == 200 and answer.json()["new"] == 2
    assert served.client.post(path, json=events, headers=_as(served, "analyst")).json()["new"] == 0
    outsider = {
        "events": [
            {"customer_id": first, "event": "clicked"},
            {"customer_id": "NOBODY", "event": "accepted"},
        ]
    }
    refused = served.client.post(path, json=outsider, headers=_as(served, "analyst"))
    assert refused.status_code == 409 and "NOBODY" in refused.json()["detail"]
    with served.state.engine.connect() as connection:
        stored = connection.execute(
            sa.text("SELECT event FROM campaign_events WHERE campaign_id = :id"),
            {"id": campaign["id"]},
        ).scalars()
        assert sorted(stored) == ["accepted", "retained"]  # nothing of the refused batch
    wrong = served.client.post(
        path,
        json={"events": [{"customer_id": first, "event": "won"}]},
        headers=_as(served, "analyst"),
    )
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"][:2] == ["body", "events"]


def test_report_counts_the_audience(served, campaign):
    answer = served.client.get(f"/campaigns/{campaign['id']}/report", headers=_as(served, "viewer"))
    assert answer.status_code == 200
    report = answer.json()
    assert report["audience"] == len(campaign["members"])
    assert report["treated"] + report["holdout"] == report["audience"]


def test_unsubscribe_link_needs_its_signature_and_a_post(served, campaign):
    from tasks.adapters import campaign_store as store
    from tasks.core.unsubscribe import make_token

    customer = campaign["treated"][0]
    token = make_token(SECRET, campaign["id"], customer)
    page = served.client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and '<form method="post"' in page.text
    assert customer not in set(store.suppressed(served.state.engine, "telco")["customer_id"])
    for _ in range(2):  # the button, then a second click: the same outcome
        done = served.client.post(f"/unsubscribe/{token}")
        assert done.status_code == 200 and "no more retention messages" in done.text
    blocked = store.suppressed(served.state.engine, "telco")
    assert blocked.loc[blocked["customer_id"] == customer, "channel"].tolist() == ["all"]
    forged = make_token("another-secret-of-enough-length", campaign["id"], customer)
    assert served.client.post(f"/unsubscribe/{forged}").status_code == 400
    unknown = make_token(SECRET, 999999, customer)
    assert served.client.post(f"/unsubscribe/{unknown}").status_code == 404


@pytest.mark.parametrize("kind", ["garbage", "forged", "unknown campaign"])
def test_a_bad_unsubscribe_link_says_so_before_any_button(served, campaign, kind):
    from tasks.core.unsubscribe import make_token

    customer = campaign["treated"][1]
    token = {
        "garbage": "not-a-token",
        "forged": make_token("another-secret-of-enough-length", campaign["id"], customer),
        "unknown campaign": make_token(SECRET, 999999, customer),
    }[kind]
    page = served.client.get(f"/unsubscribe/{token}")
    assert page.status_code == (404 if kind == "unknown campaign" else 400)
    assert "Link not valid" in page.text and "not valid" in page.text
    assert "<button" not in page.text and "<form" not in page.text
