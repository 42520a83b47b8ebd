"""Production refuses to start without a real signing key (RETAINAI_SECRET_KEY): unset, short
once decoded, a placeholder or a repetition is one error line from every entry point."""

from __future__ import annotations

import base64
import os
import re
import secrets
import subprocess
import sys

import pytest
from pydantic import ValidationError
from serving_helpers import REPO

from configs.settings import Settings

RANDOM_16_BYTES = secrets.token_hex(16)  # 32 characters, 16 bytes
WEAK = {
    None: "is not set",
    "abc": "is shorter than 32 bytes",
    "changeme-changeme": "is shorter than 32 bytes",
    RANDOM_16_BYTES: "is shorter than 32 bytes",
    "changeme-changeme-changeme-changeme-changeme": "is a placeholder",
    "my-production-secret-for-the-unsubscribe-links-2024": "is a placeholder",
    "x" * 64: "is a repetition",
    "xyz789" * 8: "is a repetition",
    base64.b64encode(bytes(40)).decode(): "is a repetition",
}
STRONG = (
    secrets.token_urlsafe(32),
    secrets.token_hex(32),
    base64.b64encode(secrets.token_bytes(32)).decode(),
    "a-test-signing-key-of-32-chars!!",
)


@pytest.mark.parametrize(
    ("key", "reason"),
    WEAK.items(),
    ids=["random-hex-16" if k == RANDOM_16_BYTES else str(k)[:12] for k in WEAK],
)
def test_production_refuses_a_weak_key_naming_the_variable(key, reason):
    with pytest.raises(ValidationError, match=f"RETAINAI_SECRET_KEY {reason}"):
        Settings(environment="production", secret_key=key)


@pytest.mark.parametrize("key", STRONG, ids=["urlsafe", "hex", "base64", "typed"])
def test_production_takes_a_random_key(key):
    assert Settings(environment="production", secret_key=key).secret_key.get_secret_value() == key


def test_development_needs_no_key():
    assert Settings(environment="development").secret_key is None


def _retainai(tmp_path, *words: str, key: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETAINAI_")}
    env.update(RETAINAI_ENVIRONMENT="production", RETAINAI_STATE_DIR=str(tmp_path))
    if key is not None:
        env["RETAINAI_SECRET_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "flows", *words],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "words",
    [("serve", "--port", "1"), ("worker",), ("db", "upgrade"), ("deploy",)],
    ids=["serve", "worker", "migrate", "deploy"],
)
@pytest.mark.parametrize("key", [None, "changeme-changeme"], ids=["unset", "placeholder"])
def test_every_production_entry_point_refuses_to_start(tmp_path, words, key):
    done = _retainai(tmp_path, *words, key=key)
    assert done.returncode == 3, done.stdout + done.stderr  # configuration
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: RETAINAI_SECRET_KEY is "), lines
    assert not (tmp_path / "retainai.db").exists()  # nothing was started or migrated


def test_compose_needs_the_key_and_starts_through_the_checked_commands():
    compose = (REPO / "docker-compose.yml").read_text()
    assert "RETAINAI_SECRET_KEY: ${RETAINAI_SECRET_KEY:?" in compose
    commands = re.findall(r'command: \["retainai", "([a-z]+)"', compose)
    assert {"deploy", "worker", "db", "serve"} <= set(commands)
    example = (REPO / ".env.example").read_text()
    assert "secrets.token_urlsafe(32)" in example and "# RETAINAI_SECRET_KEY=" in example
