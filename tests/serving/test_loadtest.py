"""Load on a real server: `retainai serve` on a loopback port, 16 connections, bounded time.

No request may fail and the server's RSS may grow by less than 50 MB. The duration is
RETAINAI_LOADTEST_SECONDS (default 20 s, what `make test` runs; 60 for the full soak).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from serving_helpers import REPO, customers, make_tokens

pytestmark = pytest.mark.slow
CONCURRENCY = 16


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def _request(port: int, path: str, payload, token: str) -> bytes:
    body = json.dumps(payload).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _load(port: int, requests: list[bytes], seconds: float) -> dict[int, int]:
    statuses: dict[int, int] = {}
    until = time.monotonic() + seconds

    async def connection(offset: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = offset
        try:
            while time.monotonic() < until:
                writer.write(requests[i % len(requests)])
                i += 1
                head = await reader.readuntil(b"\r\n\r\n")
                lower = head.lower()
                at = lower.index(b"content-length:") + 15
                await reader.readexactly(int(lower[at : lower.index(b"\r\n", at)]))
                status = int(head[9:12])
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(connection(k * 31) for k in range(CONCURRENCY)))
    return statuses


def _wait_ready(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} not ready in {timeout} s")


def test_sustained_load_has_no_errors_and_bounded_memory(champion, tmp_path):
    from configs.schema import load_config
    from tasks.adapters import db
    from tasks.adapters.db import make_engine

    seconds = float(os.environ.get("RETAINAI_LOADTEST_SECONDS", "20"))
    engine = make_engine(champion.settings.resolved_database_url, 1)
    db.ensure_schema(engine, embedded=True)
    token = make_tokens(engine, "load")["app"]
    engine.dispose()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "RETAINAI_STATE_DIR": str(champion.state),
        "RETAINAI_SERVING_POLL_SECONDS": "2",
    }
    command = [
        sys.executable,
        "-m",
        "flows",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--config",
        str(champion.config),
    ]
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_ready(f"http://127.0.0.1:{port}/ready", server)
        config = load_config(champion.config)
        records = customers(config, 200, seed=17)[1]
        requests = [_request(port, "/predict", r, token) for r in records]
        requests += [_request(port, "/predict", records[:50], token) for _ in range(4)]
        requests += [_request(port, "/predict?explain=true", records[:3], token) for _ in range(2)]
        asyncio.run(_load(port, requests, min(5.0, seconds)))  # warm-up
        before = _rss_bytes(server.pid)
        statuses = asyncio.run(_load(port, requests, seconds))
        grown = _rss_bytes(server.pid) - before
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    total = sum(statuses.values())
    assert statuses == {200: total} and total > 50 * seconds, statuses
    assert grown < 50 * 2**20, f"RSS grew by {grown / 2**20:.1f} MB over {total} requests"
    text = log.read_text()
    assert "POST /predict" in text  # the access log is on, and it holds no token
    assert token not in text and token.split("_", 2)[2] not in text
    assert "Traceback" not in text
