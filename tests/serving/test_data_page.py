"""The data page: an uploaded file checked against the contract (quarantined rows with their
reasons, downloadable; a structural error; a file of another kind), scoring launched for the
chosen date, and a viewer who may look but not upload."""

from __future__ import annotations

import io
import re
import sys
import time

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from serving_helpers import add_users, page_login, serving_settings, with_serving

from data.generate import generate_customers
from serving.app import create_app

RECORD = (
    "import sys, pathlib; "
    "pathlib.Path(sys.argv[sys.argv.index('--data') + 1]).with_suffix('.args')"
    ".write_text(' '.join(sys.argv[1:]))"
)


@pytest.fixture(scope="module")
def site(champion):
    app = create_app(
        with_serving(champion.settings, serving_settings(poll_seconds=0)), champion.config
    )
    app.state.serving.scorer.command = [sys.executable, "-c", RECORD]  # records, scores nothing
    with TestClient(app, base_url="https://testserver") as client:
        add_users(
            app.state.serving.context, {"up@example.test": "analyst", "look@example.test": "viewer"}
        )
        yield client, champion


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def test_an_upload_is_checked_and_its_bad_rows_downloadable(site):
    client, _ = site
    token = page_login(client, "up@example.test", "/dashboard/data")
    customers = generate_customers(300, seed=12)
    customers.loc[3, "tenure"] = -5
    customers.loc[7, "Contract"] = "Ten year"
    files = {"file": ("march.csv", _csv(customers), "text/csv")}
    page = client.post("/dashboard/data", data={"csrf_token": token}, files=files)
    assert page.status_code == 200
    assert "298 rows pass the contract; 2 are quarantined" in page.text
    link = re.search(r'href="(/dashboard/data/[0-9a-f]+/quarantine\.csv)"', page.text).group(1)
    bad = pd.read_csv(io.BytesIO(client.get(link).content))
    assert len(bad) == 2 and bad["quarantine_reason"].str.len().gt(0).all()

    upload_id = link.split("/")[3]
    started = client.post(
        f"/dashboard/data/{upload_id}/score", data={"csrf_token": token, "as_of": "2026-12-01"}
    )
    assert started.status_code == 200 and "scoring started for 2026-12-01" in started.text
    args = champion_state_file(site, upload_id)
    assert "--as-of 2026-12-01" in args and f"{upload_id}.csv" in args


def champion_state_file(site, upload_id: str) -> str:
    _, champion = site
    path = champion.settings.state / "uploads" / f"{upload_id}.args"
    deadline = time.monotonic() + 30
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return path.read_text()


def test_structural_errors_and_other_kinds_are_one_clear_message(site):
    client, _ = site
    token = page_login(client, "up@example.test", "/dashboard/data")
    missing = generate_customers(50, seed=13).drop(columns=["Contract"])
    page = client.post(
        "/dashboard/data",
        data={"csrf_token": token},
        files={"file": ("no-contract.csv", _csv(missing), "text/csv")},
    )
    assert "This file cannot be scored" in page.text and "Contract" in page.text
    other = client.post(
        "/dashboard/data",
        data={"csrf_token": token},
        files={"file": ("notes.txt", b"hello", "text/plain")},
    )
    assert other.status_code == 422 and "upload a CSV or Parquet file" in other.text


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
