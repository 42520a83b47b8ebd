"""The production path as a session: `retainai stack up` on PostgreSQL and S3, then deploy.

Real servers, each its own process group started by the stack module under test: Prefect
(its own PostgreSQL database), MLflow (its own PostgreSQL database, artifacts in a moto S3
bucket), a process worker and the API. Everything is stopped at the end, also on failure."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from data.generate import generate_customers, write_customers
from tests.conftest import drop_database, fresh_postgres_database
from tests.integration.conftest import small_config

REPO = Path(__file__).resolve().parents[2]
BUCKET = "retainai-production-test"
CRASHED_AFTER_SECONDS = 45
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
# a secret the stack's services get (the bearer token of http sources; the file sources here
# do not use it): no log line of a run may show it
SOURCE_TOKEN = "stack-secret-token-5b2e91c7"


@dataclass(frozen=True)
class Production:
    settings: object  # configs.settings.Settings of the session
    database_url: str
    s3_endpoint_url: str
    config: Path  # one small grid, so training takes seconds
    customers: Path
    large_batch: Path  # for a scoring run that is still writing when its worker dies


def _session_env(tmp: Path, database_url: str, s3_endpoint_url: str, customers: Path) -> dict:
    from tasks.adapters.process_groups import free_port

    return {
        "RETAINAI_STATE_DIR": str(tmp / "state"),
        "RETAINAI_DATABASE_URL": database_url,
        "RETAINAI_S3_ENDPOINT_URL": s3_endpoint_url,
        "RETAINAI_MLFLOW_ARTIFACTS": f"s3://{BUCKET}/mlflow",
        "RETAINAI_PREFECT_PORT": str(free_port()),
        "RETAINAI_MLFLOW_PORT": str(free_port()),
        "RETAINAI_API_PORT": str(free_port()),
        "RETAINAI_STACK_START_TIMEOUT_SECONDS": "150",
        "RETAINAI_CRASHED_AFTER_SECONDS": str(CRASHED_AFTER_SECONDS),
        "RETAINAI_HOME": str(REPO),
        "RETAINAI_TRAINING_SOURCE": str(customers),
        "RETAINAI_SCORING_SOURCE": str(customers),
        "RETAINAI_SOURCE_TOKEN": SOURCE_TOKEN,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "3",
    }


def _drop_databases(database_url: str, suffixes: tuple[str, ...]) -> None:
    import sqlalchemy as sa

    url = sa.engine.make_url(database_url)
    engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    for suffix in suffixes:
        drop_database(engine, f"{url.database}_{suffix}")
    engine.dispose()


@pytest.fixture(scope="module")
def production_env() -> dict[str, str]:
    """Further settings of the stack's environment (a module overrides it: its alert
    channels, say); the worker and `retainai deploy` see them."""
    return {}


@pytest.fixture(scope="module")
def production(tmp_path_factory, s3_endpoint_url, production_env):
    """The stack up on a database of its own and prefect.yaml deployed; yields a Production,
    stops every group after (at the end of the module, so no other test sees its settings)."""
    with fresh_postgres_database() as postgres_url:
        yield from _production(tmp_path_factory, postgres_url, s3_endpoint_url, production_env)


def _production(tmp_path_factory, postgres_url, s3_endpoint_url, extra_env):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from configs.settings import Settings
    from tasks.services.operations import stack as local_stack

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request lines
    tmp = tmp_path_factory.mktemp("production")
    customers, large_batch = tmp / "customers.csv", tmp / "large-batch.csv"
    write_customers(generate_customers(2000, seed=11), customers)
    write_customers(generate_customers(150_000, seed=12), large_batch)
    env = _session_env(tmp, postgres_url, s3_endpoint_url, customers) | extra_env
    with pytest.MonkeyPatch.context() as patch:
        leftovers = ("RETAINAI_", "MLFLOW_TRACKING", "MLFLOW_REGISTRY")
        for name in [n for n in os.environ if n.startswith(leftovers)]:
            patch.delenv(name)  # only the stack's own settings, whatever ran before
        for name, value in env.items():
            patch.setenv(name, value)
        settings = Settings()
        try:
            began = time.monotonic()
            states = local_stack.up(settings).services
            print(
                f"\nstack up in {time.monotonic() - began:.1f} s:",
                {s.name: round(s.seconds or 0, 1) for s in states},
            )
            for name, value in local_stack.exports(settings).items():
                patch.setenv(name, value)
            settings = Settings()  # as a shell that exported them builds its own
            with temporary_settings(updates={PREFECT_API_URL: env_api(settings)}):
                began = time.monotonic()
                local_stack.deploy(settings)
                print(f"deploy in {time.monotonic() - began:.1f} s")
                yield Production(
                    settings,
                    postgres_url,
                    s3_endpoint_url,
                    small_config(tmp, logistic_regression={"grid": {"C": [0.3, 1.0]}}),
                    customers,
                    large_batch,
                )
        finally:
            local_stack.down(settings)
            _drop_databases(postgres_url, ("prefect", "mlflow"))


def env_api(settings) -> str:
    from tasks.services.operations import stack as local_stack

    return local_stack.exports(settings)["PREFECT_API_URL"]
