"""One run of a table at a time from the app: while an upload is being scored, scoring it for
another date and training are refused, naming the run that is going; once it ends, the next
one starts."""

from __future__ import annotations

import os
import re
import signal
import sys

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from serving_helpers import (
    add_users,
    bearer,
    make_tokens,
    page_login,
    serving_settings,
    with_serving,
)

from data.generate import generate_customers
from serving.app import create_app

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


@pytest.fixture(scope="module")
def site(champion):
    source = SecretStr(str(champion.data))
    settings = champion.settings.model_copy(update={"training_source": source})
    app = create_app(with_serving(settings, serving_settings(poll_seconds=0)), champion.config)
    state = app.state.serving
    state.scorer.command = SLEEPER  # a scoring run that lasts until the test ends it
    state.launcher.command = [sys.executable, "-c", "pass"]
    with TestClient(app, base_url="https://testserver") as client:
        add_users(state.context, {"runs@example.test": "analyst"})
        yield client, state


def test_a_second_run_of_the_table_is_refused_naming_the_first(site, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    client, state = site
    token = page_login(client, "runs@example.test", "/dashboard/data")
    csv = generate_customers(60, seed=8).to_csv(index=False).encode()
    page = client.post(
        "/dashboard/data", data={"csrf_token": token}, files={"file": ("april.csv", csv)}
    )
    upload_id = re.search(r"/dashboard/data/([0-9a-f]+)/score", page.text).group(1)

    def score(as_of: str):
        return client.post(
            f"/dashboard/data/{upload_id}/score", data={"csrf_token": token, "as_of": as_of}
        )

    first = score("2026-12-01")
    assert first.status_code == 200 and "scoring started for 2026-12-01" in first.text
    (running,) = state.scorer.children
    try:
        second = score("2026-12-08")
        assert second.status_code == 409
        assert (
            "scoring april.csv as of 2026-12-01" in second.text and "still running" in second.text
        )
        admin = make_tokens(state.engine, "runs")["admin"]
        training = client.post("/trigger-training", headers=bearer(admin))
        assert training.status_code == 409
        assert "scoring april.csv as of 2026-12-01" in training.json()["detail"]
    finally:
        os.killpg(running.pid, signal.SIGKILL)
        running.wait(timeout=10)
    third = score("2026-12-08")  # the slot went with the run
    assert third.status_code == 200 and "scoring started for 2026-12-08" in third.text
    last = state.scorer.children[-1]
    os.killpg(last.pid, signal.SIGKILL)
    last.wait(timeout=10)
