"""A campaign created in Chromium: its page's progress block polls (htmx, under the
Content-Security-Policy) while the jobs worker writes its messages, then the page reloads
by itself and offers the approval, with no violation in the console."""

from __future__ import annotations

import threading
import time

from tests.browser.conftest import PASSWORD, REPO, USERS, shot
from tests.browser.test_csp_pages import VIOLATION


def _log_in(page, url: str) -> None:
    page.goto(f"{url}/auth/login")
    page.fill("input[name=email]", USERS["analyst"])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/dashboard/")


def _console(page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda message: seen.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: seen.append(f"pageerror: {error}"))
    return seen


def _work_for(site, seconds: float) -> threading.Thread:
    """The jobs worker (as `retainai serve` runs it), for `seconds`, in a thread."""
    from configs.schema import load_config
    from tasks.services.context import Context
    from tasks.services.jobs.worker import Worker

    worker = Worker(Context(site.settings), load_config(REPO / "configs" / "telco.yaml"))

    def run() -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not worker.run_once():
                time.sleep(0.3)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_the_progress_refreshes_itself_until_the_messages_are_written(site, browse):
    open_page, _ = browse
    page = open_page()
    console = _console(page)
    _log_in(page, site.url)
    page.goto(f"{site.url}/dashboard/campaigns/new")
    page.fill("input[name=name]", "browser progress")
    page.fill("input[name=limit]", "15")
    page.click("#campaign-form button[type=submit]")
    page.wait_for_url("**/dashboard/campaigns/*")
    assert page.locator("#progress[hx-trigger='every 2s']").count() == 1
    _work_for(site, 30)
    page.wait_for_selector("text=Approve the drafts", timeout=30_000)  # reloaded by itself
    assert page.locator("#progress[hx-trigger]").count() == 0  # no more polling
    assert "of" in page.locator("#progress-written").inner_text()
    shot(page, "campaign-progress")
    violations = [m for m in console if any(word in m for word in VIOLATION)]
    assert violations == [], violations
    assert not [m for m in console if m.startswith(("error", "pageerror"))], console
