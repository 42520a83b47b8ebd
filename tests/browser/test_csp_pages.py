"""The Content-Security-Policy in Debian's Chromium: the overview, model and new-campaign
pages (htmx preview) draw their Plotly charts with no violation in the console, and the
Evidently drift report renders in its sandbox, cut off from the app's cookies."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.browser.conftest import PASSWORD, USERS, shot

VIOLATION = ("Content Security Policy", "Content-Security-Policy", "Refused to")


def _log_in(page, url: str, role: str) -> None:
    page.goto(f"{url}/auth/login")
    page.fill("input[name=email]", USERS[role])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/dashboard/")


def _console(page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda message: seen.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: seen.append(f"pageerror: {error}"))
    return seen


def _seed_model_page(site) -> None:
    """Realised performance (the model page's chart) and a drift check with its report."""
    from configs.schema import load_config
    from data.generate import generate_customers
    from tasks.adapters import db, report_store
    from tasks.adapters.drift_report import run_drift_report
    from tasks.adapters.tables import drift_reports, realised_performance
    from tasks.core.contract import validate_frame
    from tests.browser.conftest import REPO

    config = load_config(REPO / "configs" / "telco.yaml")
    now, dataset = datetime.now(UTC), config.dataset.name
    for month, auc in ((9, 0.81), (10, 0.79)):
        row = {
            "rows": 400,
            "roc_auc": auc,
            "brier": 0.15,
            "precision_at_10": 0.5,
            "details": {},
            "alert": None,
            "computed_at": now,
        }
        key = {"dataset": dataset, "model_version": "1", "as_of": date(2026, month, 1)}
        db.upsert(site.engine, realised_performance, key, row)
    frames = [
        validate_frame(generate_customers(600, seed, drift=seed == 8), config, "scoring")
        for seed in (7, 8)
    ]
    html = site.settings.reports_dir / "monitoring" / "2026-11-01" / "drift_report.html"
    summary, _ = run_drift_report(frames[0].clean, frames[1].clean, config, html)
    row = {
        "dataset_drift": summary.dataset_drift,
        "drifted_share": summary.drifted_share,
        "summary": {"columns": []},
        "action": "none",
        "run_id": "check-1",
        "report_uri": report_store.publish(site.settings, html),
        "created_at": now,
    }
    key = {"dataset": dataset, "as_of": date(2026, 11, 1), "model_version": "1"}
    db.upsert(site.engine, drift_reports, key, row)


def test_the_charts_draw_under_the_policy_with_no_violation(site, browse):
    _seed_model_page(site)
    open_page, _ = browse
    page = open_page()
    console = _console(page)
    _log_in(page, site.url, "analyst")
    nonces = set()
    for path, charts in (("/dashboard/", 3), ("/dashboard/model", 1)):
        answer = page.goto(f"{site.url}{path}")
        policy = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self' 'nonce-" in policy
        nonces.add(policy.split("'nonce-")[1].split("'")[0])
        assert answer.headers["x-frame-options"] == "DENY"
        page.wait_for_selector(".js-plotly-plot .main-svg")  # plotly drew the charts
        assert page.locator(".js-plotly-plot .main-svg").first.is_visible()
        assert page.locator(".js-plotly-plot").count() == charts, path
        shot(page, f"csp{path.replace('/', '-')}")
    assert len(nonces) == 2  # a fresh nonce per response

    page.goto(f"{site.url}/dashboard/campaigns/new")  # htmx swaps the preview with its chart
    page.wait_for_selector("#preview .js-plotly-plot .main-svg")
    page.fill("input[name=min_probability]", "0.5")
    page.wait_for_selector("#preview .js-plotly-plot .main-svg")
    violations = [m for m in console if any(word in m for word in VIOLATION)]
    assert violations == [], violations
    assert not [m for m in console if m.startswith(("error", "pageerror"))], console


def test_the_drift_report_renders_in_its_sandbox(site, browse):
    open_page, _ = browse
    page = open_page()
    console = _console(page)
    _log_in(page, site.url, "viewer")
    page.goto(f"{site.url}/dashboard/model")
    link = page.locator("a[href*='/dashboard/model/drift-report']").first.get_attribute("href")
    answer = page.goto(f"{site.url}{link}")
    assert answer.status == 200
    assert answer.headers["content-security-policy"].startswith("sandbox allow-scripts ")
    page.wait_for_function("document.body && document.body.innerText.includes('Drift')")
    assert page.evaluate("window.origin") == "null"  # an origin of its own
    shot(page, "csp-drift-report")
    violations = [m for m in console if any(word in m for word in VIOLATION)]
    assert violations == [], violations
