"""Who may do what on a campaign's pages, in Chromium: with the four-eyes rule on, its
creator's approval is refused and a second analyst's accepted; an admin sees what is not
configured on the overview; a viewer sees a campaign but no action, and every action it
posts anyway is refused."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.campaign_steps import (
    TEAM,
    approve,
    choose_language,
    clean,
    console_of,
    drafted,
    signed_in,
    team_dashboard,
    treated_of,
)
from tests.browser.conftest import TELCO, shot


@pytest.fixture(scope="module")
def four_eyes_site(tmp_path_factory, mailbox):
    """The team's dashboard with campaigns.require_second_approver on (a run config copy)."""
    folder = tmp_path_factory.mktemp("four-eyes")
    text = TELCO.read_text()
    assert "require_second_approver: false" in text
    config = folder / "telco.yaml"
    config.write_text(
        text.replace("require_second_approver: false", "require_second_approver: true")
    )
    with team_dashboard(folder, mailbox[1], config) as served:
        yield served


def test_with_four_eyes_the_creator_may_not_approve_and_a_second_analyst_does(
    four_eyes_site, browse
):
    site = four_eyes_site
    open_page, _ = browse
    creator = signed_in(open_page, site, "analyst")
    console = console_of(creator)
    campaign = drafted(creator, site, "four eyes")
    expect(creator.locator("#approve")).to_contain_text(
        f"A person other than its creator ({TEAM['analyst']}) must approve this campaign."
    )
    approve(creator)
    refusal = creator.locator("p.notice.error")
    expect(refusal).to_contain_text("not approved")
    expect(refusal).to_contain_text("another person must approve it")
    expect(creator.locator("#approve")).to_be_visible()  # still a draft, still offered
    shot(creator, "journey-four-eyes-refused")
    choose_language(creator, site, "fr")  # the refusal in the creator's language
    creator.goto(f"{site.url}/dashboard/campaigns/{campaign}")
    approve(creator)
    expect(creator.locator("p.notice.error")).to_contain_text(
        f"non approuvé : {TEAM['analyst']} a créé la campagne {campaign} : une autre personne"
    )
    clean(console)

    second = signed_in(open_page, site, "analyst2")
    second.goto(f"{site.url}/dashboard/campaigns/{campaign}")
    approve(second)
    second.wait_for_selector("#progress form[action$='/send']")
    assert second.locator("p.notice.error").count() == 0
    assert second.locator("#approve").count() == 0


def test_the_admin_sees_what_is_not_configured(site, browse):
    open_page, _ = browse
    page = signed_in(open_page, site, "admin")
    warnings = page.locator("#setup-warnings")
    expect(warnings).to_contain_text("No LLM key")
    expect(warnings).to_contain_text("RETAINAI_LLM_API_KEY")
    expect(warnings).to_contain_text("No training source")
    shot(page, "journey-admin-warnings")
    viewer = signed_in(open_page, site, "viewer")
    assert viewer.locator("#setup-warnings").count() == 0


def test_a_viewer_sees_a_campaign_but_may_change_nothing(four_eyes_site, browse):
    site = four_eyes_site
    open_page, _ = browse
    analyst = signed_in(open_page, site, "analyst")
    campaign = drafted(analyst, site, "look but do not touch")
    customer = treated_of(analyst)[0]

    viewer = signed_in(open_page, site, "viewer")
    viewer.goto(f"{site.url}/dashboard/campaigns/{campaign}")
    expect(viewer.locator("h1")).to_contain_text("look but do not touch")
    assert viewer.locator("main form, main button").count() == 0  # no action offered
    assert viewer.locator("#messages").count() == 0  # nor the customers' messages
    shot(viewer, "journey-viewer")
    viewer.goto(f"{site.url}/dashboard/profile")
    token = viewer.locator("#language-form input[name=csrf_token]").input_value()
    where = f"{site.url}/dashboard/campaigns/{campaign}"
    message = f"{where}/messages/{customer}/email"
    posts = {
        f"{where}/approve": {"confirm": "yes", "expected": "4"},
        f"{where}/send": {"confirm": "yes"},
        f"{message}/edit": {"body": "A viewer's words.", "subject": "Hi", "call_to_action": "Go"},
        f"{where}/cancel": {"confirm": "yes"},
    }
    for url, form in posts.items():
        answer = viewer.request.post(url, form={"csrf_token": token, **form})
        assert answer.status == 403, (url, answer.status)
    events = {
        "name": "e.csv",
        "mimeType": "text/csv",
        "buffer": f"customer_id,event\n{customer},retained\n".encode(),
    }
    answer = viewer.request.post(
        f"{where}/events", multipart={"csrf_token": token, "events": events}
    )
    assert answer.status == 403, answer.status
    for url in (message, f"{where}/audience.csv"):
        assert viewer.request.get(url).status == 403, url
    # The analyst's page still shows the drafts as they were: nothing changed.
    analyst.reload()
    expect(analyst.locator("#approve")).to_be_visible()
    analyst.goto(message)
    assert "A viewer's words." not in analyst.locator("#message-body").inner_text()
