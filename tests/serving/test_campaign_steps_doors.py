"""The campaign page's steps on the two doors, the page and the API, through the same use
cases: a message opened, edited (checked like a model's answer), written again; a customer
excluded; a campaign cancelled; approval confirmed with its count and cost under the
four-eyes rule; the SMS export downloaded; outcomes recorded as JSON; schedules in the past
refused. Viewers see no button and are refused every action."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from serving_helpers import PAGE_PASSWORD, add_users, bearer, page_login

from data.contacts import generate_contacts
from tasks.adapters import campaign_store as store
from tasks.services import campaigns, contacts

VIEWER, MAKER, CHECKER = (
    "steps-viewer@example.test",
    "steps-maker@example.test",
    "steps-checker@example.test",
)


@pytest.fixture(scope="module")
def people(served):
    add_users(served.state.context, {VIEWER: "viewer", MAKER: "analyst", CHECKER: "analyst"})
    ids = store.candidates(served.state.engine, "telco")["customer_id"].tolist()
    contacts.import_contacts(
        served.state.context, served.state.config, generate_contacts(ids, seed=11)
    )
    return served


def _written(served, name: str, channels=("email",)) -> campaigns.CampaignView:
    ctx, config = served.state.context, served.state.config
    draft = campaigns.CampaignDraft(
        name=name,
        created_by=MAKER,
        offer="loyalty-discount",
        channels=channels,
        audience=campaigns.AudienceFilter(risk_segments=("high", "medium", "low"), limit=12),
    )
    made = campaigns.create_campaign(ctx, config, draft)
    campaigns.generate_messages(ctx, config, made.id)
    return campaigns.get_campaign(ctx, config, made.id)


def _first(served, campaign_id: int, channel="email") -> str:
    drafts = campaigns.campaign_messages(served.state.context, served.state.config, campaign_id)
    return drafts.loc[drafts["channel"] == channel, "customer_id"].iloc[0]


def _login_token(served, email: str) -> dict:
    served.client.cookies.clear()
    answer = served.client.post("/auth/login", json={"email": email, "password": PAGE_PASSWORD})
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["access_token"])


def _api(served, role: str) -> dict:
    served.client.cookies.clear()
    return bearer(served.tokens[role])


def test_api_opens_edits_and_rewrites_a_message_and_refuses_viewers(people):
    served = people
    made = _written(served, "api message")
    customer = _first(served, made.id)
    path = f"/campaigns/{made.id}/messages/{customer}/email"
    assert served.client.get(path, headers=_api(served, "viewer")).status_code == 403
    opened = served.client.get(path, headers=_api(served, "analyst"))
    assert opened.status_code == 200 and opened.json()["status"] == "draft"
    text = {"subject": "Still here", "body": "Dear customer,\nstay.", "call_to_action": "Stay"}
    assert served.client.put(path, json=text, headers=_api(served, "viewer")).status_code == 403
    edited = served.client.put(path, json=text, headers=_login_token(served, MAKER))
    assert edited.status_code == 200, edited.text
    assert edited.json()["path"] == "edited" and edited.json()["edited_by"] == MAKER
    assert edited.json()["body"] == text["body"]
    wrong = {**text, "subject": "Hi\r\nBcc: someone@example.test"}
    refused = served.client.put(path, json=wrong, headers=_api(served, "analyst"))
    assert refused.status_code == 422 and "subject contains a control" in refused.text
    again = served.client.post(f"{path}/regenerate", headers=_api(served, "analyst"))
    assert again.status_code == 200 and again.json()["edited_by"] is None
    viewer = served.client.post(f"{path}/regenerate", headers=_api(served, "viewer"))
    assert viewer.status_code == 403
    missing = served.client.get(
        f"/campaigns/{made.id}/messages/NOBODY/email", headers=_api(served, "analyst")
    )
    assert missing.status_code == 404


def test_the_page_lists_opens_edits_and_rewrites_a_message(people):
    served = people
    made = _written(served, "page message")
    customer = _first(served, made.id)
    where = f"/dashboard/campaigns/{made.id}"
    csrf = page_login(served.client, MAKER, where)
    page = served.client.get(where).text
    body = campaigns.get_message(
        served.state.context, served.state.config, campaigns.MessageKey(made.id, customer, "email")
    )["body"]
    assert f"{where}/messages/{customer}/email" in page
    assert body.splitlines()[0][:40] in page.replace("&#39;", "'")
    one = f"{where}/messages/{customer}/email"
    opened = served.client.get(one)
    assert opened.status_code == 200 and "Save as edited" in opened.text
    text = {"subject": "Still here", "body": "Dear customer,\r\nstay.", "call_to_action": "Stay"}
    saved = served.client.post(f"{one}/edit", data={**text, "csrf_token": csrf})
    assert saved.status_code == 200 and "Message saved as edited." in saved.text
    assert f"Edited by {MAKER}" in saved.text
    stored = campaigns.get_message(
        served.state.context, served.state.config, campaigns.MessageKey(made.id, customer, "email")
    )
    assert stored["body"] == "Dear customer,\nstay." and stored["path"] == "edited"
    bad = served.client.post(
        f"{one}/edit", data={**text, "body": "Hi [FIRST NAME]", "csrf_token": csrf}
    )
    assert bad.status_code == 422 and "body contains a placeholder" in bad.text
    again = served.client.post(f"{one}/regenerate", data={"csrf_token": csrf})
    assert "Message written again." in again.text and "Edited by" not in again.text

    csrf = page_login(served.client, VIEWER, where)
    seen = served.client.get(where).text
    for button in ("Approve the drafts", "Cancel the campaign", "Write the messages", one):
        assert button not in seen
    assert served.client.get(one).status_code == 403
    for action in ("edit", "regenerate"):
        refused = served.client.post(f"{one}/{action}", data={**text, "csrf_token": csrf})
        assert refused.status_code == 403


def test_a_customer_excluded_and_a_campaign_cancelled_on_both_doors(people):
    served = people
    made = _written(served, "exclusions")
    members = store.audience(served.state.engine, made.id)
    treated = sorted(members.loc[members["arm"] == "treated", "customer_id"])
    api = f"/campaigns/{made.id}"
    assert (
        served.client.post(
            f"{api}/customers/{treated[0]}/exclude", headers=_api(served, "viewer")
        ).status_code
        == 403
    )
    excluded = served.client.post(
        f"{api}/customers/{treated[0]}/exclude", headers=_api(served, "analyst")
    )
    assert excluded.status_code == 200 and excluded.json()["excluded"] == 1
    where = f"/dashboard/campaigns/{made.id}"
    csrf = page_login(served.client, MAKER, where)
    step = f"{where}/customers/{treated[1]}/exclude"
    unconfirmed = served.client.post(step, data={"csrf_token": csrf})
    assert "tick the box to confirm" in unconfirmed.text
    done = served.client.post(step, data={"csrf_token": csrf, "confirm": "yes"})
    assert f"{treated[1]} excluded: 1 messages will not be sent." in done.text
    view = campaigns.get_campaign(served.state.context, served.state.config, made.id)
    assert view.messages["excluded"] == 2

    assert "Cancel the campaign" in done.text
    cancelled = served.client.post(f"{where}/cancel", data={"csrf_token": csrf, "confirm": "yes"})
    assert "Campaign cancelled" in cancelled.text and "Cancel the campaign" not in cancelled.text
    other = _written(served, "api cancelled")
    assert (
        served.client.post(
            f"/campaigns/{other.id}/cancel", headers=_api(served, "viewer")
        ).status_code
        == 403
    )
    answer = served.client.post(f"/campaigns/{other.id}/cancel", headers=_api(served, "analyst"))
    assert answer.status_code == 200 and answer.json()["messages"] == sum(other.messages.values())
    csrf = page_login(served.client, VIEWER, where)
    assert (
        served.client.post(
            f"{where}/cancel", data={"csrf_token": csrf, "confirm": "yes"}
        ).status_code
        == 403
    )


@pytest.fixture
def four_eyes(people):
    served = people
    config = served.state.config
    rule = config.campaigns.model_copy(update={"require_second_approver": True})
    served.state.config = config.model_copy(update={"campaigns": rule})
    yield served
    served.state.config = config


def test_approval_is_quoted_and_needs_a_second_person_on_both_doors(four_eyes):
    served = four_eyes
    made = _written(served, "four eyes api")
    api = f"/campaigns/{made.id}"
    quote = served.client.get(f"{api}/approval", headers=_api(served, "analyst")).json()
    assert quote["messages"] == made.messages["draft"] and quote["currency"] == "USD"
    assert quote["second_approver"] and quote["created_by"] == MAKER
    assert quote["cost"] == pytest.approx(quote["contact_cost"] + quote["expected_offer_cost"])
    machine = served.client.post(f"{api}/approve", headers=_api(served, "analyst"))
    assert machine.status_code == 403 and "not an API token" in machine.json()["detail"]
    maker = served.client.post(f"{api}/approve", headers=_login_token(served, MAKER))
    assert maker.status_code == 403 and "another person must approve" in maker.json()["detail"]
    stale = served.client.post(
        f"{api}/approve",
        params={"expected_messages": quote["messages"] + 1},
        headers=_login_token(served, CHECKER),
    )
    assert stale.status_code == 409 and "confirm again" in stale.json()["detail"]
    checker = served.client.post(
        f"{api}/approve",
        params={"expected_messages": quote["messages"]},
        headers=_login_token(served, CHECKER),
    )
    assert checker.status_code == 200 and checker.json()["approved"] == quote["messages"]

    page_made = _written(served, "four eyes page")
    where = f"/dashboard/campaigns/{page_made.id}"
    csrf = page_login(served.client, MAKER, where)
    page = served.client.get(where).text
    count = int(re.search(r'name="expected" value="(\d+)"', page).group(1))
    assert f"A person other than its creator ({MAKER}) must approve" in page
    form = {"csrf_token": csrf, "confirm": "yes", "expected": str(count)}
    refused = served.client.post(f"{where}/approve", data=form)
    assert "another person must approve" in refused.text
    csrf = page_login(served.client, CHECKER, where)
    approved = served.client.post(f"{where}/approve", data={**form, "csrf_token": csrf})
    assert "Approve the drafts" not in approved.text
    view = campaigns.get_campaign(served.state.context, served.state.config, page_made.id)
    assert view.status == "approved" and view.approved_by == CHECKER
    csrf = page_login(served.client, VIEWER, where)
    assert (
        served.client.post(f"{where}/approve", data={**form, "csrf_token": csrf}).status_code == 403
    )


def test_the_sms_export_downloads_from_the_page_and_the_api(people):
    served = people
    made = _written(served, "sms export", channels=("sms",))
    ctx, config = served.state.context, served.state.config
    where = f"/dashboard/campaigns/{made.id}"
    assert (
        served.client.get(
            f"/campaigns/{made.id}/sms-export", headers=_api(served, "analyst")
        ).status_code
        == 404
    )
    campaigns.approve_campaign(ctx, config, campaigns.ApproveCampaign(made.id, CHECKER))
    campaigns.send_campaign(ctx, config, campaigns.SendCampaign(made.id))
    sent = len(campaigns.campaign_messages(ctx, config, made.id, "sent"))
    answer = served.client.get(f"/campaigns/{made.id}/sms-export", headers=_api(served, "analyst"))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert (
        len(answer.text.splitlines()) == sent + 1
        and "attachment" in answer.headers["content-disposition"]
    )
    assert (
        served.client.get(
            f"/campaigns/{made.id}/sms-export", headers=_api(served, "viewer")
        ).status_code
        == 403
    )
    page_login(served.client, MAKER, where)
    assert "Download the SMS export" in served.client.get(where).text
    download = served.client.get(f"{where}/sms.csv")
    assert download.status_code == 200 and download.content == answer.content
    page_login(served.client, VIEWER, where)
    assert "Download the SMS export" not in served.client.get(where).text
    assert served.client.get(f"{where}/sms.csv").status_code == 403


def test_outcomes_recorded_as_json_update_the_stored_report_the_list_reads(people):
    served = people
    made = _written(served, "json outcomes")
    members = store.audience(served.state.engine, made.id)
    events = [
        {"customer_id": c, "event": "retained" if n % 3 else "churned"}
        for n, c in enumerate(members["customer_id"])
    ]
    api = f"/campaigns/{made.id}"
    refused = served.client.post(
        f"{api}/events", json={"events": events}, headers=_api(served, "viewer")
    )
    assert refused.status_code == 403
    answer = served.client.post(
        f"{api}/events", json={"events": events}, headers=_api(served, "analyst")
    )
    assert answer.status_code == 200 and answer.json()["new"] == len(events)
    report = served.client.get(f"{api}/report", headers=_api(served, "viewer")).json()
    assert report["lift"] is not None and report["currency"] == "USD", report
    listed = served.client.get("/campaigns", headers=_api(served, "viewer")).json()
    assert next(c for c in listed if c["id"] == made.id)["id"] == made.id
    view = campaigns.get_campaign(served.state.context, served.state.config, made.id)
    assert view.lift == report["lift"]


def test_a_schedule_in_the_past_is_refused_on_both_doors(people):
    served = people
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    body = {"name": "too late", "offer": "loyalty-discount", "scheduled_at": past}
    answer = served.client.post("/campaigns", json=body, headers=_api(served, "analyst"))
    assert answer.status_code == 409  # valid a moment before: a conflict with the clock
    assert answer.json()["detail"].startswith("scheduled_at: ")
    assert "is in the past" in answer.json()["detail"]
    french = {**_api(served, "analyst"), "Accept-Language": "fr"}
    late = served.client.post("/campaigns", json=body, headers=french).json()["detail"]
    assert late.startswith("scheduled_at : ") and "est dans le passé" in late
    unknown = {"name": "unknown offer", "offer": "nope"}
    refused = served.client.post("/campaigns", json=unknown, headers=french)
    assert refused.status_code == 422
    (error,) = refused.json()["detail"]
    assert error["loc"] == ["body", "offer"]  # the body's field, for a program
    assert error["msg"].startswith("offre inconnue 'nope' (offres : loyalty-discount")
    csrf = page_login(served.client, MAKER, "/dashboard/campaigns/new")
    form = {"name": "too late", "limit": "5", "scheduled_at": past[:16], "csrf_token": csrf}
    page = served.client.post("/dashboard/campaigns", data=form, follow_redirects=False)
    assert page.status_code == 400 and "is in the past" in page.text


def test_the_audience_and_its_messages_download_for_those_who_may_read_messages(people):
    served = people
    made = _written(served, "audience export")
    members = store.audience(served.state.engine, made.id)
    api = served.client.get(
        f"/campaigns/{made.id}/messages-export", headers=_api(served, "analyst")
    )
    assert api.status_code == 200 and api.headers["content-type"].startswith("text/csv")
    assert f'filename="campaign-{made.id}-messages.csv"' in api.headers["content-disposition"]
    table = pd.read_csv(io.StringIO(api.text), dtype=str)
    assert list(table.columns[:4]) == ["Rank", "Customer", "Group", "Risk"]
    assert "Message" in table.columns and "customer_id" not in table.columns
    assert set(table["Customer"]) == set(members["customer_id"])
    held = table[table["Group"] == "held out (not contacted)"]
    assert len(held) == (members["arm"] == "holdout").sum() and held["Message"].isna().all()
    contacted = table[table["Group"] == "contacted"]
    assert contacted["Message"].notna().sum() == sum(made.messages.values())
    french = served.client.get(
        f"/campaigns/{made.id}/messages-export",
        headers={**_api(served, "analyst"), "Accept-Language": "fr-FR,fr;q=0.9"},
    )
    lu = pd.read_csv(io.StringIO(french.text), dtype=str)
    assert list(lu.columns[:5]) == ["Rang", "Client", "Groupe", "Risque", "Probabilité d'attrition"]
    assert set(lu["Groupe"]) == {"contacté", "groupe témoin (non contacté)"}
    assert set(lu["Risque"].dropna()) <= {"élevé", "moyen", "faible"}
    assert lu["Probabilité d'attrition"].astype(float).between(0, 1).all()  # as a program reads
    assert (lu["Client"] == table["Customer"]).all()
    viewer = served.client.get(
        f"/campaigns/{made.id}/messages-export", headers=_api(served, "viewer")
    )
    assert viewer.status_code == 403
    where = f"/dashboard/campaigns/{made.id}"
    page_login(served.client, MAKER, where)
    assert "Download the audience and messages" in served.client.get(where).text
    download = served.client.get(f"{where}/messages.csv")
    assert download.status_code == 200 and download.content == api.content
    audience = served.client.get(f"{where}/audience.csv", headers={"Accept-Language": "fr"})
    assert audience.text.startswith("customer_id,arm\r\n")  # read back by the outcomes upload
    assert served.client.get(f"{where}/nothing.csv").status_code == 404
    page_login(served.client, VIEWER, where)
    assert served.client.get(f"{where}/messages.csv").status_code == 403
