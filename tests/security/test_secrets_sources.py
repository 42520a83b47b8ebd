"""Source URLs hold passwords and keys: they are masked wherever shown, shown to admins only,
never a Prefect parameter or a command-line argument; the flows read them where they run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml
from fastapi.testclient import TestClient
from pydantic import SecretStr
from serving_helpers import (
    REPO,
    add_users,
    bearer,
    page_login,
    run_jobs,
    serving_settings,
    with_serving,
)

from configs.settings import Settings
from tasks.adapters import flow_process
from tasks.core.errors import ConfigError, InvalidInputError, UnavailableError
from tasks.core.redaction import carries_secret, mask_url
from tasks.services import jobs
from tasks.services.context import Context

TRAINING = "postgresql+psycopg://crm:pg-Pa55word@db.internal:5432/crm"
SCORING = "https://api.example.com/v1/customers?api_key=K3y-of-the-api&page_size=100"
SECRETS = ("pg-Pa55word", "K3y-of-the-api")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (TRAINING, "postgresql+psycopg://***@db.internal:5432/crm"),
        (SCORING, "https://api.example.com/v1/customers?api_key=***&page_size=***"),
        ("https://tok3n@api.example.com/x", "https://***@api.example.com/x"),
        (
            "mssql+pyodbc:///?odbc_connect=DSN%3Dx%3BPWD%3Ds3cr3t",
            "mssql+pyodbc:///?odbc_connect=***",
        ),
        ("https://api.example.com/x?s3cr3t", "https://api.example.com/x?***"),
        ("sqlite:////srv/crm.db", "sqlite:////srv/crm.db"),
        ("s3://bucket/customers.csv", "s3://bucket/customers.csv"),
        ("data/customers.csv", "data/customers.csv"),
        ("postgresql://u:pw@[::1/db", "postgresql://***"),
    ],
)
def test_a_url_is_shown_by_scheme_host_and_path_only(url, shown):
    assert mask_url(url) == shown


def test_which_urls_carry_a_secret():
    assert carries_secret(TRAINING) and carries_secret(SCORING)
    assert carries_secret("https://tok3n@api.example.com/x")
    assert not carries_secret("postgresql+psycopg://postgres@127.0.0.1/crm")
    assert not carries_secret("https://api.example.com/x?page=2")
    assert not carries_secret("/srv/data/customers.csv")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from serving.app import create_app

    settings = Settings(
        state_dir=tmp_path_factory.mktemp("sources"),
        training_source=TRAINING,
        scoring_source=SCORING,
    )
    app = create_app(with_serving(settings, serving_settings()), REPO / "configs" / "telco.yaml")
    with TestClient(app, base_url="https://testserver") as client:
        add_users(
            app.state.serving.context,
            {"boss@example.test": "admin", "look@example.test": "viewer"},
        )
        yield client


def test_the_data_page_shows_sources_masked_and_to_admins_only(site):
    page_login(site, "look@example.test", "/dashboard/data")
    viewer = site.get("/dashboard/data").text
    assert "db.internal" not in viewer and "api.example.com" not in viewer
    page_login(site, "boss@example.test", "/dashboard/data")
    admin = site.get("/dashboard/data").text
    assert "postgresql+psycopg://***@db.internal:5432/crm" in admin
    assert "https://api.example.com/v1/customers?api_key=***" in admin
    assert not any(secret in page for secret in SECRETS for page in (viewer, admin))


def test_the_deployments_name_no_source():
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    sources = {"data", "table", "query", "training_data", "scoring_data", "scoring_table"}
    for deployment in spec["deployments"]:
        given = set(deployment.get("parameters") or {})
        for trigger in deployment.get("triggers", []):
            given |= set(trigger.get("parameters") or {})
        assert not given & sources, f"{deployment['name']} passes {given & sources}"


def test_the_flows_read_the_source_of_their_own_settings():
    from tasks.ingest import source_of

    settings = Settings(scoring_source=TRAINING, scoring_table="customers")
    assert source_of(settings, "scoring", None, None, None) == (TRAINING, "customers", None)
    with pytest.raises(ConfigError, match="set RETAINAI_TRAINING_SOURCE"):
        source_of(settings, "training", None, None, None)
    with pytest.raises(InvalidInputError, match="holds a password") as refused:
        source_of(settings, "scoring", SCORING, None, None)
    assert "K3y-of-the-api" not in str(refused.value)
    assert not any(secret in repr(settings) for secret in SECRETS)


def test_the_command_line_refuses_a_password_before_any_run(tmp_path):
    env = {**os.environ, "RETAINAI_STATE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "flows", "train", "--data", TRAINING],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 4  # invalid input
    assert done.stderr.strip().splitlines() == [
        "error: --data postgresql+psycopg://***@db.internal:5432/crm holds a password or "
        "token, which would be kept with the run's parameters: set it in "
        "RETAINAI_TRAINING_SOURCE or RETAINAI_SCORING_SOURCE and leave the option out "
        "(tokens: RETAINAI_SOURCE_TOKEN)"
    ]


def test_the_api_training_trigger_gives_the_source_to_no_one(served, monkeypatch):
    """Without Prefect the job holds no source, and the worker's child gets it in its
    environment, not in its arguments."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    named = served.state.settings.model_copy(update={"training_source": SecretStr(TRAINING)})
    monkeypatch.setattr(served.state, "context", Context(named))
    started = served.client.post("/trigger-training", headers=bearer(served.tokens["admin"]))
    assert started.status_code == 202, started.text
    job = jobs.latest_job(served.state.context, jobs.table_subject(served.config.dataset.name))
    assert "pg-Pa55word" not in str(job)
    seen = served.state.settings.state / "training-child.json"
    record = (
        "import json, os, sys; "
        f"open({str(seen)!r}, 'w').write(json.dumps([sys.argv, "
        "os.environ.get('RETAINAI_TRAINING_SOURCE')]))"
    )
    monkeypatch.setattr(flow_process, "COMMAND", [sys.executable, "-c", record])
    assert run_jobs(served.state) == 1
    argv, source = json.loads(seen.read_text())
    assert not any("pg-Pa55word" in word for word in argv) and source == TRAINING


def test_where_to_look_and_prefect_errors_mask_credentials(tmp_path):
    from flows.demo import where_to_look
    from tasks.adapters.prefect_door import PrefectDoor

    settings = Settings(state_dir=tmp_path, database_url=TRAINING)
    assert "pg-Pa55word" not in where_to_look(settings)
    with pytest.raises(UnavailableError) as error:
        PrefectDoor("http://admin:pf-T0ken@127.0.0.1:9/api").deployment_schedules()
    assert "pf-T0ken" not in str(error.value)
