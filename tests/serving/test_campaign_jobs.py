"""A campaign created on its page has its messages written with no terminal: the jobs worker
`retainai serve` starts (a child process it keeps running) takes the job, and the page's
progress block, refreshed by htmx, shows them written. Viewers see no send or stop button
and are refused both, on the pages and in the API."""

from __future__ import annotations

import os
import signal
import time

from serving_helpers import add_users, bearer, page_login

from data.contacts import generate_contacts
from tasks.adapters import campaign_store as store
from tasks.services import campaigns, contacts
from tasks.services.jobs.process import supervise_worker
from tasks.services.jobs.worker import Worker

ANALYST, VIEWER = "jobs-analyst@example.test", "jobs-viewer@example.test"


def _until(check, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError("not in time")


def test_creating_a_campaign_on_its_page_has_its_messages_written(served, champion, monkeypatch):
    state = served.state
    add_users(state.context, {ANALYST: "analyst", VIEWER: "viewer"})
    ids = store.candidates(state.engine, "telco")["customer_id"].tolist()
    contacts.import_contacts(state.context, state.config, generate_contacts(ids, seed=6))
    monkeypatch.setenv("RETAINAI_STATE_DIR", str(champion.state))  # the server's settings
    worker = supervise_worker(state.context, champion.config)
    try:
        client = served.client
        csrf = page_login(client, ANALYST, "/dashboard/campaigns/new")
        form = {"name": "no terminal", "channel": "email", "limit": "10", "csrf_token": csrf}
        made = client.post("/dashboard/campaigns", data=form, follow_redirects=False)
        path = made.headers["location"]
        campaign_id = int(path.rsplit("/", 1)[1])
        page = client.get(path)
        assert f'hx-get="{path}/progress?watching=1" hx-trigger="every 2s"' in page.text

        def written():
            fragment = client.get(f"{path}/progress?watching=1")
            return fragment if "hx-trigger" not in fragment.text else None

        fragment = _until(written)
        assert fragment.headers["hx-refresh"] == "true"
        view = campaigns.get_campaign(state.context, state.config, campaign_id)
        done = view.messages["draft"]
        assert done > 0 and f"{done} of {done}" in fragment.text
        cost = campaigns.campaign_progress(state.context, state.config, campaign_id).cost
        assert f'<dd id="progress-cost">${cost:.4f}</dd>' in fragment.text  # in USD

        os.killpg(worker.process.pid, signal.SIGKILL)  # the worker dies: serve starts another
        _until(lambda: worker.starts == 2 and worker.process.poll() is None)
    finally:
        worker.stop()
    assert worker.process.poll() is not None


def test_viewers_see_no_send_or_stop_button_and_are_refused_both(served):
    state = served.state
    add_users(state.context, {ANALYST: "analyst", VIEWER: "viewer"})
    client = served.client
    csrf = page_login(client, ANALYST, "/dashboard/campaigns/new")
    form = {"name": "watched", "channel": "email", "limit": "6", "csrf_token": csrf}
    path = client.post("/dashboard/campaigns", data=form, follow_redirects=False).headers[
        "location"
    ]
    campaign_id = int(path.rsplit("/", 1)[1])
    worker = Worker(state.context, state.config)  # takes the writing job its creation queued
    while worker.run_once():
        pass
    quote = campaigns.approval_quote(state.context, state.config, campaign_id)
    confirmed = {"csrf_token": csrf, "confirm": "yes", "expected": str(quote.messages)}
    assert client.post(f"{path}/approve", data=confirmed).status_code == 200
    assert "Stop sending" in client.get(path).text and "Send now" in client.get(path).text

    viewer_csrf = page_login(client, VIEWER, path)
    page = client.get(path)
    assert "Stop sending" not in page.text and "Send now" not in page.text
    assert "Messages written" in page.text
    for action in ("send", "stop"):
        refused = client.post(
            f"{path}/{action}", data={"csrf_token": viewer_csrf, "confirm": "yes"}
        )
        assert refused.status_code == 403, action
    viewer, analyst = bearer(served.tokens["viewer"]), bearer(served.tokens["analyst"])
    api = f"/campaigns/{campaign_id}"
    assert client.get(f"{api}/progress", headers=viewer).json()["waiting"] > 0
    for action in ("send", "stop", "generate"):
        assert client.post(f"{api}/{action}", headers=viewer).status_code == 403, action

    stopped = client.post(f"{api}/stop", headers=analyst)
    assert stopped.json() == {"campaign": campaign_id, "status": "stopped"}
    assert client.post(f"{api}/generate", headers=analyst).status_code == 409
    sent = client.post(f"{api}/send", headers=analyst, json={"retry_unknown": False})
    assert sent.status_code == 202 and sent.json()["door"] == "jobs"
    progress = client.get(f"{api}/progress", headers=analyst).json()
    assert progress["work"] == "sending" and progress["active"] and progress["status"] == "approved"
    again = client.post(f"{api}/send", headers=analyst)
    assert again.status_code == 202 and not again.json()["new"]  # the same job
