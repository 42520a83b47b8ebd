"""Preflight against real targets: files, a moto S3 server, the local PostgreSQL server, the
local OpenAI-compatible server, a local SMTP server, and ports where nothing answers."""

from __future__ import annotations

import socket
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from configs.settings import Settings
from flows.cli import main
from tasks.services.operations.preflight import run_checks
from tests.integration.smtp_server import Recorder, free_port, smtp_server
from tests.llm_server import LLMServer

QUICK = 1.0  # seconds a probe waits in these tests


@contextmanager
def silent_listener() -> Iterator[int]:
    """A port that takes connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.fixture
def s3(monkeypatch, s3_endpoint_url) -> str:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return s3_endpoint_url


@pytest.fixture
def customers(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("customerID,Churn\n1,No\n")
    return path


def _lines(settings: Settings) -> list[str]:
    return [problem.line() for problem in run_checks(settings, QUICK).problems]


def test_deploy_refuses_a_missing_source_naming_it_before_any_server(
    monkeypatch, capsys, tmp_path, customers
):
    """The README's own example source does not exist: `retainai deploy` exits non-zero
    with the setting and the file, without touching the (absent) Prefect server."""
    for name in [n for n in __import__("os").environ if n.startswith("RETAINAI_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("RETAINAI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("RETAINAI_TRAINING_SOURCE", "data/customers.csv")
    monkeypatch.setenv("RETAINAI_SCORING_SOURCE", str(customers))
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")
    monkeypatch.setattr(sys, "argv", ["retainai", "deploy"])
    with pytest.raises(SystemExit) as exited:
        main()
    out = capsys.readouterr()
    assert exited.value.code == 3, out
    assert out.err.splitlines()[0] == (
        "error: nothing deployed: what the deployments will read has 1 problem"
    )
    assert "  RETAINAI_TRAINING_SOURCE: training source data/customers.csv (in " in out.err
    assert out.err.rstrip().endswith("): file not found")
    assert "deployed" not in out.out and "Prefect" not in out.err


@pytest.mark.postgres
def test_every_target_that_answers_passes(tmp_path, s3, postgres_url, customers):
    import boto3

    boto3.client("s3", endpoint_url=s3).create_bucket(Bucket="preflight-reports")
    with LLMServer() as llm, smtp_server(Recorder()) as smtp_port:
        settings = Settings(
            state_dir=tmp_path,
            training_source=str(customers),
            scoring_source=customers.as_uri(),
            database_url=postgres_url,
            s3_endpoint_url=s3,
            reports_url="s3://preflight-reports/reports",
            llm_api_key="local-key",
            llm_base_url=llm.base_url,
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            smtp_security="none",
        )
        checked = run_checks(settings, QUICK)
    assert checked.problems == []
    assert len(checked.checked) == 6, checked.checked


@pytest.mark.postgres
def test_a_missing_database_is_named(tmp_path, postgres_url):
    missing = postgres_url.rsplit("/", 1)[0] + f"/retainai_missing_{uuid.uuid4().hex[:8]}"
    settings = Settings(state_dir=tmp_path, database_url=missing)
    [line] = _lines(settings)[2:]  # after the two unset sources
    name = missing.rsplit("/", 1)[1]
    assert line == (
        f"RETAINAI_DATABASE_URL: the database postgresql+psycopg://***@127.0.0.1:5432/{name} "
        "does not exist (`retainai stack up` creates it)"
    )


def test_a_missing_bucket_is_named_with_its_setting(tmp_path, s3):
    settings = Settings(
        state_dir=tmp_path, s3_endpoint_url=s3, reports_url="s3://no-such-reports/daily"
    )
    assert _lines(settings)[2:] == [
        "RETAINAI_REPORTS_URL: the S3 bucket no-such-reports does not exist"
    ]


def test_an_s3_endpoint_that_does_not_answer_is_named(tmp_path, s3):
    where = f"http://127.0.0.1:{free_port()}"
    settings = Settings(state_dir=tmp_path, s3_endpoint_url=where, reports_url="s3://reports")
    [line] = _lines(settings)[2:]
    assert line.startswith(f"RETAINAI_S3_ENDPOINT_URL: the S3 bucket reports: {where} ")


def test_sources_that_cannot_be_read_are_named(tmp_path, s3):
    import boto3

    boto3.client("s3", endpoint_url=s3).create_bucket(Bucket="preflight-data")
    settings = Settings(
        state_dir=tmp_path,
        s3_endpoint_url=s3,
        training_source="s3://no-such-data/customers.csv",
        scoring_source=str(tmp_path),  # a folder
    )
    assert _lines(settings) == [
        "RETAINAI_TRAINING_SOURCE: training source s3://no-such-data/customers.csv: "
        "bucket 'no-such-data' does not exist",
        f"RETAINAI_SCORING_SOURCE: scoring source {tmp_path} is a directory, expected a .csv "
        "or .parquet file",
    ]
    settings = Settings(
        state_dir=tmp_path,
        s3_endpoint_url=s3,
        training_source="s3://preflight-data/customers.csv",
        scoring_source="http://127.0.0.1:1/customers",
    )
    [training, scoring] = _lines(settings)
    assert training == (
        "RETAINAI_TRAINING_SOURCE: training source s3://preflight-data/customers.csv: "
        "object not found"
    )
    assert scoring.startswith(
        "RETAINAI_SCORING_SOURCE: scoring source http://127.0.0.1:1/customers: request to "
    )


@pytest.mark.postgres
def test_a_database_source_needs_its_table(tmp_path, postgres_url):
    settings = Settings(
        state_dir=tmp_path,
        training_source=postgres_url,
        scoring_source=postgres_url,
        scoring_table="no_such_customers",
    )
    masked = "postgresql+psycopg://***@127.0.0.1:5432/" + postgres_url.rsplit("/", 1)[1]
    assert _lines(settings) == [
        f"RETAINAI_TRAINING_SOURCE: training source {masked}: a database URL needs a table "
        "and none is set",
        f"RETAINAI_SCORING_SOURCE: scoring source {masked} (table no_such_customers): table "
        "not found",
    ]


@pytest.mark.parametrize("kind", ["closed port", "silent listener"])
def test_an_llm_api_that_does_not_answer_is_named_quickly(tmp_path, kind):
    with silent_listener() as quiet:
        port = free_port() if kind == "closed port" else quiet
        base = f"http://127.0.0.1:{port}/v1"
        settings = Settings(state_dir=tmp_path, llm_api_key="k", llm_base_url=base)
        began = time.monotonic()
        [line] = _lines(settings)[2:]
    assert time.monotonic() - began < 5
    assert line.startswith(f"RETAINAI_LLM_BASE_URL: the LLM API does not answer at {base}/models")


def test_an_llm_api_without_the_model_or_the_v1_is_named(tmp_path):
    with LLMServer() as llm:
        base = llm.base_url
        settings = Settings(state_dir=tmp_path, llm_api_key="k", llm_base_url=base)
        assert _lines(settings)[2:] == []
        llm.models = ["llama3"]
        assert _lines(settings)[2:] == [
            f"RETAINAI_LLM_MODEL: the LLM API at {base}/models offers no model gpt-4o-mini"
        ]
        without_v1 = base.removesuffix("/v1")
        settings = Settings(state_dir=tmp_path, llm_api_key="k", llm_base_url=without_v1)
        assert _lines(settings)[2:] == [
            f"RETAINAI_LLM_BASE_URL: the LLM API has no {without_v1}/models: does "
            "RETAINAI_LLM_BASE_URL end with /v1?"
        ]


@pytest.mark.parametrize("kind", ["closed port", "silent listener"])
def test_an_smtp_server_that_does_not_answer_is_named_quickly(tmp_path, kind):
    with silent_listener() as quiet:
        port = free_port() if kind == "closed port" else quiet
        settings = Settings(
            state_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none"
        )
        began = time.monotonic()
        [line] = _lines(settings)[2:]
    assert time.monotonic() - began < 5
    assert line.startswith(f"RETAINAI_SMTP_HOST: cannot reach the SMTP server 127.0.0.1:{port}")


def test_an_smtp_server_without_starttls_names_the_security_setting(tmp_path):
    with smtp_server(Recorder()) as port:
        settings = Settings(state_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port)
        [line] = _lines(settings)[2:]
    assert line.startswith("RETAINAI_SMTP_SECURITY: the SMTP server 127.0.0.1:")
    assert "does not offer STARTTLS" in line
