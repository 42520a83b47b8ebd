"""The dashboard in Debian's Chromium: log in, the overview's charts drawn from stored KPIs,
the profile, roles refused on the server, log out; nothing fetched beyond 127.0.0.1."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from tests.browser.campaign_steps import working
from tests.browser.conftest import PASSWORD, USERS, shot


def _log_in(page, url: str, role: str) -> None:
    page.goto(f"{url}/dashboard/")
    assert "/auth/login" in page.url  # no page without a session
    page.fill("input[name=email]", USERS[role])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/dashboard/")


def test_log_in_see_the_overview_and_log_out(site, browse):
    open_page, watched = browse
    page = open_page()
    page.goto(f"{site.url}/auth/login")
    shot(page, "login")
    page.fill("input[name=email]", USERS["admin"])
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert page.locator(".notice.error").inner_text() == "wrong email or password"
    _log_in(page, site.url, "admin")
    cards = page.locator(".kpi")
    assert cards.count() == 6
    assert "400" in cards.nth(0).inner_text() and "since Oct 1, 2026" in page.content()
    page.wait_for_selector(".js-plotly-plot .main-svg")  # plotly drew the charts
    assert page.locator(".js-plotly-plot").count() == 3
    shot(page, "overview")
    assert any("plotly.min.js" in url for url in watched.urls)

    page.click("text=Users")
    assert page.locator("td", has_text=USERS["viewer"]).count() == 1
    shot(page, "users")
    page.click(f"text={USERS['admin']}")
    shot(page, "profile")
    page.click("button:has-text('Log out')")
    page.wait_for_url(f"{site.url}/auth/login")
    page.goto(f"{site.url}/dashboard/")
    assert "/auth/login" in page.url


def test_a_viewer_is_refused_the_admin_pages(site, browse):
    open_page, _ = browse
    page = open_page()
    _log_in(page, site.url, "viewer")
    assert page.locator("nav a", has_text="Users").count() == 0
    answer = page.goto(f"{site.url}/dashboard/users")
    assert answer.status == 403 and "viewer role may not" in page.content()


def _cells(page, column: int) -> list[str]:
    return page.locator(f"#customers tbody tr td:nth-child({column})").all_inner_texts()


def _submit(page, selector: str = "button:has-text('Show')") -> None:
    with page.expect_navigation():
        page.click(selector)


def test_customers_sorted_filtered_paginated_and_one_customer(site, browse):
    open_page, _ = browse
    page = open_page()
    _log_in(page, site.url, "viewer")
    _submit(page, "nav >> text=Customers")
    scores = [float(x) for x in _cells(page, 2)]
    assert len(scores) == 50 and scores == sorted(scores, reverse=True)
    shot(page, "customers")
    page.select_option("select[name=risk]", "high")
    _submit(page)
    assert set(_cells(page, 3)) == {"high"}
    page.select_option("select[name=risk]", "")
    page.select_option("select[name=sort]", "customer_id")
    page.select_option("select[name=order]", "asc")
    _submit(page)
    assert _cells(page, 1)[:2] == ["B00000", "B00001"]
    _submit(page, "a[rel=next]")
    assert _cells(page, 1)[0] == "B00050" and "51\u2013100" in page.content()
    page.fill("input[name=q]", "B0012")
    _submit(page)
    found = _cells(page, 1)
    assert len(found) == 10 and all(x.startswith("B0012") for x in found)

    _submit(page, "text=B00123")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    assert page.locator(".js-plotly-plot").count() == 2  # score history and reasons
    assert "Not in any campaign" in page.content()
    shot(page, "customer")
    missing = page.goto(f"{site.url}/dashboard/customers/nobody")
    assert missing.status == 404 and "No such customer" in page.content()


def test_an_analyst_creates_approves_and_measures_a_campaign(site, browse, tmp_path):
    from configs.schema import load_config
    from tests.browser.conftest import REPO
    from tests.integration.campaign_seed import generate_messages, messages_of

    open_page, _ = browse
    page = open_page()
    _log_in(page, site.url, "analyst")
    _submit(page, "nav >> text=Campaigns")
    _submit(page, "text=New campaign")
    page.wait_for_selector("#preview-figures")  # the live preview answered
    first = page.locator("#preview-figures").inner_text()
    page.fill("input[name=min_probability]", "0.5")
    changed = (  # a function, not an expression: the policy lets no page evaluate strings
        "(first) => document.querySelector('#preview-figures') && "
        "document.querySelector('#preview-figures').innerText !== first"
    )
    page.wait_for_function(changed, arg=first)
    page.wait_for_selector("#preview .js-plotly-plot .main-svg")  # the expected-profit curve
    shot(page, "campaign-new")
    page.fill("input[name=name]", "browser win-back")
    _submit(page, "button:has-text('Create the draft')")
    assert "/dashboard/campaigns/" in page.url and "browser win-back" in page.content()
    campaign_id = int(page.url.rsplit("/", 1)[1])

    config = load_config(REPO / "configs" / "telco.yaml")
    with ThreadPoolExecutor(1) as pool:  # the writer runs its own event loop (templates here)
        pool.submit(generate_messages, site.settings, config, campaign_id, int).result()
    page.reload()
    assert "draft messages to" in page.locator("#approve").inner_text()  # count and cost
    page.check("#approve input[name=confirm]")  # the confirmation, ticked
    _submit(page, "button:has-text('Approve the drafts')")
    assert page.locator("text=Messages approved").count() == 1
    members = tmp_path / "events.csv"
    ids = messages_of(site.settings, config, campaign_id)["customer_id"]
    members.write_text("customer_id,event\n" + "".join(f"{c},retained\n" for c in ids))
    page.set_input_files("input[name=events]", str(members))
    _submit(page, "button:has-text('Record')")
    assert f"{len(ids):,} new events recorded" in page.content()
    shot(page, "campaign")


def test_a_viewer_reads_campaigns_but_cannot_create_one(site, browse):
    open_page, _ = browse
    page = open_page()
    _log_in(page, site.url, "viewer")
    _submit(page, "nav >> text=Campaigns")
    assert page.locator("text=New campaign").count() == 0
    refused = page.goto(f"{site.url}/dashboard/campaigns/new")
    assert refused.status == 403


def test_the_original_products_campaign_json(site):
    import httpx

    with httpx.Client(base_url=site.url) as client:
        login = client.post("/auth/login", json={"email": USERS["analyst"], "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        body = {
            "name": "api win-back",
            "segment_filter": {"churn_score_min": 0.6},
            "email_template": "loyalty-discount",
            "scheduled_at": "2036-12-01T09:00:00Z",
        }
        made = client.post("/dashboard/campaigns", json=body, headers=headers)
        assert made.status_code == 201, made.text
        assert made.json()["segment_filter"]["min_probability"] == 0.6
        wrong = client.post(
            "/dashboard/campaigns", headers=headers, json={**body, "email_template": "<script>"}
        )
        assert wrong.status_code == 422 and "email_template" in wrong.json()["detail"]
        past = {**body, "scheduled_at": "2020-12-01T09:00:00Z"}
        late = client.post("/dashboard/campaigns", json=past, headers=headers)
        assert late.status_code == 409 and "scheduled_at: 2020-12-01" in late.json()["detail"]
        assert "in the past" in late.json()["detail"]
        assert client.post("/dashboard/campaigns", json=body).status_code == 401
        viewer = client.post("/auth/login", json={"email": USERS["viewer"], "password": PASSWORD})
        seen = {"Authorization": f"Bearer {viewer.json()['access_token']}"}
        assert client.post("/dashboard/campaigns", json=body, headers=seen).status_code == 403
        assert client.get("/dashboard/kpis", headers=seen).json()["total_clients"] == 400
        clients = client.get(
            "/dashboard/clients?sort=churn_score&order=desc&limit=5", headers=seen
        ).json()
        scores = [c["churn_score"] for c in clients["clients"]]
        assert clients["total"] == 400 and scores == sorted(scores, reverse=True)


def test_an_upload_with_bad_rows_shows_their_reasons(site, browse, tmp_path):
    from data.generate import generate_customers

    customers = generate_customers(200, seed=21)
    customers.loc[5, "tenure"] = -3
    customers["MonthlyCharges"] = customers["MonthlyCharges"].astype(object)
    customers.loc[9, "MonthlyCharges"] = "lots"
    path = tmp_path / "april.csv"
    customers.to_csv(path, index=False)
    open_page, _ = browse
    page = open_page()
    _log_in(page, site.url, "analyst")
    _submit(page, "nav >> text=Data")
    page.set_input_files("input[name=file]", str(path))
    _submit(page, "button:has-text('Check it')")
    assert "Checking the file" in page.content()  # queued for the jobs worker
    with working(site):  # the page polls the check, then reloads with its verdict
        page.wait_for_selector("#reasons", timeout=60_000)
    assert "198 rows pass the contract; 2 are quarantined" in page.content()
    assert page.locator("#reasons tbody tr").count() >= 1
    shot(page, "data")
    with page.expect_download() as download:
        page.click("text=download them with their reasons")
    assert download.value.suggested_filename.startswith("quarantine-")


def test_a_password_reset_through_the_mail(site, browse, mailbox):
    import re
    from email import message_from_bytes

    from tasks.services import accounts
    from tasks.services.context import Context

    recorder, _ = mailbox
    new = accounts.NewUser("forgetful@example.test", "viewer", PASSWORD)
    accounts.create_user(Context(site.settings), new)
    open_page, _ = browse
    page = open_page()
    page.goto(f"{site.url}/auth/login")
    _submit(page, "text=Forgot your password?")
    page.fill("input[name=email]", "forgetful@example.test")
    before = len(recorder.received)
    _submit(page, "button[type=submit]")
    assert "a reset link is on its way" in page.content()
    deadline = time.monotonic() + 20  # the mail is sent after the answer
    while len(recorder.received) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    body = message_from_bytes(recorder.received[-1].content).get_payload(decode=True).decode()
    link = re.search(r"(http://127\.0\.0\.1:\d+/auth/reset/\S+)", body).group(1)
    page.goto(link)
    page.fill("input[name=password]", "a brand new passphrase")
    _submit(page, "button[type=submit]")
    assert "Password changed" in page.content()
    page.goto(link)
    page.fill("input[name=password]", "yet another passphrase")
    _submit(page, "button[type=submit]")
    assert "used, expired or unknown" in page.content()
    page.goto(f"{site.url}/auth/login")
    page.fill("input[name=email]", "forgetful@example.test")
    page.fill("input[name=password]", "a brand new passphrase")
    _submit(page, "button[type=submit]")
    assert page.url == f"{site.url}/dashboard/"
