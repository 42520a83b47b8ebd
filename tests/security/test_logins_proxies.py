"""Client addresses (what login throttling counts by) come from X-Forwarded-For only when the
connection comes from a proxy named in RETAINAI_TRUSTED_PROXIES; by default from nobody, so a
made-up header cannot give every guess a fresh address. Checked on `retainai serve` itself."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
import sqlalchemy as sa
from serving_helpers import REPO

from configs.errors import SettingsError
from configs.settings import Settings, load_settings
from tests.store_templates import seed_mlflow_store


def test_trusted_proxies_are_addresses_or_networks(monkeypatch):
    monkeypatch.setenv("RETAINAI_TRUSTED_PROXIES", "10.0.0.7, 172.16.0.0/12")
    assert Settings().trusted_proxies == ("10.0.0.7/32", "172.16.0.0/12")
    monkeypatch.setenv("RETAINAI_TRUSTED_PROXIES", "*")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert refused.value.lines == (
        "RETAINAI_TRUSTED_PROXIES holds '*', which is not an IP address or network: set IP "
        "addresses or networks separated by commas, e.g. 10.0.0.0/8",
    )
    monkeypatch.delenv("RETAINAI_TRUSTED_PROXIES")
    assert Settings().trusted_proxies == ()


def _recorded_address(tmp_path, trusted: str | None) -> str:
    """Serve with `retainai serve`, send a wrong login with a forged X-Forwarded-For and
    return the client address the login was counted for."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "RETAINAI_TRUSTED_PROXIES"}
    env["RETAINAI_STATE_DIR"] = str(tmp_path)
    if trusted is not None:
        env["RETAINAI_TRUSTED_PROXIES"] = trusted
    seed_mlflow_store(tmp_path / "mlflow.db")  # the state's MLflow store, migrated once per session
    command = [sys.executable, "-m", "flows", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with (tmp_path / "server.log").open("wb") as log:
        server = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 180
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        guess = {"email": "a@example.test", "password": "guess"}
        forged = {"X-Forwarded-For": "203.0.113.9"}
        answer = httpx.post(f"{url}/auth/login", json=guess, headers=forged, timeout=30)
        assert answer.status_code == 401
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    engine = sa.create_engine(Settings(state_dir=tmp_path).resolved_database_url)
    with engine.connect() as connection:
        (address,) = connection.execute(sa.text("SELECT address FROM login_attempts")).one()
    engine.dispose()
    return address


def test_forwarded_addresses_count_only_from_trusted_proxies(tmp_path):
    (tmp_path / "none").mkdir()
    (tmp_path / "trusted").mkdir()
    assert _recorded_address(tmp_path / "none", None) == "127.0.0.1"
    assert _recorded_address(tmp_path / "trusted", "127.0.0.1") == "203.0.113.9"
