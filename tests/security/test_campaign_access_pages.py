"""A campaign's messages follow one rule on every door (the `messages` action): the API route
and the campaign page both keep recipients and subjects from viewers. Unknown campaigns are
404 pages on the page's actions, and what a login's token does is recorded with the user's
email."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from serving_helpers import PAGE_PASSWORD, add_users, bearer, page_login

from tasks.adapters import campaign_store as store

VIEWER, ANALYST = "sec-viewer@example.test", "sec-analyst@example.test"
SUBJECT = "A private subject line"


@pytest.fixture(scope="module")
def campaign(served) -> dict:
    """A campaign with two draft messages of treated customers, and the two users."""
    add_users(served.state.context, {VIEWER: "viewer", ANALYST: "analyst"})
    body = {"name": "access campaign", "offer": "loyalty-discount", "channels": ["email"]}
    answer = served.client.post("/campaigns", json=body, headers=bearer(served.tokens["analyst"]))
    assert answer.status_code == 201, answer.text
    created = answer.json()
    members = store.audience(served.state.engine, created["id"])
    treated = sorted(members.loc[members["arm"] == "treated", "customer_id"])[:2]
    now = datetime.now(UTC)
    message = {
        "channel": "email",
        "status": "draft",
        "subject": SUBJECT,
        "body": "Hello",
        "call_to_action": "Go",
        "path": "template",
        "prompt_version": "t1",
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cost": 0.0,
        "created_at": now,
    }
    rows = [{**message, "campaign_id": created["id"], "customer_id": c} for c in treated]
    store.save_messages(served.state.engine, rows)
    return {**created, "treated": treated}


def _login_token(served, email: str) -> dict:
    served.client.cookies.clear()
    answer = served.client.post("/auth/login", json={"email": email, "password": PAGE_PASSWORD})
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["access_token"])


def test_a_viewer_sees_neither_recipients_nor_subjects_on_any_door(served, campaign):
    path = f"/dashboard/campaigns/{campaign['id']}"
    messages = f"/campaigns/{campaign['id']}/messages"
    assert served.client.get(messages, headers=_login_token(served, VIEWER)).status_code == 403
    page_login(served.client, VIEWER, path)
    seen = served.client.get(path)
    assert seen.status_code == 200 and "Messages draft" in seen.text  # the counts stay
    assert SUBJECT not in seen.text and 'id="messages"' not in seen.text
    assert not any(customer in seen.text for customer in campaign["treated"])
    assert "Approve the drafts" not in seen.text

    assert served.client.get(messages, headers=_login_token(served, ANALYST)).status_code == 200
    page_login(served.client, ANALYST, path)
    shown = served.client.get(path)
    assert SUBJECT in shown.text and all(c in shown.text for c in campaign["treated"])
    assert "Approve the drafts" in shown.text


@pytest.mark.parametrize("action", ["approve", "events"])
def test_an_unknown_campaign_is_a_not_found_page(served, campaign, action):
    csrf = page_login(served.client, ANALYST, f"/dashboard/campaigns/{campaign['id']}")
    files = {"events": ("events.csv", b"customer_id,event\nC0001,accepted\n", "text/csv")}
    answer = served.client.post(
        f"/dashboard/campaigns/999999/{action}",
        data={"csrf_token": csrf},
        files=files if action == "events" else None,
        follow_redirects=False,
    )
    assert answer.status_code == 404, answer.text
    assert "no campaign 999999" in answer.text and "<nav" in answer.text
    opened = served.client.get("/dashboard/campaigns/999999")
    assert opened.status_code == 404 and "no campaign 999999" in opened.text


def test_what_a_login_token_does_is_recorded_with_the_users_email(served, campaign):
    headers = _login_token(served, ANALYST)
    body = {"name": "by a person", "offer": "loyalty-discount", "channels": ["email"]}
    made = served.client.post("/campaigns", json=body, headers=headers)
    assert made.status_code == 201 and made.json()["created_by"] == ANALYST
    legacy = {"name": "legacy by a person", "segment_filter": {"churn_score_min": 0.1}}
    old = served.client.post("/dashboard/campaigns", json=legacy, headers=headers)
    assert old.status_code == 201 and old.json()["created_by"] == ANALYST
    approved = served.client.post(f"/campaigns/{campaign['id']}/approve", headers=headers)
    assert approved.status_code == 200
    assert store.get_campaign(served.state.engine, campaign["id"])["approved_by"] == ANALYST
    machine = served.client.post("/campaigns", json=body, headers=bearer(served.tokens["analyst"]))
    assert machine.json()["created_by"].startswith("test-analyst-")  # a machine: its name
