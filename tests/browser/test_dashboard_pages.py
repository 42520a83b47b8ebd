"""The dashboard in Debian's Chromium: log in, the overview's charts drawn from stored KPIs,
the profile, roles refused on the server, log out; nothing fetched beyond 127.0.0.1."""

from __future__ import annotations

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
    assert "400" in cards.nth(0).inner_text() and "since 2026-10-01" in page.content()
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
