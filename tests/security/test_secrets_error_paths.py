"""Error pages say what is wrong with a file, never where the server keeps it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from serving_helpers import (
    REPO,
    add_users,
    page_login,
    serving_settings,
    upload_checked,
    with_serving,
)

from configs.settings import Settings
from tasks.core.redaction import hide_paths

BROKEN = {
    "broken.csv": b'customerID,tenure\n"A-1,1\nA-2,2,3,4\n',  # an unclosed quote
    "broken.parquet": b"this is no parquet file",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from serving.app import create_app

    settings = Settings(state_dir=tmp_path_factory.mktemp("paths"))
    app = create_app(with_serving(settings, serving_settings()), REPO / "configs" / "telco.yaml")
    with TestClient(app, base_url="https://testserver") as client:
        add_users(app.state.serving.context, {"up@example.test": "analyst"})
        yield client, settings


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_upload_is_named_as_sent_without_a_server_path(site, name):
    client, settings = site
    token = page_login(client, "up@example.test", "/dashboard/data")
    page = upload_checked(client, token, name, BROKEN[name], "application/octet-stream").text
    assert "This file cannot be scored" in page
    assert f"{name}: cannot read" in page
    assert str(settings.state) not in page and "/uploads/" not in page


def test_absolute_paths_become_file_names():
    said = "/srv/retainai/.state/uploads/0a1b.csv: cannot read csv: see /etc/passwd"
    assert hide_paths(said) == "0a1b.csv: cannot read csv: see passwd"
    kept = "https://api.example.com/v1/customers and 3/4 of a/b"
    assert hide_paths(kept) == kept


def test_a_typed_error_names_no_server_path(served):
    """The one mapping of typed errors, for a page and for JSON alike."""
    from fastapi import APIRouter

    from tasks.core.errors import NotFoundError

    router = APIRouter()

    @router.get("/dashboard/test-missing-report")
    def missing() -> None:
        raise NotFoundError("report /srv/retainai/.state/reports/drift/2024-01-01.html not found")

    served.app.include_router(router)
    page = served.client.get("/dashboard/test-missing-report", headers={"accept": "text/html"})
    assert page.status_code == 404 and "report 2024-01-01.html not found" in page.text
    assert "/srv/retainai" not in page.text
    answer = served.client.get(
        "/dashboard/test-missing-report", headers={"accept": "application/json"}
    )
    assert answer.json() == {"detail": "report 2024-01-01.html not found"}
