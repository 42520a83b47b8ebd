"""One run of a table at a time from the app: while an upload's scoring waits or runs (a job
of the table), scoring it for another date and training are refused, naming what the table
is busy with; the same scoring asked twice is one job; once the run ends, the next starts."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from serving_helpers import (
    add_users,
    bearer,
    idle_jobs,
    make_tokens,
    page_login,
    run_jobs,
    serving_settings,
    with_serving,
)

from data.generate import generate_customers
from serving.app import create_app
from tasks.adapters import jobs as queue
from tasks.services import jobs


@pytest.fixture(scope="module")
def site(champion):
    source = SecretStr(str(champion.data))
    settings = champion.settings.model_copy(update={"training_source": source})
    app = create_app(with_serving(settings, serving_settings(poll_seconds=0)), champion.config)
    state = app.state.serving
    with TestClient(app, base_url="https://testserver") as client:
        idle_jobs(state.engine)
        add_users(state.context, {"runs@example.test": "analyst"})
        yield client, state
        idle_jobs(state.engine)


def test_a_second_run_of_the_table_is_refused_naming_the_first(site, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    client, state = site
    token = page_login(client, "runs@example.test", "/dashboard/data")
    csv = generate_customers(60, seed=8).to_csv(index=False).encode()
    page = client.post(
        "/dashboard/data", data={"csrf_token": token}, files={"file": ("april.csv", csv)}
    )
    upload_id = re.search(r"upload=([0-9a-f]{32})", str(page.url)).group(1)
    assert run_jobs(state) == 1  # checked

    def score(as_of: str):
        return client.post(
            f"/dashboard/data/{upload_id}/score", data={"csrf_token": token, "as_of": as_of}
        )

    first = score("2026-12-01")
    assert first.status_code == 200 and "Scoring started" in first.text
    table = jobs.table_subject(state.config.dataset.name)
    job = jobs.latest_job(state.context, table)
    assert score("2026-12-01").status_code == 200  # the same run asked again: the same job
    assert jobs.latest_job(state.context, table)["id"] == job["id"]
    second = score("2026-12-08")
    assert second.status_code == 409
    assert "table telco is busy scoring an upload" in second.text
    assert "april.csv" in second.text  # the upload's verdict stays on the page
    admin = make_tokens(state.engine, "runs")["admin"]
    training = client.post("/trigger-training", headers=bearer(admin))
    assert training.status_code == 409
    assert "table telco is busy scoring an upload" in training.json()["detail"]

    assert queue.stop(state.engine, table, jobs.SCORE_UPLOAD) == "cancelled"  # it ends
    third = score("2026-12-08")  # the table is free again
    assert third.status_code == 200 and "Scoring started" in third.text
    runs = client.get("/dashboard/data/runs")
    assert "Scoring as of Dec 8, 2026" in runs.text and "starts in a moment" in runs.text
    refused = client.post("/trigger-training", headers=bearer(admin))
    assert refused.status_code == 409  # training waits for it too
