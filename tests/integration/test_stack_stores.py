"""`retainai stack up` creates every database and bucket it needs (the local PostgreSQL
server, a moto S3 server), says what it created, and refuses listing what it cannot create."""

from __future__ import annotations

import uuid

import pytest

from configs.settings import Settings
from tasks.adapters.stack_services import prepare_stores
from tasks.core.errors import ProblemsError
from tests.conftest import POSTGRES_SERVER, drop_database
from tests.integration.smtp_server import free_port


@pytest.fixture
def s3(monkeypatch, s3_endpoint_url) -> str:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return s3_endpoint_url


@pytest.fixture
def new_database():
    """The name of a database that does not exist yet; it and its siblings dropped after."""
    import sqlalchemy as sa

    from tasks.adapters import db

    name = f"retainai_stack_{uuid.uuid4().hex[:10]}"
    yield name
    db.dispose_engines()  # the stack's engines on the new databases
    engine = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    for database in (name, f"{name}_prefect", f"{name}_mlflow"):
        drop_database(engine, database)
    engine.dispose()


@pytest.mark.postgres
def test_stack_up_creates_every_database_and_bucket_once(tmp_path, s3, new_database):
    import boto3
    import sqlalchemy as sa

    client = boto3.client("s3", endpoint_url=s3)
    reports, artifacts = f"reports-{new_database[-10:]}", f"mlflow-{new_database[-10:]}"
    settings = Settings(
        state_dir=tmp_path,
        database_url=f"{POSTGRES_SERVER}/{new_database}",
        s3_endpoint_url=s3,
        mlflow_artifacts=f"s3://{artifacts}/mlflow",
        reports_url=f"s3://{reports}/reports",
    )
    assert prepare_stores(settings) == [
        f"database {new_database}",
        f"database {new_database}_prefect",
        f"database {new_database}_mlflow",
        f"S3 bucket {artifacts}",
        f"S3 bucket {reports}",
    ]
    buckets = {b["Name"] for b in client.list_buckets()["Buckets"]}
    assert {reports, artifacts} <= buckets
    engine = sa.create_engine(f"{POSTGRES_SERVER}/{new_database}")
    with engine.connect() as conn:  # the application's schema is there
        assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()
    assert prepare_stores(settings) == []  # the second start creates nothing


def test_stack_up_refuses_listing_every_store_it_cannot_create(tmp_path, s3):
    closed = free_port()
    settings = Settings(
        state_dir=tmp_path,
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:{closed}/retainai",
        s3_endpoint_url=f"http://127.0.0.1:{closed}",
        mlflow_artifacts="s3://ml-artifacts/mlflow",
        reports_url="s3://retainai-reports/reports",
    )
    with pytest.raises(ProblemsError) as refused:
        prepare_stores(settings)
    assert str(refused.value) == "stores missing that `retainai stack up` cannot create:"
    details = refused.value.details
    assert [line.split(" on ")[0] for line in details[:3]] == [
        "database retainai",
        "database retainai_prefect",
        "database retainai_mlflow",
    ]
    assert all(line.endswith("(RETAINAI_DATABASE_URL)") for line in details[:3])
    assert details[3].startswith("S3 bucket ml-artifacts: ")
    assert details[3].endswith("(RETAINAI_MLFLOW_ARTIFACTS)")
    assert details[4].startswith("S3 bucket retainai-reports: ")
    assert details[4].endswith("(RETAINAI_REPORTS_URL)")
