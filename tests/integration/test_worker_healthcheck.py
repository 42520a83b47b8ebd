"""`retainai worker --with-healthcheck`, the compose worker's command, answers the compose
healthcheck (GET /health on the worker's webserver port) and polls its pool on a real Prefect
server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def test_the_worker_answers_the_compose_healthcheck(prefect_server, tmp_path):
    from prefect.settings import PREFECT_API_URL

    from tasks.adapters.process_groups import free_port

    port, pool = free_port(), f"health-{uuid.uuid4().hex[:8]}"
    env = {name: value for name, value in os.environ.items() if not name.startswith("RETAINAI_")}
    env.update(
        PREFECT_API_URL=PREFECT_API_URL.value(),
        PREFECT_WORKER_WEBSERVER_HOST="127.0.0.1",
        PREFECT_WORKER_WEBSERVER_PORT=str(port),
        RETAINAI_STATE_DIR=str(tmp_path / "state"),
        RETAINAI_WORK_POOL=pool,
        PYTHONPATH=str(REPO),
    )
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "flows", "worker", "--with-healthcheck"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        answer, deadline = None, time.monotonic() + 90
        while time.monotonic() < deadline and worker.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        assert answer is not None, f"no answer on :{port}/health\n{log.read_text()[-3000:]}"
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"message": "OK"}
        workers, api = [], PREFECT_API_URL.value()
        while time.monotonic() < deadline and not workers:
            found = httpx.post(f"{api}/work_pools/{pool}/workers/filter", json={})
            workers = found.json() if found.is_success else []  # 404 until the pool exists
            time.sleep(0 if workers else 0.5)
        assert workers and workers[0]["last_heartbeat_time"], workers
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
