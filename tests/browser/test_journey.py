"""The retention team's journey in Chromium, on the pages only: an analyst drafts a campaign
(its preview first), watches its messages being written, edits one, approves it (the count
and the cost named), sends it now, the local mail server receives the emails, uploads the
outcome events and reads the lift and the net revenue with their intervals; in English and
in French (the pages' words and numbers, and each contact's email in its own language)."""

from __future__ import annotations

import csv
import io
import re
import time
from email import message_from_bytes
from email.message import Message

import pytest
from playwright.sync_api import expect

from tests.browser.campaign_steps import (
    WAIT,
    choose_language,
    clean,
    console_of,
    draft,
    signed_in,
    team_dashboard,
    treated_of,
    working,
)
from tests.browser.conftest import shot

# The words each language's pages use at each step (the French catalogue's).
WORDS = {
    "en": {
        "new": "New campaign",
        "preview": "Who this would contact",
        "saved": "Message saved as edited.",
        "edited": "Edited by",
        "waiting": "draft messages to",
        "recorded": "new events recorded",
        "lift": "95% interval",
        "net": "Net revenue",
        "bootstrap": "95% bootstrap interval",
        "offer": "Loyalty discount",
        "by template": "template (no language model key)",
        "by edit": "edited",
        "p": r"p = 0\.\d{3}",
    },
    "fr": {
        "new": "Nouvelle campagne",
        "preview": "Qui serait contacté",
        "saved": "Message modifié enregistré.",
        "edited": "Modifié par",
        "waiting": "brouillons de messages destinés à",
        "recorded": "nouveaux événements enregistrés",
        "lift": "intervalle à 95 %",
        "net": "Revenu net",
        "bootstrap": "intervalle bootstrap à 95 %",
        "offer": "Remise fidélité",
        "by template": "modèle de message (pas de clé de modèle de langage)",
        "by edit": "modifié",
        "p": r"p = 0,\d{3}",
    },
}


@pytest.fixture(scope="module")
def team_site(tmp_path_factory, mailbox):
    with team_dashboard(tmp_path_factory.mktemp("journey"), mailbox[1]) as served:
        yield served


def _mails(recorder, since: int, count: int) -> list[Message]:
    deadline = time.monotonic() + WAIT / 1000
    while len(recorder.received) < since + count and time.monotonic() < deadline:
        time.sleep(0.1)
    return [message_from_bytes(r.content) for r in recorder.received[since:]]


