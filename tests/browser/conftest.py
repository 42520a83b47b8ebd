"""A live dashboard (uvicorn on 127.0.0.1, a scored state) and Debian's Chromium driven by
Playwright. Every request the browser makes is checked: none may leave 127.0.0.1. The tests
skip, saying why, where /usr/bin/chromium is not installed (`make test` installs it as root)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pytest

from configs.schema import load_config
from configs.settings import Settings
from data.contacts import generate_contacts
from tasks.adapters import campaign_store, db
from tasks.adapters.tables import customer_scores, kpi_snapshots
from tasks.core.contacts import contact_rows
from tasks.core.kpis import assign_risk_segments, compute_kpis
from tasks.services import accounts
from tasks.services.context import Context
from tests.integration.smtp_server import Recorder, smtp_server

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "tests" / "artifacts"
TELCO = REPO / "configs" / "telco.yaml"
PASSWORD = "browser test passphrase"
USERS = {"admin": "ada@example.test", "analyst": "ana@example.test", "viewer": "vic@example.test"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _heatmap(rng) -> dict:
    """A stored heatmap table as a scoring run keeps it (its bands in text order)."""
    rows = ["Month-to-month", "One year", "Two year"]
    columns = ["0-6 months", "12-24 months", "24-48 months", "48+ months", "6-12 months"]
    rates = rng.uniform(0, 0.6, (len(rows), len(columns))).round(3).tolist()
    return {
        "rows": rows,
        "columns": columns,
        "customers": rng.integers(5, 60, (len(rows), len(columns))).tolist(),
        "mean_score": rates,
        "churn_rate": None,
    }


def seed_dashboard(engine, config, customers: int = 400) -> None:
    """Two scoring dates of scores and their KPI snapshots, computed as a scoring run does."""
    rng = np.random.default_rng(11)
    contracts = np.array(config.dataset.segment_values, dtype=object)
    now = datetime.now(UTC)
    for as_of, shift in ((date(2026, 10, 1), 0.0), (date(2026, 11, 1), 0.05)):
        probability = np.clip(rng.beta(2, 5, customers) + shift, 0, 1)
        scores = pd.DataFrame(
            {
                "customer_id": [f"B{i:05d}" for i in range(customers)],
                "churn_probability": probability,
                "risk_segment": assign_risk_segments(probability, config.segments),
                "monthly_value": rng.uniform(20, 110, customers),
                "segment_value": contracts[rng.integers(0, len(contracts), customers)],
                "expected_remaining_months": rng.uniform(5, 24, customers),
                "lifetime_value": rng.uniform(200, 2500, customers),
            }
        )
        kpis = compute_kpis(scores, config)
        kpis["heatmaps"] = {"Contract x tenure band": _heatmap(rng)}
        reasons = [
            [
                {"feature": "Contract", "value": c, "contribution": round(2 * p - 0.4, 3)},
                {"feature": "tenure", "value": 12, "contribution": -0.31},
            ]
            for c, p in zip(scores["segment_value"], probability, strict=True)
        ]
        rows = scores.assign(
            dataset=config.dataset.name,
            as_of=as_of,
            model_version="1",
            top_reasons=reasons,
            scored_at=now,
            run_id=f"r{as_of}",
        )
        with engine.begin() as connection:
            connection.execute(customer_scores.insert(), rows.to_dict("records"))
            connection.execute(
                kpi_snapshots.insert().values(
                    dataset=config.dataset.name,
                    as_of=as_of,
                    model_version="1",
                    kpis=kpis,
                    run_id=f"r{as_of}",
                    created_at=now,
                )
            )


@dataclass
class Site:
    url: str
    engine: object
    settings: Settings
    config_path: Path = TELCO


@pytest.fixture(scope="session")
def mailbox() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        yield recorder, port


@contextmanager
def serve_dashboard(
    folder: Path, smtp_port: int, config_path: Path = TELCO, users=USERS, **settings
) -> Iterator[Site]:
    """A dashboard served from `folder` (its own database, seeded: scores, contacts and
    `users`, role to email, `analyst2` a second analyst), with `config_path` and these
    Settings fields."""
    import uvicorn

    from configs.settings import ServingSettings
    from serving.app import create_app

    port = _free_port()
    settings = Settings(
        state_dir=folder,
        public_url=f"http://127.0.0.1:{port}",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_security="none",
        mail_from="RetainAI <noreply@example.test>",
        **settings,
    )
    config = load_config(config_path)
    with db.connected(settings) as engine:
        db.upgrade(engine)
        seed_dashboard(engine, config)
        ids = [f"B{i:05d}" for i in range(400)]
        contacts = contact_rows(
            generate_contacts(ids, seed=11).assign(consent_email=True), config.dataset.name
        )
        campaign_store.upsert_contacts(engine, contacts)
        for role, email in users.items():
            role = role.rstrip("0123456789")  # analyst2: a second analyst
            accounts.create_user(Context(settings), accounts.NewUser(email, role, PASSWORD))
    app = create_app(
        settings.model_copy(update={"serving": ServingSettings(poll_seconds=0)}), config_path
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield Site(f"http://127.0.0.1:{port}", app.state.serving.engine, settings, config_path)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def site(tmp_path_factory, mailbox) -> Iterator[Site]:
    with serve_dashboard(tmp_path_factory.mktemp("dashboard"), mailbox[1]) as served:
        yield served


@dataclass
class Watched:
    """The browser's requests: every URL asked for, and any that left 127.0.0.1 (aborted)."""

    urls: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def chromium():  # module scope: Playwright's event loop must not outlive the browser tests
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (make test installs Debian's chromium as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        browser.close()


@pytest.fixture
def browse(chromium):
    """A fresh browser context (its own cookies) whose every request is watched."""
    contexts, watched = [], Watched()

    def open_page(width: int = 1280, height: int = 900):
        context = chromium.new_context(viewport={"width": width, "height": height})
        contexts.append(context)

        def route(request_route):
            url = request_route.request.url
            watched.urls.append(url)
            if urlparse(url).hostname != "127.0.0.1":
                watched.outside.append(url)
                return request_route.abort()
            return request_route.continue_()

        context.route("**/*", route)
        return context.new_page()

    yield open_page, watched
    for context in contexts:
        context.close()
    assert watched.outside == [], f"requests left 127.0.0.1: {watched.outside}"


def log_in(page, url: str, role: str, users=USERS) -> None:
    """Log in through the login form as the user of `role`; the overview opens."""
    page.goto(f"{url}/auth/login")
    page.fill("input[name=email]", users[role])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/dashboard/")


def shot(page, name: str) -> None:
    """A screenshot of the page as a test artifact (tests/artifacts, ignored by git)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
