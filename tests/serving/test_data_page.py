"""The data page: an uploaded file checked in the background by the jobs worker (quarantined
rows with their reasons, downloadable; a structural error; a file of another kind), the page
following the check by htmx until its verdict, scoring launched for the chosen date and run
by the worker (the real scoring flow, in a child process), and a viewer who may look but
not upload."""

from __future__ import annotations

import io
import os
import re
import time

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from serving_helpers import (
    add_users,
    idle_jobs,
    page_login,
    run_jobs,
    serving_settings,
    with_serving,
)

from data.generate import generate_customers
from serving.app import create_app
from tasks.services import jobs
from tasks.services.jobs.process import supervise_worker


@pytest.fixture(scope="module")
def site(champion):
    app = create_app(
        with_serving(champion.settings, serving_settings(poll_seconds=0)), champion.config
    )
    with TestClient(app, base_url="https://testserver") as client:
        idle_jobs(app.state.serving.engine)
        add_users(
            app.state.serving.context, {"up@example.test": "analyst", "look@example.test": "viewer"}
        )
        yield client, app.state.serving


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _upload(client, token: str, name: str, content: bytes):
    """Send a file: the answer is the page following its check (the check is queued)."""
    return client.post(
        "/dashboard/data", data={"csrf_token": token}, files={"file": (name, content)}
    )


def test_an_upload_is_checked_in_the_background_and_scored_by_the_worker(site):
    client, state = site
    token = page_login(client, "up@example.test", "/dashboard/data")
    customers = generate_customers(300, seed=12)
    customers.loc[3, "tenure"] = -5
    customers.loc[7, "Contract"] = "Ten year"
    page = _upload(client, token, "march.csv", _csv(customers))
    assert page.status_code == 200
    upload_id = re.search(r"upload=([0-9a-f]{32})", str(page.url)).group(1)
    watch = f'hx-get="/dashboard/data/uploads/{upload_id}/check?watching=1" hx-trigger="every 2s"'
    assert watch in page.text and "Checking the file" in page.text
    assert "htmx.min" in page.text  # the script that polls
    job = jobs.latest_job(state.context, jobs.upload_subject(upload_id))
    assert (job["kind"], job["state"], job["created_by"]) == (
        "check-upload",
        "queued",
        "up@example.test",
    )
    still = client.get(f"/dashboard/data/uploads/{upload_id}/check?watching=1")
    assert "hx-trigger" in still.text and "hx-refresh" not in still.headers

    assert run_jobs(state) == 1  # the worker checks it
    ended = client.get(f"/dashboard/data/uploads/{upload_id}/check?watching=1")
    assert ended.headers["hx-refresh"] == "true" and "hx-trigger" not in ended.text
    page = client.get(f"/dashboard/data?upload={upload_id}")
    assert "298 rows pass the contract; 2 are quarantined" in page.text
    link = re.search(r'href="(/dashboard/data/[0-9a-f]+/quarantine\.csv)"', page.text).group(1)
    bad = pd.read_csv(io.BytesIO(client.get(link).content))
    assert len(bad) == 2 and bad["quarantine_reason"].str.len().gt(0).all()

    started = client.post(
        f"/dashboard/data/{upload_id}/score", data={"csrf_token": token, "as_of": "2026-12-01"}
    )
    assert started.status_code == 200 and "Scoring started" in started.text
    assert 'hx-get="/dashboard/data/runs?watching=1"' in started.text
    job = jobs.latest_job(state.context, jobs.table_subject(state.config.dataset.name))
    assert job["kind"] == "score-upload" and job["payload"]["as_of"] == "2026-12-01"
    assert job["payload"]["data"].endswith(f"{upload_id}.csv")

    assert run_jobs(state) == 1  # the scoring flow, in a child of the worker
    job = jobs.latest_job(state.context, jobs.table_subject(state.config.dataset.name))
    assert job["state"] == "done", job["error"]
    ended = client.get("/dashboard/data/runs?watching=1")
    assert ended.headers["hx-refresh"] == "true" and "finished" in ended.text
    runs = client.get("/dashboard/data").text
    row = re.search(r'<table id="runs">.*?</table>', runs, re.S).group(0)
    assert "Dec 1, 2026" in row and ">298<" in row, row


def test_the_worker_serve_starts_checks_an_upload_while_the_page_polls(site, champion, monkeypatch):
    client, state = site
    token = page_login(client, "up@example.test", "/dashboard/data")
    monkeypatch.setenv("RETAINAI_STATE_DIR", str(champion.state))  # the server's settings
    worker = supervise_worker(state.context, champion.config)
    try:
        page = _upload(client, token, "june.csv", _csv(generate_customers(60, seed=14)))
        upload_id = re.search(r"upload=([0-9a-f]{32})", str(page.url)).group(1)
        path = f"/dashboard/data/uploads/{upload_id}/check?watching=1"
        deadline = time.monotonic() + 60
        while "hx-refresh" not in (fragment := client.get(path)).headers:
            assert time.monotonic() < deadline, fragment.text
            time.sleep(0.3)
    finally:
        worker.stop()
    job = jobs.latest_job(state.context, jobs.upload_subject(upload_id))
    assert job["state"] == "done" and not job["worker"].endswith(f":{os.getpid()}")
    shown = client.get(f"/dashboard/data?upload={upload_id}").text
    assert "60 rows pass the contract; 0 are quarantined" in shown


def test_structural_errors_and_other_kinds_are_one_clear_message(site):
    client, state = site
    token = page_login(client, "up@example.test", "/dashboard/data")
    missing = generate_customers(50, seed=13).drop(columns=["Contract"])
    _upload(client, token, "no-contract.csv", _csv(missing))
    assert run_jobs(state) == 1
    page = client.get("/dashboard/data").text  # listed among the recent uploads
    assert "no-contract.csv" in page and "not scorable" in page
    (upload_id,) = re.findall(
        r"upload=([0-9a-f]{32})", str(_upload(client, token, "again.csv", _csv(missing)).url)
    )
    run_jobs(state)
    shown = client.get(f"/dashboard/data?upload={upload_id}").text
    assert "This file cannot be scored" in shown and "Contract" in shown
    other = _upload(client, token, "notes.txt", b"hello")
    assert other.status_code == 422 and "upload a CSV or Parquet file" in other.text
    assert run_jobs(state) == 0  # nothing queued for it


def test_a_viewer_may_look_but_not_upload(site):
    client, _ = site
    token = page_login(client, "look@example.test", "/dashboard/data")
    page = client.get("/dashboard/data")
    assert "Upload customers" not in page.text and "Scoring runs" in page.text
    refused = client.post(
        "/dashboard/data",
        data={"csrf_token": token},
        files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")},
    )
    assert refused.status_code == 403
