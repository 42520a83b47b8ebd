"""A flow run's log lines in the Prefect API (the test's server): the project's INFO lines and
Prefect's own, secrets masked; a line logged outside a run is not sent and warns of nothing."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import warnings

import pytest

KEY = "sk-run-logs-7f3a9c2e"
PASSWORD = "pw-run-logs-51d0"


def _logs(flow_run_id, wanted: int, timeout: float = 20.0) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    ours = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
    deadline, found = time.monotonic() + timeout, []
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            found = client.read_logs(log_filter=ours)
            if len(found) >= wanted:
                break
            time.sleep(0.5)
    return found


@pytest.mark.usefixtures("prefect_server")
def test_a_runs_lines_reach_the_api_masked_and_lines_outside_are_not_sent(monkeypatch):
    from prefect import flow
    from prefect.context import get_run_context

    from tasks.run_setup import run_settings

    monkeypatch.setenv("RETAINAI_LLM_API_KEY", KEY)
    monkeypatch.setenv("RETAINAI_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("RETAINAI_TRAINING_SOURCE", "https://data.example/c.csv?sig=s1gn4ture")
    log = logging.getLogger("retainai.jobs")

    @flow(name="run-logs-check")
    def logging_flow():
        run_settings()
        log.info("calling the provider with key %s", KEY)
        log.info("relay login with %s", PASSWORD)
        log.info("reading https://data.example/c.csv?sig=s1gn4ture")
        log.debug("below INFO: not sent")
        try:
            raise RuntimeError(f"refused https://user:{PASSWORD}@smtp.example")
        except RuntimeError:
            log.exception("the relay failed")
        return get_run_context().flow_run.id

    flow_run_id = logging_flow()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        log.info("outside any run: %s", KEY)
    assert not [w for w in caught if "flow run id" in str(w.message)], caught

    logs = _logs(flow_run_id, 4)
    messages = [entry.message for entry in logs]
    ours = [entry for entry in logs if entry.name == "retainai.jobs"]
    assert [entry.level for entry in ours] == [20, 20, 20, 40], messages
    assert "calling the provider with key ***" in messages
    assert "relay login with ***" in messages
    assert "reading https://data.example/c.csv?sig=***" in messages
    failed = next(m for m in messages if m.startswith("the relay failed"))
    assert "RuntimeError: refused https://***@smtp.example" in failed
    assert not [m for m in messages if KEY in m or PASSWORD in m or "s1gn4ture" in m], messages
    assert not [m for m in messages if "outside any run" in m or "below INFO" in m]


def test_a_command_that_logs_outside_a_run_prints_no_prefect_warning(tmp_path):
    """With PREFECT_API_URL exported: the command line's own setup, Prefect imported as a
    command does, then a project line outside any run: printed, and no warning."""
    script = (
        "import logging\n"
        "from flows import cli\n"
        "cli.main_options(debug=False)\n"
        "from prefect import flow\n"
        "logging.getLogger('retainai.jobs').info('jobs worker started')\n"
    )
    env = {**os.environ, "RETAINAI_STATE_DIR": str(tmp_path)}
    env["PREFECT_API_URL"] = "http://127.0.0.1:4200/api"  # whether it answers or not
    env.pop("PREFECT_LOGGING_EXTRA_LOGGERS", None)
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "jobs worker started" in done.stderr
    assert "UserWarning" not in done.stderr and "flow run id" not in done.stderr, done.stderr
