"""The steps of a campaign on its pages, shared by the journey tests: a dashboard for the
team (two analysts, campaign emails sent), the jobs worker in a thread as `retainai serve`
runs it, the new-campaign form filled, the drafts approved, the console checked."""

from __future__ import annotations

import re
import secrets
import threading
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import expect

from configs.schema import load_config
from tests.browser.conftest import TELCO, USERS, log_in, serve_dashboard
from tests.browser.test_csp_pages import VIOLATION

TEAM = {**USERS, "analyst2": "bea@example.test"}
WAIT = 30_000  # ms: the longest any step may take on a busy machine


@contextmanager
def team_dashboard(folder: Path, smtp_port: int, config: Path = TELCO):
    """A dashboard that sends campaign emails (an unsubscribe key set), with two analysts."""
    key = secrets.token_hex(32)
    with serve_dashboard(folder, smtp_port, config, users=TEAM, secret_key=key) as served:
        yield served


@contextmanager
def working(site):
    """The jobs worker, as `retainai serve` runs it, in a thread until the block ends."""
    from tasks.services.context import Context
    from tasks.services.jobs.worker import Worker

    worker, stop = Worker(Context(site.settings), load_config(site.config_path)), threading.Event()

    def run() -> None:
        while not stop.is_set():
            if not worker.run_once():
                stop.wait(0.2)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def console_of(page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda message: seen.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: seen.append(f"pageerror: {error}"))
    return seen


def clean(console: list[str]) -> None:
    bad = [
        m for m in console if m.startswith(("error", "pageerror")) or any(w in m for w in VIOLATION)
    ]
    assert bad == [], bad


def signed_in(open_page, site, role: str, width: int = 1280):
    page = open_page(width=width)
    log_in(page, site.url, role, TEAM)
    return page


def choose_language(page, site, language: str) -> None:
    page.goto(f"{site.url}/dashboard/profile")
    page.select_option("#language-form select[name=language]", language)
    page.click("#language-form button[type=submit]")
    page.wait_for_load_state()


def draft(page, site, name: str, limit: int, holdout: str = "0.3") -> str:
    """The new-campaign form filled and sent: the campaign's page; its id."""
    page.goto(f"{site.url}/dashboard/campaigns/new")
    page.fill("input[name=name]", name)
    page.fill("input[name=limit]", str(limit))
    page.fill("input[name=holdout_share]", holdout)
    page.check("input[name=channel][value=email]")
    page.uncheck("input[name=channel][value=sms]")
    audience = page.locator("#preview-figures tr").nth(1).locator("td")
    expect(audience).to_have_text(str(limit), timeout=WAIT)  # the preview followed the form
    page.click("#campaign-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard/campaigns/\d+$"))
    return page.url.rsplit("/", 1)[1]


def treated_of(page) -> list[str]:
    return page.locator("#messages tbody td:first-child a").all_inner_texts()


def drafted(page, site, name: str) -> str:
    """A small campaign drafted on the pages and its messages written: its id."""
    campaign = draft(page, site, name, limit=6)
    with working(site):
        page.wait_for_selector("#approve", timeout=WAIT)
    return campaign


def approve(page) -> None:
    approve = page.locator("#approve")
    approve.locator("input[name=confirm]").check()
    approve.locator("button[type=submit]").click()
    page.wait_for_load_state()
