"""A campaign drafted in the dashboard goes through every step the command line offers, from
its page (write, approve, send, record outcomes, report), under the same rules; and the list
and the campaign's page show the same figures for it."""

from __future__ import annotations

import re

import numpy as np
from serving_helpers import add_users, page_login

from data.contacts import generate_contacts
from tasks.adapters import campaign_store as store
from tasks.services import campaigns, contacts
from tasks.services.jobs.worker import Worker

ANALYST = "pages-analyst@example.test"


def _row(listing: str, campaign_id: int) -> str:
    return re.search(rf'href="/dashboard/campaigns/{campaign_id}".*?</tr>', listing, re.S).group(0)


def test_a_dashboard_campaign_goes_from_draft_to_report(served):
    state = served.state
    add_users(state.engine, {ANALYST: "analyst"})
    ids = store.candidates(state.engine, "telco")["customer_id"].tolist()
    contacts.import_contacts(state.context, state.config, generate_contacts(ids, seed=4))
    client = served.client
    csrf = page_login(client, ANALYST, "/dashboard/campaigns/new")
    form = {"name": "page win-back", "channel": "sms", "limit": "12", "csrf_token": csrf}
    made = client.post("/dashboard/campaigns", data=form, follow_redirects=False)
    assert made.status_code == 303, made.text
    path = made.headers["location"]
    campaign_id = int(path.rsplit("/", 1)[1])

    worker = Worker(state.context, state.config)  # the worker `retainai serve` starts
    confirmed = {"csrf_token": csrf, "confirm": "yes"}
    refused = client.post(f"{path}/send", data=confirmed)  # not approved yet
    assert refused.status_code == 200 and "is not approved: approve it first" in refused.text
    page = client.get(path)  # creating it queued the writing of its messages
    assert "Writing the messages starts in a moment." in page.text and 'every 2s"' in page.text
    assert "Write the messages" not in page.text  # no second writing while one is going
    ran = 0
    while worker.run_once():  # this campaign's writing (and any other test's left queued)
        ran += 1
    assert ran >= 1
    fragment = client.get(f"{path}/progress?watching=1")
    assert fragment.headers["hx-refresh"] == "true" and "hx-trigger" not in fragment.text
    written = campaigns.get_campaign(state.context, state.config, campaign_id).messages["draft"]
    assert f"{written} of {written}" in fragment.text
    page = client.get(path)
    assert "Approve the drafts" in page.text and "Write the messages" in page.text
    unconfirmed = client.post(f"{path}/approve", data={"csrf_token": csrf})
    assert "not approved: tick the box to confirm the count and the cost" in unconfirmed.text
    count = int(re.search(r'name="expected" value="(\d+)"', page.text).group(1))
    assert count > 0 and f"I approve {count:,} messages costing $" in page.text
    confirmed = {"csrf_token": csrf, "confirm": "yes", "expected": str(count)}
    page = client.post(f"{path}/approve", data=confirmed)
    assert "Send now" in page.text and "Approve the drafts" not in page.text
    again = client.post(f"{path}/generate", data={"csrf_token": csrf})  # the same rule as CLI
    assert "its messages stand" in again.text
    unconfirmed = client.post(f"{path}/send", data={"csrf_token": csrf})
    assert "tick the box to confirm the send" in unconfirmed.text
    sent = client.post(f"{path}/send", data=confirmed, follow_redirects=False)
    assert sent.status_code == 303
    assert "Sending the approved messages" in client.get(path).text
    assert worker.run_once()
    view = campaigns.get_campaign(state.context, state.config, campaign_id)
    assert view.status == "sent" and view.messages == {"sent": view.totals["messages"]} != {}
    assert (state.settings.reports_dir / "campaigns" / str(campaign_id) / "sms.csv").exists()

    members = store.audience(state.engine, campaign_id)
    stays = np.random.default_rng(1).random(len(members)) < 0.6
    events = "customer_id,event\n" + "".join(
        f"{c},{'retained' if s else 'churned'}\n"
        for c, s in zip(members["customer_id"], stays, strict=True)
    )
    files = {"events": ("events.csv", events.encode(), "text/csv")}
    page = client.post(f"{path}/events", data={"csrf_token": csrf}, files=files)
    assert f"{len(members):,} new events recorded" in page.text
    view = campaigns.get_campaign(state.context, state.config, campaign_id)
    assert view.lift is not None and "lift <strong>" in page.text

    listing = _row(client.get("/dashboard/campaigns").text, campaign_id)
    listed = next(
        c for c in campaigns.list_campaigns(state.context, state.config) if c.id == campaign_id
    )
    assert listed == view  # one view for the list and the page
    for shown in (f"{view.audience:,}", f"{view.holdout:,}", f"{view.messages['sent']:,} sent"):
        assert shown in listing and shown.split()[0] in page.text
    assert f"{100 * view.lift['lift']:+.1f}" in listing
    report = campaigns.read_report(state.context, state.config, campaign_id)
    net = f"${report['revenue']['net_revenue']:,.0f}".replace("$-", "-$")
    assert "Net revenue" in page.text and net in page.text and net in listing
    assert f"{report['accepted']:,} of {report['treated']:,} treated customers" in page.text


def _figure(page: str, cell: str) -> int:
    return int(re.search(rf'id="{cell}">([\d,]+)<', page).group(1).replace(",", ""))


def test_the_preview_follows_the_channel_the_ranking_and_the_contact_rule(served):
    state = served.state
    add_users(state.engine, {ANALYST: "analyst"})
    ids = store.candidates(state.engine, "telco")["customer_id"].tolist()
    contacts.import_contacts(state.context, state.config, generate_contacts(ids, seed=4))
    client = served.client
    page_login(client, ANALYST, "/dashboard/campaigns/new")
    form = client.get("/dashboard/campaigns/new").text
    assert 'name="rank"' in form and 'value="profit"' in form and 'value="risk"' in form
    assert 'value="uplift"' not in form  # no champion uplift model: not offered
    shown = {}
    for channel in ("email", "sms"):
        wanted = {"channel": channel, "risk": ["high", "medium", "low"], "rank": "risk"}
        wanted["limit"] = "1000"  # everyone reachable (the seeded profits are negative)
        page = client.get("/dashboard/campaigns/preview", params=wanted).text
        draft = campaigns.CampaignDraft(
            offer="loyalty-discount",
            channels=(channel,),
            audience=campaigns.AudienceFilter(("high", "medium", "low"), limit=1000),
            rank="risk",
        )
        figures = campaigns.preview_audience(state.context, state.config, draft).figures()
        shown[channel] = _figure(page, "removed-unreachable")
        assert shown[channel] == figures["removed_unreachable"]
        assert _figure(page, "removed-recent") == figures["removed_recently_contacted"]
        assert "Ranked by churn risk" in page
    assert shown["sms"] > shown["email"]  # fewer customers agreed to SMS than to e-mail
