"""Every dashboard page at a phone's width (390 px) in Debian's Chromium: nothing wider than
the screen (tables scroll inside their card), the navigation folds into a menu that opens,
and Log out is on screen and works."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in, shot

WIDTH = 390
PAGES = [
    "/dashboard/",
    "/dashboard/customers",
    "/dashboard/customers/B00001",
    "/dashboard/campaigns",
    "/dashboard/survival",
    "/dashboard/heatmaps",
    "/dashboard/model",
    "/dashboard/data",
    "/dashboard/users",
    "/dashboard/tokens",
    "/dashboard/profile",
]


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width} px wide at a {WIDTH} px screen"
    log_out = page.locator("button:has-text('Log out')")
    assert log_out.is_visible()
    box = log_out.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (page.url, box)


def test_every_page_fits_a_phone_and_keeps_log_out_on_screen(site, browse):
    open_page, _ = browse
    page = open_page(width=WIDTH, height=844)
    log_in(page, site.url, "admin")
    for path in PAGES:
        page.goto(f"{site.url}{path}")
        page.wait_for_load_state("load")
        if page.locator("[data-chart], .plotly-graph-div").count():
            page.wait_for_selector(".js-plotly-plot .main-svg")
        _fits(page)
        shot(page, "narrow" + path.rstrip("/").replace("/", "-"))


def test_the_menu_opens_on_a_phone_and_leads_to_a_page(site, browse):
    open_page, _ = browse
    page = open_page(width=WIDTH, height=844)
    log_in(page, site.url, "admin")
    customers = page.locator("nav a:has-text('Customers')")
    assert not customers.is_visible()  # folded away
    page.click("label.menu-button")
    assert customers.is_visible()
    assert page.locator("nav a:has-text('API tokens')").is_visible()
    _fits(page)
    customers.click()
    page.wait_for_url(f"{site.url}/dashboard/customers")
    page.click("button:has-text('Log out')")
    page.wait_for_url(f"{site.url}/auth/login")


@pytest.mark.parametrize("path", ["/dashboard/users", "/dashboard/tokens"])
def test_a_refused_page_keeps_the_navigation(site, browse, path):
    open_page, _ = browse
    page = open_page(width=WIDTH, height=844)
    log_in(page, site.url, "viewer")
    answer = page.goto(f"{site.url}{path}")
    assert answer.status == 403
    assert page.locator("nav a:has-text('Overview')").count() == 1
    assert page.locator("nav a:has-text('API tokens')").count() == 0  # admins only
    _fits(page)


def test_kpi_definitions_show_on_hover_and_on_keyboard_focus(site, browse):
    open_page, _ = browse
    page = open_page()
    log_in(page, site.url, "viewer")
    heading = page.locator(".kpi h2.tip").nth(2)
    tip = heading.locator(".tip-text")
    assert not tip.is_visible()
    heading.hover()
    assert tip.is_visible() and "high risk segment" in tip.inner_text()
    page.mouse.move(0, 0)
    assert not tip.is_visible()
    heading.focus()  # reachable by Tab: tabindex=0
    assert tip.is_visible()
    described = heading.get_attribute("aria-describedby")
    assert page.locator(f"#{described}").inner_text() == tip.inner_text()


def test_a_dangerous_action_asks_first_and_the_step_fits_a_phone(site, browse):
    open_page, _ = browse
    page = open_page(width=WIDTH, height=844)
    log_in(page, site.url, "admin")
    page.goto(f"{site.url}/dashboard/model")
    page.click("button:has-text('Roll back the champion')")
    page.wait_for_selector("#confirm")
    assert "Roll back the champion?" in page.inner_text("#confirm h1")
    _fits(page)
    page.click("#confirm a:has-text('Cancel')")
    page.wait_for_url(f"{site.url}/dashboard/model")


def test_heatmap_labels_are_not_cut_and_bands_read_in_order(site, browse):
    open_page, _ = browse
    page = open_page(width=WIDTH, height=844)
    log_in(page, site.url, "viewer")
    page.goto(f"{site.url}/dashboard/heatmaps")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    _fits(page)
    figure = page.locator("figure.chart").first.bounding_box()
    labels = page.locator(".js-plotly-plot .ytick text, .js-plotly-plot .xtick text")
    assert labels.count() >= 8
    for n in range(labels.count()):
        box = labels.nth(n).bounding_box()
        assert box["x"] >= figure["x"] and box["x"] + box["width"] <= figure["x"] + figure["width"]
    bands = page.locator(".js-plotly-plot .xtick text").all_text_contents()
    assert bands == ["0-6 months", "6-12 months", "12-24 months", "24-48 months", "48+ months"]
    assert page.locator(".modebar-container .modebar-btn").count() == 0  # no toolbar
