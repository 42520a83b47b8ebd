"""Shared fixtures: throwaway databases on the local PostgreSQL/MariaDB servers and an S3 server.

Each database fixture skips (with the reason) only when nothing listens on the server's port;
a server that answers but refuses us is a failure, not a skip.
"""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import Iterator

import pytest
from serving_fixtures import Served, champion, served  # noqa: F401  (tests/serving, tests/security)

POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
MARIADB_SERVER = "mysql+pymysql://root@127.0.0.1:3306"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _throwaway_database(server: str, admin_db: str, port: int, quote: str) -> Iterator[str]:
    import sqlalchemy as sa

    if not _answers("127.0.0.1", port):
        pytest.skip(f"no database server answers on 127.0.0.1:{port} ({server})")
    name = f"retainai_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(f"{server}/{admin_db}", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {quote}{name}{quote}"))
    try:
        yield f"{server}/{name}"
    finally:
        drop_database(engine, name, quote)
        engine.dispose()


def drop_database(admin_engine, name: str, quote: str = '"') -> None:
    """Drop database `name` (on PostgreSQL after ending the sessions a crash left behind)."""
    import sqlalchemy as sa

    with admin_engine.connect() as conn:
        if admin_engine.dialect.name == "postgresql":
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quote}{name}{quote}"))


@contextlib.contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A PostgreSQL database of its own (for what must not share the session's), dropped
    when the block ends."""
    yield from _throwaway_database(POSTGRES_SERVER, "postgres", 5432, '"')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of a fresh PostgreSQL database, dropped after the session."""
    yield from _throwaway_database(POSTGRES_SERVER, "postgres", 5432, '"')


@pytest.fixture(scope="session")
def mariadb_url() -> Iterator[str]:
    """SQLAlchemy URL of a fresh MariaDB database, dropped after the session."""
    yield from _throwaway_database(MARIADB_SERVER, "mysql", 3306, "`")


@pytest.fixture(scope="session")
def s3_endpoint_url() -> Iterator[str]:
    """Endpoint of an in-process moto S3 server (set dummy AWS credentials in the test)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


REPO = __import__("pathlib").Path(__file__).resolve().parents[1]
TELCO_CSV = REPO.parent / "shared" / "data" / "telco-customer-churn.csv"


@pytest.fixture(scope="session", autouse=True)
def quiet_local_runtime(tmp_path_factory) -> None:
    """Prefect, MLflow and friends stay quiet, offline and inside a temporary folder."""
    import os

    from flows.cli import quiet_runtime_defaults

    home = tmp_path_factory.mktemp("runtime")
    os.environ.setdefault("PREFECT_HOME", str(home / "prefect"))
    os.environ.setdefault("TMPDIR", str(home))
    quiet_runtime_defaults(home)


@pytest.fixture(scope="session")
def prefect_server():
    """One temporary Prefect API server for every test that runs a flow."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def telco_csv():
    if not TELCO_CSV.is_file():
        pytest.skip(f"Telco reference file not found at {TELCO_CSV}")
    return TELCO_CSV