def _text(mail: Message) -> str:
    for part in mail.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text part")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_an_analyst_takes_a_campaign_from_draft_to_its_report(team_site, browse, mailbox, language):
    site, words, (recorder, _) = team_site, WORDS[language], mailbox
    open_page, _ = browse
    page = signed_in(open_page, site, "analyst")
    console = console_of(page)
    choose_language(page, site, language)
    page.goto(f"{site.url}/dashboard/campaigns/new")
    expect(page.locator("h1")).to_have_text(words["new"])
    expect(page.locator("#preview h2").first).to_have_text(words["preview"], timeout=WAIT)
    campaign = draft(page, site, f"journey {language}", limit=20)
    shot(page, f"journey-{language}-writing")

    # The messages are written in the background; the progress block follows by itself and
    # the page reloads once they are, offering the approval.
    assert page.locator("#progress[hx-trigger='every 2s']").count() == 1
    with working(site):
        page.wait_for_selector("#approve", timeout=WAIT)
        treated = treated_of(page)
        n = len(treated)  # the 20 less the holdout (30 %, drawn per campaign)
        assert 10 <= n <= 18, treated
        expect(page.locator("#progress-written")).to_contain_text(f"{n} ")

        # One message opened, its text changed: it shows as edited.
        page.click(f"#messages a:text-is('{treated[0]}')")
        page.wait_for_selector("#edit")
        share = "(t) => t.getBoundingClientRect().width / t.form.getBoundingClientRect().width"
        assert page.eval_on_selector("#edit textarea", share) > 0.8  # room to write in
        page.fill("#edit textarea[name=body]", "A personal word from your account manager.")
        page.click("#edit button[type=submit]")
        expect(page.locator("p.notice").first).to_contain_text(words["saved"])
        expect(page.locator("#message")).to_contain_text(words["edited"])
        expect(page.locator("#message-body")).to_have_text(
            "A personal word from your account manager."
        )
        shot(page, f"journey-{language}-message")
        page.click("h1 a")

        # Approved: the confirmation names the count and the cost; the box ticked.
        approve = page.locator("#approve")
        expect(approve).to_contain_text(words["waiting"])
        assert re.search(rf"\b{n}\b", approve.inner_text())
        assert "$" in approve.inner_text()
        if language == "fr":  # French money: comma decimals, the sign after a narrow space
            assert re.search(r"\d,\d{2}\s\$", approve.inner_text()), approve.inner_text()
        shot(page, f"journey-{language}-approve")
        approve.locator("input[name=confirm]").check()
        approve.locator("button[type=submit]").click()
        page.wait_for_selector("#progress form[action$='/send']")

        # Sent now (confirmed): the progress follows the send until all are sent.
        before = len(recorder.received)
        send = page.locator("#progress form[action$='/send']")
        send.locator("input[name=confirm]").check()
        send.locator("button[type=submit]").click()
        expect(page.locator("#progress-sent")).to_have_text(str(n), timeout=WAIT)
        expect(page.locator("#progress-waiting")).to_have_text("0", timeout=WAIT)
        page.wait_for_selector("#progress:not([hx-trigger])", timeout=WAIT)
        shot(page, f"journey-{language}-sent")

    # The local mail server has the emails, each in its contact's language.
    mails = _mails(recorder, before, n)
    assert len(mails) == n
    languages = set()
    for mail in mails:
        body = _text(mail)
        french = body.startswith("Bonjour")
        languages.add(french)
        assert body.startswith("Bonjour" if french else "Hello"), body
        assert ("Remise fidélité" if french else "Loyalty discount") in body, body
        assert re.search(re.escape(site.url) + r"/unsubscribe/\S+", body), body
    assert any(
        "A personal word from your account manager." in _text(m) for m in mails
    )  # the edit is what was sent
    assert languages == {True, False}, "the seeded contacts are in both languages"

    # The outcomes: the audience (both arms) downloaded from the page, events uploaded.
    with page.expect_download() as download:
        page.click("#audience-download")
    members = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert {m["customer_id"] for m in members if m["arm"] == "treated"} == set(treated)
    holdout = [m["customer_id"] for m in members if m["arm"] == "holdout"]
    assert len(holdout) == 20 - n
    events = ["customer_id,event"]
    events += [f"{c},{'retained' if n % 5 else 'churned'}" for n, c in enumerate(treated)]
    events += [f"{c},{'retained' if n % 2 else 'churned'}" for n, c in enumerate(holdout)]
    events += [f"{c},accepted" for c in treated[:5]]
    page.set_input_files(
        "#report input[name=events]",
        {"name": "outcomes.csv", "mimeType": "text/csv", "buffer": "\n".join(events).encode()},
    )
    page.click("#report button[type=submit]")
    expect(page.locator("p.notice").first).to_contain_text(f"{20 + 5} {words['recorded']}")

    # The report: the lift with its 95 % interval, the net revenue with its interval.
    report = page.locator("#report")
    expect(report).to_contain_text(words["lift"])
    expect(report).to_contain_text(words["net"])
    expect(report).to_contain_text(words["bootstrap"])
    text = report.inner_text()
    point = r"[+\-\u2212]?\d+" + ("\\." if language == "en" else ",") + r"\d"
    interval = rf"\[{point}, {point}\]"  # the lift's, in points, in the page's decimals
    assert re.search(interval, text), text
    money = r"-?\$?\d[\d\u00a0\u202f,.]*(?:[\u00a0\u202f ]\$US)?"
    net = re.search(rf"{words['net']}\s+({money}) \[({money}), ({money})\]", text)
    assert net and all("$" in figure for figure in net.groups()), text
    if language == "fr":
        assert "Bilan" in text and "Download" not in text and "Report" not in text
        assert "groupe témoin : gain" in text  # French punctuation: a space before a colon
    assert re.search(words["p"], text), text
    # The campaign in business words: the offer by its name, how each message was written.
    expect(page.locator(".cards")).to_contain_text(words["offer"])
    assert "loyalty-discount" not in page.locator("main").inner_text()
    written_by = page.locator("#messages tbody td:nth-child(4)").all_inner_texts()
    assert written_by.count(words["by edit"]) == 1, written_by
    assert set(written_by) == {words["by edit"], words["by template"]}, written_by
    page.goto(f"{site.url}/dashboard/campaigns/{campaign}")
    shot(page, f"journey-{language}-report")
    narrow = open_page(width=390)
    narrow.context.add_cookies(page.context.cookies())
    narrow.goto(f"{site.url}/dashboard/campaigns/{campaign}")
    wide = narrow.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390, f"the campaign page is {wide} px wide at 390 px"
    hidden = "(c) => c.scrollWidth - c.clientWidth"  # what a card would scroll sideways
    widest = """(c) => [...c.querySelectorAll('*')].filter((e) =>
        e.getBoundingClientRect().right > c.getBoundingClientRect().right + 1)
        .map((e) => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().width)"""
    for card in ("#progress", "#report"):
        cut = narrow.eval_on_selector(card, hidden)
        assert cut <= 1, f"{card} is cut at 390 px: {narrow.eval_on_selector(card, widest)}"
    shot(narrow, f"journey-{language}-narrow")
    clean(console)
