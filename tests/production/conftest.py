"""The production path as a session: the steps of docs/pages/operations.md in a fresh clone.

The page's steps up to `make down` bring the stack up (Prefect, MLflow, a process worker and
the API, each its own process group, on PostgreSQL and a moto S3 bucket), deploy it and run a
deployed training; the tests of every module here then use that one stack, and `make down`,
the page's last step, stops it: every process of the clone, also on failure."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import yaml

from data.generate import generate_customers, write_customers
from tests.conftest import POSTGRES_SERVER, drop_database
from tests.integration.conftest import small_config
from tests.integration.smtp_server import Recorder, smtp_server
from tests.production import doc_run
from tests.production.doc_run import REPO  # noqa: F401 (the checkout, for the modules here)

BUCKET = "retainai-production-test"
CRASHED_AFTER_SECONDS = 45
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
# a secret the stack's services get (the bearer token of http sources; the file sources here
# do not use it): no log line of a run may show it
SOURCE_TOKEN = "stack-secret-token-5b2e91c7"
# the lines the tests add to .env after the page's own: shorter waits, the secret above
AFTER_THE_DOC = {
    "RETAINAI_STACK_START_TIMEOUT_SECONDS": "150",
    "RETAINAI_CRASHED_AFTER_SECONDS": str(CRASHED_AFTER_SECONDS),
    "RETAINAI_SOURCE_TOKEN": SOURCE_TOKEN,
    "PREFECT_WORKER_QUERY_SECONDS": "2",
    "PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "3",
}
HOOK_TOKEN = "hook-token-4f1c9e"  # in the webhook's URL: must never be in what is sent
# the small config's model, beside the page's `retainai-churn`: its first version is champion
SMALL_MODEL = "retainai-churn-small"


@dataclass(frozen=True)
class DocRun:
    """What the page's steps up to `make down` did, read right after them."""

    steps: int
    output: str
    seconds: float
    completed_trainings: int  # Completed runs of train-weekly
    model_versions: int  # in the MLflow registry


@dataclass(frozen=True)
class Production:
    settings: object  # configs.settings.Settings of a shell that loaded the clone's .env
    database_url: str
    s3_endpoint_url: str
    config: Path  # one small grid, so training takes seconds
    training_source: str  # as the clone's .env names it
    large_batch: Path  # for a scoring run that is still writing when its worker dies
    doc: DocRun
    clone: Path


@dataclass
class Channels:
    mail: Recorder
    hooks: list[dict] = field(default_factory=list)
    smtp_port: int = 0
    webhook_url: str = ""


def _receiver(hooks: list[dict]) -> HTTPServer:
    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            hooks.append({"path": self.path, "body": body.decode()})
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    return HTTPServer(("127.0.0.1", 0), Hook)


def _scalar(database_url: str, sql: str):
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


