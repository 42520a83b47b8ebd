"""The local stack's four services: command, environment, stores, health check and URLs."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from configs.settings import Settings
from tasks.adapters import s3
from tasks.adapters.process_groups import http_ok
from tasks.core.errors import ProblemsError, StackError
from tasks.core.redaction import mask_url
from tasks.core.stack_plan import (
    companion_url,
    database_name,
    is_postgres,
    needed_buckets,
    needed_databases,
)

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Service:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    healthy: Callable[[float], bool]  # given the group's start time
    urls: dict[str, str] = field(default_factory=dict)  # what to print, by label


def prefect_api_url(settings: Settings) -> str:
    return f"http://{settings.stack_host}:{settings.prefect_port}/api"


def mlflow_url(settings: Settings) -> str:
    return f"http://{settings.stack_host}:{settings.mlflow_port}"


def api_url(settings: Settings) -> str:
    return f"http://{settings.stack_host}:{settings.api_port}"


def worker_name(settings: Settings) -> str:
    """This machine's worker of the stack's work pool."""
    return f"{settings.work_pool}-{socket.gethostname()}"


def client_env(settings: Settings) -> dict[str, str]:
    """What the worker, the API and `retainai deploy` need to reach the stack."""
    return {
        "PREFECT_API_URL": prefect_api_url(settings),
        "RETAINAI_MLFLOW_TRACKING_URI": mlflow_url(settings),
    }


# MLflow's client exports these for its subprocesses; the stack's services use its server
_INHERITED_MLFLOW_URIS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


# The worker and its flow runs: Prefect's INFO lines of each run (and the project's, see
# tasks/adapters/run_logs.py) go to the Prefect API, whatever level the command line set for
# itself; the console handler keeps the level it inherits, so the service log stays as quiet
RUN_LOG_ENV = {"PREFECT_LOGGING_LEVEL": "INFO"}


def _child_env(settings: Settings, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _INHERITED_MLFLOW_URIS}
    env.setdefault("RETAINAI_HOME", str(REPO))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.update(client_env(settings))
    env.update(extra)
    return env


def mlflow_backend(settings: Settings) -> str:
    if is_postgres(settings.database_url):
        return companion_url(settings.database_url, "mlflow", "psycopg")
    return f"sqlite:///{settings.state / 'mlflow.db'}"


def mlflow_artifacts(settings: Settings) -> str:
    return settings.mlflow_artifacts or str(settings.state / "mlartifacts")


def services(settings: Settings) -> list[Service]:
    """The services in start order: the two servers first, then what depends on them."""
    python, host = sys.executable, settings.stack_host
    prefect_env = {}
    if is_postgres(settings.database_url):
        url = companion_url(settings.database_url, "prefect", "asyncpg")
        prefect_env["PREFECT_API_DATABASE_CONNECTION_URL"] = url
    mlflow_env = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    if settings.s3_endpoint_url:
        mlflow_env["MLFLOW_S3_ENDPOINT_URL"] = settings.s3_endpoint_url
    worker_env = {
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(settings.flow_heartbeat_seconds),
        **RUN_LOG_ENV,
    }
    prefect, mlflow, api = prefect_api_url(settings), mlflow_url(settings), api_url(settings)
    worker = worker_name(settings)
    return [
        Service(
            "prefect",
            [
                python,
                "-m",
                "prefect",
                "server",
                "start",
                "--host",
                host,
                "--port",
                str(settings.prefect_port),
            ],
            _child_env(settings, prefect_env),
            settings.prefect_port,
            lambda _: http_ok(f"{prefect}/health"),
            {"Prefect UI": prefect.removesuffix("/api")},
        ),
        Service(
            "mlflow",
            [
                python,
                "-m",
                "mlflow",
                "server",
                "--host",
                host,
                "--port",
                str(settings.mlflow_port),
                "--workers",
                "1",
                "--backend-store-uri",
                mlflow_backend(settings),
                "--artifacts-destination",
                mlflow_artifacts(settings),
            ],
            _child_env(settings, mlflow_env),
            settings.mlflow_port,
            lambda _: http_ok(f"{mlflow}/health"),
            {"MLflow UI": mlflow},
        ),
        Service(
            "worker",
            [
                python,
                "-m",
                "prefect",
                "worker",
                "start",
                "--pool",
                settings.work_pool,
                "--type",
                "process",
                "--name",
                worker,
            ],
            _child_env(settings, worker_env),
            0,
            lambda since: worker_online(prefect, settings.work_pool, worker, since),
        ),
        Service(
            "api",
            [python, "-m", "flows", "serve", "--host", host, "--port", str(settings.api_port)],
            _child_env(settings, {}),
            settings.api_port,
            lambda _: http_ok(f"{api}/health"),
            {"API docs": f"{api}/docs", "Dashboard": f"{api}/auth/login"},
        ),
    ]


def worker_online(prefect_api: str, pool: str, name: str, since: float) -> bool:
    """True when worker `name` of `pool` sent a heartbeat after `since` (epoch seconds)."""
    import httpx

    try:
        answer = httpx.post(f"{prefect_api}/work_pools/{pool}/workers/filter", json={}, timeout=3)
    except httpx.HTTPError:
        return False
    if not answer.is_success:
        return False
    for worker in answer.json():
        beat = worker.get("last_heartbeat_time")
        if worker.get("name") == name and beat and _epoch(beat) >= since - 1:
            return True
    return False


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def run_home() -> Path:
    """Where deployed flow runs start (prefect.yaml's RETAINAI_HOME): relative paths in the
    settings are read from there."""
    return Path(os.environ.get("RETAINAI_HOME") or REPO)


def prepare_stores(settings: Settings) -> list[str]:
    """Create what the servers and the deployments expect: their databases, every bucket,
    the folders, and the application database's schema at the current migration (the API
    refuses an old one). What was created, by name; StackError listing every store that is
    missing and cannot be created."""
    from tasks.adapters import db

    (settings.state / "stack").mkdir(parents=True, exist_ok=True)
    created, failed = [], []
    for url in needed_databases(settings):
        try:
            if _ensure_database(settings, url):
                created.append(f"database {database_name(url)}")
        except StackError as exc:
            failed.append(str(exc))
    for bucket, setting in needed_buckets(settings).items():
        try:
            if _ensure_bucket(settings, bucket):
                created.append(f"S3 bucket {bucket}")
        except StackError as exc:
            failed.append(f"{exc} ({setting})")
    if failed:
        raise ProblemsError("stores missing that `retainai stack up` cannot create:", failed)
    engine = db.engine_for(settings)
    if settings.database_url is None:
        db.ensure_schema(engine, embedded=True)
    else:
        db.upgrade(engine)
    if "://" not in mlflow_artifacts(settings):
        Path(mlflow_artifacts(settings)).mkdir(parents=True, exist_ok=True)
    return created


def _ensure_database(settings: Settings, wanted: str) -> bool:
    """Create the database `wanted` on the application's server unless it exists, through
    the server's maintenance database (`postgres`, this process's one engine on it); True
    when created."""
    import sqlalchemy as sa

    from tasks.adapters import db

    app_url = settings.database_url or ""
    name = database_name(wanted)
    admin = sa.engine.make_url(app_url).set(database="postgres")
    maintenance = settings.model_copy(
        update={"database_url": admin.render_as_string(hide_password=False)}
    )
    engine = db.engine_for(maintenance)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            query = sa.text("SELECT 1 FROM pg_database WHERE datname = :name")
            if conn.execute(query, {"name": name}).first() is not None:
                return False
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            return True
    except sa.exc.SQLAlchemyError as exc:
        reason = str(exc.orig or exc).splitlines()[0]
        raise StackError(
            f"database {name} on {mask_url(app_url)}: {reason} (RETAINAI_DATABASE_URL)"
        ) from None
    finally:
        engine.dispose()


def _ensure_bucket(settings: Settings, bucket: str) -> bool:
    """Create the S3 bucket unless it exists; True when created."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = s3.client(settings)
    try:
        client.head_bucket(Bucket=bucket)
        return False
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket"):
            raise StackError(f"S3 bucket {bucket}: {exc}") from None
    except BotoCoreError as exc:
        raise StackError(f"S3 bucket {bucket}: {exc}") from None
    region = client.meta.region_name
    where = {"LocationConstraint": region} if region and region != "us-east-1" else None
    try:
        client.create_bucket(
            Bucket=bucket, **({"CreateBucketConfiguration": where} if where else {})
        )
    except (BotoCoreError, ClientError) as exc:
        raise StackError(f"S3 bucket {bucket}: cannot create it: {exc}") from None
    return True
