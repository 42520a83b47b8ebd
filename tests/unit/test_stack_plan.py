"""The stack's derived stores: sibling PostgreSQL databases, redaction, S3 buckets."""

from __future__ import annotations

import pytest

from tasks.core.errors import StackError
from tasks.core.redaction import mask_url
from tasks.core.stack_plan import companion_url, database_name, is_postgres, s3_bucket


def test_prefect_and_mlflow_get_sibling_databases_through_their_drivers():
    app = "postgresql+psycopg://ret:pw@db.internal:6432/retainai?sslmode=require"
    assert companion_url(app, "prefect", "asyncpg") == (
        "postgresql+asyncpg://ret:pw@db.internal:6432/retainai_prefect?sslmode=require"
    )
    assert companion_url(app, "mlflow", "") == (
        "postgresql://ret:pw@db.internal:6432/retainai_mlflow?sslmode=require"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", True),
        ("postgresql+psycopg://u@h/db", True),
        ("sqlite:///x.db", False),
        ("mysql+pymysql://u@h/db", False),
        (None, False),
    ],
)
def test_only_postgresql_urls_count_as_postgresql(url, expected):
    assert is_postgres(url) is expected


def test_a_url_without_a_single_database_is_refused():
    with pytest.raises(StackError, match="names no single database"):
        database_name("postgresql://u@h/")
    with pytest.raises(StackError, match="not a PostgreSQL URL"):
        companion_url("sqlite:///x.db", "mlflow", "")


def test_passwords_never_reach_messages():
    assert mask_url("postgresql://u:secret@h:5432/db") == "postgresql://***@h:5432/db"
    assert mask_url("postgresql://h/db") == "postgresql://h/db"
    with pytest.raises(StackError) as error:
        database_name("postgresql://u:secret@h/")
    assert "secret" not in str(error.value)


def test_s3_locations_name_their_bucket():
    assert s3_bucket("s3://retainai-models/mlflow") == "retainai-models"
    assert s3_bucket("/srv/mlartifacts") is None
    with pytest.raises(StackError, match="3 to 63"):
        s3_bucket("s3://ab/x")
