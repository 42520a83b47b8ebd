"""read_source against real files, a moto S3 server, PostgreSQL, MariaDB, SQLite and HTTP."""

from __future__ import annotations

import gzip
import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
import sqlalchemy as sa

from configs.settings import Settings
from tasks.adapters.sources import describe_source, read_source
from tasks.core.errors import DataSourceError, TransientSourceError

CSV_TEXT = "customer_id,tenure,total_charges\nA-1,1,29.85\nA-2,34, \nA-3,,1889.5\n"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path, http_timeout_seconds=5)


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "customers.csv"
    path.write_text(CSV_TEXT)
    return path


# --- local files -----------------------------------------------------------------------------


def test_csv_keeps_every_value_as_text_and_blanks_verbatim(csv_file, settings):
    frame = read_source(str(csv_file), settings=settings)
    assert list(frame.columns) == ["customer_id", "tenure", "total_charges"]
    assert frame["total_charges"].tolist() == ["29.85", " ", "1889.5"]
    assert frame["tenure"].tolist() == ["1", "34", ""]
    assert frame.isna().sum().sum() == 0


def test_file_uri_and_gzip_csv(tmp_path, csv_file, settings):
    assert len(read_source(csv_file.as_uri(), settings=settings)) == 3
    packed = tmp_path / "customers.csv.gz"
    packed.write_bytes(gzip.compress(CSV_TEXT.encode()))
    assert read_source(str(packed), settings=settings)["total_charges"].tolist()[1] == " "


def test_parquet_keeps_its_types(tmp_path, settings):
    path = tmp_path / "customers.parquet"
    pd.DataFrame({"customer_id": ["A-1", "A-2"], "tenure": [1, 34]}).to_parquet(path)
    frame = read_source(str(path), settings=settings)
    assert frame["tenure"].tolist() == [1, 34]


def test_header_only_csv_gives_columns_and_no_rows(tmp_path, settings):
    path = tmp_path / "empty.csv"
    path.write_text("customer_id,tenure\n")
    frame = read_source(str(path), settings=settings)
    assert list(frame.columns) == ["customer_id", "tenure"] and len(frame) == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("zero.csv", b"", "is empty"),
        ("zero.parquet", b"", "is empty"),
        ("broken.parquet", b"not parquet", "cannot read parquet"),
        ("broken.csv.gz", b"not gzip", "cannot read csv"),
        ("customers.xlsx", b"x", "unsupported file type"),
    ],
)
def test_bad_files_raise_one_line(tmp_path, settings, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataSourceError, match=message) as info:
        read_source(str(path), settings=settings)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_file_and_directory(tmp_path, settings):
    with pytest.raises(DataSourceError, match="file not found"):
        read_source(str(tmp_path / "nope.csv"), settings=settings)
    with pytest.raises(DataSourceError, match="is a directory"):
        read_source(str(tmp_path), settings=settings)


def test_empty_table_and_query_count_as_none(csv_file, settings):
    """An unset {{ $RETAINAI_SCORING_TABLE }} reaches a deployment's flow as ""."""
    expected = read_source(str(csv_file), settings=settings)
    frame = read_source(str(csv_file), table="", query="", settings=settings)
    pd.testing.assert_frame_equal(frame, expected)
    assert describe_source(str(csv_file), "", "") == str(csv_file)


def test_table_or_query_rejected_for_files(csv_file, settings):
    with pytest.raises(DataSourceError, match="only apply to SQL"):
        read_source(str(csv_file), table="customers", settings=settings)


# --- S3 (moto server) ------------------------------------------------------------------------


@pytest.fixture
def s3_bucket(s3_endpoint_url, monkeypatch) -> str:
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = "retainai-sources-test"
    client = boto3.client("s3", endpoint_url=s3_endpoint_url)
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="in/customers.csv", Body=CSV_TEXT.encode())
    parquet = pd.DataFrame({"customer_id": ["A-1"], "tenure": [5]}).to_parquet()
    client.put_object(Bucket=bucket, Key="in/customers.parquet", Body=parquet)
    return bucket


def test_s3_csv_and_parquet(s3_bucket, s3_endpoint_url, tmp_path):
    settings = Settings(state_dir=tmp_path, s3_endpoint_url=s3_endpoint_url)
    frame = read_source(f"s3://{s3_bucket}/in/customers.csv", settings=settings)
    assert frame["total_charges"].tolist() == ["29.85", " ", "1889.5"]
    frame = read_source(f"s3://{s3_bucket}/in/customers.parquet", settings=settings)
    assert frame["tenure"].tolist() == [5]


