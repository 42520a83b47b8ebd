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
from serving_fixtures import (  # noqa: F401  (tests/serving, tests/security)
    Served,
    a_month_passes,
    champion,
    served,
)

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


@pytest.fixture(scope="session", autouse=True)
def mlflow_store_templates(tmp_path_factory) -> Iterator[None]:
    """Fresh MLflow SQLite stores start from one migrated template per session
    (tests/store_templates.py); the pytest-xdist workers share it."""
    import os

    from tests import store_templates

    folder = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        folder = folder.parent  # the run's folder, above each worker's own
    with store_templates.fresh_stores_from_template(folder):
        yield


@pytest.fixture(scope="session", autouse=True)
def light_password_hashing():
    """Argon2id at its lightest parameters (one pass over 8 KiB) in the test process: the
    product's (pwdlib's defaults, 64 MiB and three passes) cost a third of a second per
    login or new user. Yields the product's hasher; servers the tests start as processes,
    and the tests asking for `product_password_hashing`, use the product's parameters."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    from tasks.core import credentials

    light = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))
    product = credentials._hasher
    credentials._hasher = lambda: light
    credentials._dummy_hash.cache_clear()
    yield product
    credentials._hasher = product
    credentials._dummy_hash.cache_clear()


@pytest.fixture
def product_password_hashing(light_password_hashing, monkeypatch):
    """The product's own Argon2 parameters for this test (see light_password_hashing)."""
    from tasks.core import credentials

    monkeypatch.setattr(credentials, "_hasher", light_password_hashing)
    credentials._dummy_hash.cache_clear()
    yield light_password_hashing()
    credentials._dummy_hash.cache_clear()


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


# Seconds each of the longest modules took on two workers (`pytest --durations=0`, summed per
# file). `make test` gives pytest-xdist whole files (--dist loadfile) in collection order
# (--no-loadscope-reorder), so these start first and the short ones fill the gaps after: a
# long module picked up last would leave one worker running it alone at the end.
LONGEST_MODULES = {
    "tests/production/test_production_path.py": 400,  # and the folder's other modules
    "tests/integration/test_mlproject.py": 127,
    "tests/bench/test_bench_smoke.py": 120,
    "tests/integration/test_scoring_flow.py": 88,
    "tests/integration/test_dask_cluster.py": 75,
    "tests/serving/test_loadtest.py": 43,
    "tests/security/test_fuzz_api.py": 42,
    "tests/integration/test_pipeline_flow.py": 35,
    "tests/integration/test_training_flow.py": 32,
    "tests/security/test_logins_proxies.py": 32,
    "tests/serving/test_dashboard_auth.py": 27,
    "tests/integration/test_other_tables.py": 24,
    "tests/security/test_fuzz_pages.py": 20,
    "tests/model/test_init_config_training.py": 18,
    "tests/security/test_logins_timing.py": 16,
    "tests/security/test_secrets_error_paths.py": 14,
}


# The production modules share one stack (tests/production/conftest.py's package fixture):
# pytest-xdist gives the whole folder to one worker as one unit, so it starts once.
ONE_UNIT = "tests/production/"


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadFileScheduling

    if config.getvalue("dist") != "loadfile":
        return None

    class FilesAndOneStack(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith(ONE_UNIT):
                return ONE_UNIT
            return super()._split_scope(nodeid)

    return FilesAndOneStack(config, log)


def pytest_collection_modifyitems(config, items) -> None:
    """The longest modules first, longest to shortest; every other module after them, in
    collection order (a stable sort: the tests inside a module keep their order)."""

    def rank(item) -> int:
        return -LONGEST_MODULES.get(item.nodeid.split("::", 1)[0], 0)

    items.sort(key=rank)
