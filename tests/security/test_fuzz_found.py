"""What the fuzz of the pages found, each pinned by its request: an id too large for any id
column (SQLite raised OverflowError: a 500) and an upload id too long for a file name (the
file system raised OSError: a 500) are simply not found; a campaign filter below a bound
with no upper one (a TypeError formatting the message) or not a finite number (NaN passed
every bound, then int() raised) is one message naming the field."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from serving_helpers import REPO, add_users, page_login, serving_settings, with_serving

from configs.settings import Settings
from serving.app import create_app
from tasks.adapters import campaign_store, users
from tasks.adapters import upload_store as uploads

HUGE = 2**63  # one past SQLite's largest integer
ADMIN = "fuzz-found-admin@example.test"


@pytest.fixture
def site(tmp_path):
    settings = Settings(state_dir=tmp_path)
    app = create_app(with_serving(settings, serving_settings()), REPO / "configs" / "telco.yaml")
    with TestClient(app) as client:
        add_users(app.state.serving.context, {ADMIN: "admin"})
        csrf = page_login(client, ADMIN, "/dashboard/profile")
        yield client, csrf, app.state.serving.engine, settings


def test_an_id_no_id_column_can_hold_finds_nothing(site):
    client, csrf, engine, _ = site
    assert users.user_by_id(engine, HUGE) is None
    assert campaign_store.get_campaign(engine, HUGE) is None
    assert campaign_store.get_campaign(engine, 2**31) is None  # PostgreSQL's integer ends first
    page = client.get(f"/dashboard/campaigns/{HUGE}")
    assert page.status_code == 404 and f"no campaign {HUGE}" in page.text
    changed = client.post(f"/dashboard/users/{HUGE}", data={"role": "viewer", "csrf_token": csrf})
    assert changed.status_code == 404 and f"no user {HUGE}" in changed.text


def test_an_upload_id_too_long_for_a_file_name_is_no_upload(site):
    client, csrf, _, settings = site
    uploads.folder_of(settings).mkdir(parents=True)  # as after a first upload
    long = "a" * 300
    assert uploads.data_file(settings, long) is None
    assert client.get(f"/dashboard/data/{long}/quarantine.csv").status_code == 404
    scored = client.post(f"/dashboard/data/{long}/score", data={"csrf_token": csrf})
    assert scored.status_code == 404 and "no such upload" in scored.text


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("min_lifetime_value", "-1", "Lowest lifetime value: -1 is below 0"),
        ("limit", "nan", "Audience size limit: 'nan' is not a number"),
        ("min_lifetime_value", "inf", "Lowest lifetime value: 'inf' is not a number"),
    ],
)
def test_a_campaign_filter_out_of_bounds_is_named(site, field, value, said):
    client, csrf, _, _ = site
    preview = client.get("/dashboard/campaigns/preview", params={field: value})
    assert preview.status_code == 200 and said in html.unescape(preview.text)
    form = {"name": "fuzzed", field: value, "csrf_token": csrf}
    created = client.post("/dashboard/campaigns", data=form)
    assert created.status_code == 400 and said in html.unescape(created.text)