def test_s3_missing_key_and_bucket(s3_bucket, s3_endpoint_url, tmp_path):
    settings = Settings(state_dir=tmp_path, s3_endpoint_url=s3_endpoint_url)
    with pytest.raises(DataSourceError, match="object not found"):
        read_source(f"s3://{s3_bucket}/in/missing.csv", settings=settings)
    with pytest.raises(DataSourceError, match="does not exist"):
        read_source("s3://no-such-bucket-here/customers.csv", settings=settings)


def test_s3_unreachable_endpoint_is_transient(s3_bucket, tmp_path):
    settings = Settings(state_dir=tmp_path, s3_endpoint_url="http://127.0.0.1:1")
    with pytest.raises(TransientSourceError, match="S3 request failed"):
        read_source(f"s3://{s3_bucket}/in/customers.csv", settings=settings)


# --- SQL databases ---------------------------------------------------------------------------

ROWS = [("A-1", 1, "29.85"), ("A-2", 34, ""), ("A-3", None, None)]


def _create_customers(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS customers"))
        conn.execute(
            sa.text("CREATE TABLE customers (customer_id VARCHAR(10), tenure INT, charges TEXT)")
        )
        conn.execute(
            sa.text("INSERT INTO customers VALUES (:i, :t, :c)"),
            [{"i": i, "t": t, "c": c} for i, t, c in ROWS],
        )
    engine.dispose()


@pytest.mark.postgres
def test_postgres_table_via_copy_keeps_null_apart_from_empty(postgres_url, settings):
    _create_customers(postgres_url)
    frame = read_source(postgres_url, table="customers", settings=settings)
    assert frame["customer_id"].tolist() == ["A-1", "A-2", "A-3"]
    assert frame["tenure"].tolist()[:2] == ["1", "34"]  # COPY gives text like a CSV file
    assert frame["charges"].tolist()[:2] == ["29.85", ""]
    assert frame["charges"].isna().tolist() == [False, False, True]
    schema_qualified = read_source(postgres_url, table="public.customers", settings=settings)
    assert len(schema_qualified) == 3


@pytest.mark.postgres
def test_postgres_query_runs_as_written(postgres_url, settings):
    _create_customers(postgres_url)
    query = "SELECT customer_id, 'a%b :c' AS odd FROM customers WHERE customer_id LIKE 'A-%' "
    frame = read_source(postgres_url, query=query + "AND tenure::int > 1", settings=settings)
    assert frame.to_dict("records") == [{"customer_id": "A-2", "odd": "a%b :c"}]


@pytest.mark.postgres
def test_postgres_errors(postgres_url, settings):
    with pytest.raises(DataSourceError, match="table not found"):
        read_source(postgres_url, table="no_such_table", settings=settings)
    with pytest.raises(DataSourceError, match="database read failed"):
        read_source(postgres_url, query="SELECT * FROM no_such_table", settings=settings)
    with pytest.raises(DataSourceError, match="exactly one of table or query"):
        read_source(postgres_url, table="customers", query="SELECT 1", settings=settings)
    with pytest.raises(DataSourceError, match="exactly one of table or query"):
        read_source(postgres_url, settings=settings)


def test_invalid_table_name_rejected_before_connecting(settings):
    unreachable = "postgresql+psycopg://nobody:pw@127.0.0.1:1/none"
    with pytest.raises(DataSourceError, match="invalid table name"):
        read_source(unreachable, table="customers; drop table x", settings=settings)


def test_unreachable_database(settings):
    with pytest.raises(TransientSourceError, match="cannot connect") as info:
        read_source("postgresql+psycopg://u:s3cret@127.0.0.1:1/db", table="t", settings=settings)
    assert "s3cret" not in str(info.value)


@pytest.mark.mariadb
def test_mariadb_table_and_query(mariadb_url, settings):
    _create_customers(mariadb_url)
    frame = read_source(mariadb_url, table="customers", settings=settings)
    assert frame["customer_id"].tolist() == ["A-1", "A-2", "A-3"]
    assert frame["charges"].tolist()[:2] == ["29.85", ""]
    query = "SELECT customer_id FROM customers WHERE charges = '' OR charges LIKE '%.85' ORDER BY 1"
    frame = read_source(mariadb_url, query=query, settings=settings)
    assert frame["customer_id"].tolist() == ["A-1", "A-2"]
    with pytest.raises(DataSourceError, match="table not found"):
        read_source(mariadb_url, table="no_such_table", settings=settings)


def test_sqlite_table_and_query(tmp_path, settings):
    path = tmp_path / "crm.db"
    sqlite3.connect(path).close()
    url = f"sqlite:///{path}"
    _create_customers(url)
    assert len(read_source(url, table="customers", settings=settings)) == 3
    frame = read_source(
        url, query="SELECT customer_id FROM customers WHERE tenure > 1", settings=settings
    )
    assert frame["customer_id"].tolist() == ["A-2"]
    with pytest.raises(DataSourceError, match="database file not found"):
        read_source(f"sqlite:///{tmp_path / 'absent.db'}", table="customers", settings=settings)


def test_unsupported_scheme(settings):
    with pytest.raises(DataSourceError, match="not a supported"):
        read_source("ftp://example.com/customers.csv", table="t", settings=settings)


def test_describe_source_hides_credentials():
    label = describe_source("postgresql+psycopg://user:secret@host/db", table="customers")
    assert "secret" not in label and label == "postgresql+psycopg://***@host/db (table customers)"
    assert "tok" not in describe_source("https://api.example.com/x?api_key=tok&page=2")
    assert describe_source("data/customers.csv") == "data/customers.csv"
    assert describe_source("sqlite:////abs/crm.db") == "sqlite:////abs/crm.db"


# --- paginated JSON over HTTP ----------------------------------------------------------------


class _Api(BaseHTTPRequestHandler):
    hits: Counter = Counter()

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        page = int(parse_qs(url.query).get("page", ["1"])[0])
        _Api.hits[self.path] += 1
        route = {
            "/next": lambda: {
                1: {"data": [{"id": 1, "name": "a"}], "next": "/next?page=2"},
                2: {"results": [{"id": 2, "name": None}], "next_url": "next?page=3"},
                3: {"items": [{"id": 3, "vip": True}], "links": {"next": None}},
            }[page],
            "/paged": lambda: {"customers": [{"id": page}] * 2, "page": page, "total_pages": 3},
            "/open": lambda: {"records": [{"id": page}] if page < 3 else [], "page": page},
            "/plain": lambda: [{"id": 1, "score": 0.5}, {"id": 2, "score": 1.5}],
            "/flaky": lambda: None if _Api.hits[self.path] == 1 else [{"id": 1}],
            "/down": lambda: None,
            "/loop": lambda: {"data": [{"id": 1}], "next": "/loop"},
            "/stuck": lambda: {"data": [{"id": 1}], "page": 1},
            "/shape": lambda: {"unexpected": 1},
            "/auth": lambda: [{"auth": self.headers.get("Authorization", "")}],
        }.get(url.path)
        if url.path == "/badjson":
            return self._send(200, b"{not json")
        body = route() if route else None
        if route is None:
            return self._send(404, b"{}")
        if body is None:
            return self._send(500, b"boom")
        self._send(200, json.dumps(body).encode())

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_next_links_over_three_pages(api, settings):
    frame = read_source(f"{api}/next", settings=settings)
    assert frame["id"].tolist() == ["1", "2", "3"]
    assert frame["name"].tolist() == ["a", "", ""]
    assert frame["vip"].tolist() == ["", "", "true"]


def test_http_page_numbers(api, settings):
    frame = read_source(f"{api}/paged?per_page=2", settings=settings)
    assert frame["id"].tolist() == ["1", "1", "2", "2", "3", "3"]
    assert read_source(f"{api}/open", settings=settings)["id"].tolist() == ["1", "2"]


def test_http_plain_list(api, settings):
    frame = read_source(f"{api}/plain", settings=settings)
    assert frame.to_dict("records") == [{"id": "1", "score": "0.5"}, {"id": "2", "score": "1.5"}]


def test_http_retries_a_server_error(api, settings):
    assert read_source(f"{api}/flaky", settings=settings)["id"].tolist() == ["1"]
    assert _Api.hits["/flaky"] == 2


def test_http_bearer_token_from_the_source_token_setting(api, settings, monkeypatch):
    """RETAINAI_SOURCE_TOKEN is a secret setting: read with the others, never printed."""
    monkeypatch.setenv("RETAINAI_SOURCE_TOKEN", "tok-123")
    with_token = Settings(state_dir=settings.state_dir)
    assert "tok-123" not in repr(with_token)
    assert read_source(f"{api}/auth", settings=with_token)["auth"].tolist() == ["Bearer tok-123"]
    assert read_source(f"{api}/auth", settings=settings)["auth"].tolist() == [""]  # built before


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/down", "HTTP 500"),
        ("/missing", "HTTP 404"),
        ("/badjson", "invalid JSON"),
        ("/loop", "pagination loop"),
        ("/stuck", "asked for page 2, got page 1"),
        ("/shape", "unexpected JSON payload"),
    ],
)
def test_http_errors(api, settings, path, message):
    with pytest.raises(DataSourceError, match=message) as info:
        read_source(f"{api}{path}", settings=settings)
    assert f"{api}{path}" in str(info.value)
    assert isinstance(info.value, TransientSourceError) == (path == "/down")


def test_http_unreachable(settings):
    with pytest.raises(TransientSourceError, match=r"request to .* failed"):
        read_source("http://127.0.0.1:1/customers", settings=settings)