def _small_config(folder: Path) -> Path:
    path = small_config(folder, logistic_regression={"grid": {"C": [0.3, 1.0]}})
    raw = yaml.safe_load(path.read_text())
    raw["model"]["registered_name"] = SMALL_MODEL
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.fixture(scope="package")
def channels():
    """Where alerts go: a local SMTP server and a local chat webhook receiver, up before the
    stack starts (its worker mails, its automations call the webhook) and kept till its end."""
    found = Channels(Recorder())
    server = _receiver(found.hooks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    found.webhook_url = f"http://127.0.0.1:{server.server_port}/hooks/alerts?token={HOOK_TOKEN}"
    try:
        with smtp_server(found.mail) as port:
            found.smtp_port = port
            yield found
    finally:
        server.shutdown()


def _alert_settings(channels: Channels) -> dict[str, str]:
    return {
        "RETAINAI_SMTP_HOST": "127.0.0.1",
        "RETAINAI_SMTP_PORT": str(channels.smtp_port),
        "RETAINAI_SMTP_SECURITY": "none",
        "RETAINAI_MAIL_FROM": "alerts@example.test",  # .env is sourced by bash: no <>
        "RETAINAI_ALERT_EMAILS": "oncall@example.test",
        "RETAINAI_ALERT_WEBHOOK_URL": channels.webhook_url,
    }


# One stack for every module here: `make test` gives this folder to one worker as one unit
# (tests/conftest.py's scheduler), so the package's fixture starts it once.
@pytest.fixture(scope="package")
def production(tmp_path_factory, s3_endpoint_url, channels):
    """The page's steps up to `make down` in a fresh clone; yields a Production; then the
    page's `make down`, which must leave no process of the clone and no stack record."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request lines
    tmp = tmp_path_factory.mktemp("production")
    clone = doc_run.fresh_clone(tmp / "retainai")
    steps = doc_run.doc_steps((clone / doc_run.DOC).read_text())
    assert steps[-1] == doc_run.STOP, steps[-1]
    database = f"retainai_doc_{uuid.uuid4().hex[:10]}"
    values = doc_run.values_here(database, s3_endpoint_url, BUCKET)
    (tmp / "home").mkdir()
    env = doc_run.clean_env(tmp / "home", clone)
    records = clone / ".state" / "stack"
    try:
        up = doc_run.script(steps[:-1], values, AFTER_THE_DOC | _alert_settings(channels))
        yield from _up(tmp, clone, steps, values, env, up)
        # a new shell loads .env first, as the page says, then its last step
        down = doc_run.script(
            steps[-1:], values, first=len(steps), preamble="set -a; . ./.env; set +a"
        )
        stopped = doc_run.run(clone, "stop-the-doc.sh", down, env, timeout=180)
        assert stopped.returncode == 0, stopped.stdout[-4000:]
        assert re.search(rf"^@@ step {len(steps)} done", stopped.stdout, re.M), stopped.stdout
        left = doc_run.processes_in(clone)
        assert left == [], f"`make down` left processes running: {left}"
        assert not list(records.glob("*.json")), "`make down` left stack records"
    finally:
        if any(records.glob("*.json")):  # a failed step: stop what the page started
            stop = "set -a; . ./.env; set +a; .venv/bin/retainai stack down"
            subprocess.run(["bash", "-c", stop], cwd=clone, env=env, timeout=120, check=False)
        admin = _admin()
        for name in (database, f"{database}_prefect", f"{database}_mlflow"):
            drop_database(admin, name)
        admin.dispose()


def _admin():
    import sqlalchemy as sa

    return sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")


def _up(tmp: Path, clone: Path, steps, values: dict[str, str], env: dict[str, str], up: str):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from configs.settings import Settings
    from tasks.services.operations import stack as local_stack

    began = time.monotonic()
    done = doc_run.run(clone, "run-the-doc.sh", up, env, timeout=540)
    took = time.monotonic() - began
    print(f"\nthe operations doc up to `make down` ran in {took:.0f} s:")
    print(*re.findall(r"^@@ .*$", done.stdout, re.M), sep="\n")
    assert done.returncode == 0, (
        f"{doc_run.failed_step(done.stdout, steps)}\n---\n{done.stdout[-4000:]}"
    )
    url = values["RETAINAI_DATABASE_URL"]
    doc = DocRun(
        steps=len(steps) - 1,
        output=done.stdout,
        seconds=took,
        completed_trainings=_scalar(
            f"{url}_prefect",
            "SELECT count(*) FROM flow_run f JOIN deployment d ON d.id = f.deployment_id "
            "WHERE d.name = 'train-weekly' AND f.state_type = 'COMPLETED'",
        ),
        model_versions=_scalar(f"{url}_mlflow", "SELECT count(*) FROM model_versions"),
    )
    large_batch = tmp / "large-batch.csv"
    write_customers(generate_customers(150_000, seed=12), large_batch)
    shell = doc_run.loaded_env(clone, env)
    with pytest.MonkeyPatch.context() as patch:
        leftovers = ("RETAINAI_", "MLFLOW_TRACKING", "MLFLOW_REGISTRY", "PREFECT_API_URL")
        for name in [n for n in os.environ if n.startswith(leftovers)]:
            patch.delenv(name)  # only the stack's own settings, whatever ran before
        for name, value in {**shell, "AWS_DEFAULT_REGION": "us-east-1"}.items():
            patch.setenv(name, value)
        # this process runs elsewhere: the clone's state and its relative sources
        patch.setenv("RETAINAI_STATE_DIR", str(clone / ".state"))
        patch.setenv("RETAINAI_HOME", str(clone))
        patch.setenv("PYTHONPATH", str(clone))  # a worker this process restarts runs the clone
        for name, value in local_stack.exports(Settings()).items():
            patch.setenv(name, value)  # what `make up` printed to export
        settings = Settings()
        with temporary_settings(
            updates={PREFECT_API_URL: local_stack.exports(settings)["PREFECT_API_URL"]}
        ):
            yield Production(
                settings,
                url,
                values["RETAINAI_S3_ENDPOINT_URL"],
                _small_config(tmp),
                shell["RETAINAI_TRAINING_SOURCE"],
                large_batch,
                doc,
                clone,
            )
