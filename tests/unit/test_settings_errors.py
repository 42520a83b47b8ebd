"""Invalid settings read as one line per variable: its name, what is wrong, the fix; never
the value (a key or a password)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from configs.errors import ConfigError
from configs.settings import ServingSettings, Settings, load_settings
from configs.settings_errors import settings_error_lines

REPO = Path(__file__).resolve().parents[2]
KEY = "sk-not-to-be-printed-8c41e0"
PASSWORD = "relay-password-not-printed"
STRONG_KEY = "3f9c0a5e7b1d4c2a8e6f0b9d1c3a5e7f9b2d4c6a8e0f1b3d5c7a9e2f4b6d8c0a"


def _lines(model=Settings, **values) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        model(**values)
    return settings_error_lines(caught.value, model)


def test_production_names_every_problem_with_its_fix_in_one_go():
    lines = _lines(
        environment="production",
        public_url="http://retain.example.com",
        smtp_user="mailer",
        smtp_security="none",
        smtp_password="changeme",
        llm_api_key="changeme",
    )
    assert [line.split(" ", 1)[0] for line in lines] == [
        "RETAINAI_LLM_API_KEY",
        "RETAINAI_SMTP_PASSWORD",
        "RETAINAI_SMTP_SECURITY",
        "RETAINAI_PUBLIC_URL",
        "RETAINAI_SECRET_KEY",
    ]
    public = lines[3]
    assert "is not an https URL" in public and "set the https:// address" in public
    assert lines[4].startswith("RETAINAI_SECRET_KEY is not set: ")
    assert "token_hex(32)" in lines[4]
    assert "set starttls (port 587) or ssl (port 465)" in lines[2]


def test_only_the_https_url_when_the_rest_is_right():
    lines = _lines(environment="production", public_url="http://x.example", secret_key=STRONG_KEY)
    assert lines == [
        "RETAINAI_PUBLIC_URL is not an https URL, which production's unsubscribe links need: "
        "set the https:// address people open, e.g. https://retain.example.com"
    ]


@pytest.mark.parametrize(
    ("values", "line"),
    [
        (
            {"prefect_port": "abc"},
            "RETAINAI_PREFECT_PORT is not a whole number: set a whole number from 1 to 65535",
        ),
        (
            {"smtp_port": 99999},
            "RETAINAI_SMTP_PORT must be less than 65536: set a whole number from 1 to 65535",
        ),
        (
            {"flow_heartbeat_seconds": 3},
            "RETAINAI_FLOW_HEARTBEAT_SECONDS must be at least 30: "
            "set a whole number of at least 30",
        ),
        (
            {"http_timeout_seconds": 0},
            "RETAINAI_HTTP_TIMEOUT_SECONDS must be greater than 0: set a number above 0",
        ),
        (
            {"environment": "prod"},
            "RETAINAI_ENVIRONMENT is not one of the accepted values: "
            "set one of development, test, production",
        ),
        (
            {"smtp_security": "tls"},
            "RETAINAI_SMTP_SECURITY is not one of the accepted values: "
            "set one of none, starttls, ssl",
        ),
        (
            {"self_registration": "maybe"},
            "RETAINAI_SELF_REGISTRATION is not true or false: set true or false",
        ),
        (
            {"reports_url": "bucket/reports"},
            "RETAINAI_REPORTS_URL has the wrong form: set "
            "s3://bucket or s3://bucket/prefix, or leave it unset",
        ),
        (
            {"trusted_proxies": "10.0.0.1,gateway"},
            "RETAINAI_TRUSTED_PROXIES holds 'gateway', "
            "which is not an IP address or network: set IP addresses or networks separated by "
            "commas, e.g. 10.0.0.0/8",
        ),
        (
            {"PREFECT_API_URL": 5},
            "PREFECT_API_URL input should be a valid string: see the settings",
        ),
    ],
)
def test_each_kind_of_mistake_reads_as_its_variable_problem_and_fix(values, line):
    assert _lines(**values) == [line]


def test_serving_variables_carry_their_own_prefix():
    assert _lines(ServingSettings, max_batch=0) == [
        "RETAINAI_SERVING_MAX_BATCH must be at least 1: set a whole number from 1 to 100000"
    ]


def test_no_line_shows_a_secret_value():
    """The fields' own checks first (a value of the wrong type), production's once they pass."""
    lines = _lines(environment="production", prefect_port=KEY)
    assert lines == [
        "RETAINAI_PREFECT_PORT is not a whole number: set a whole number from 1 to 65535"
    ]
    lines = _lines(
        environment="production",
        public_url=f"http://user:{PASSWORD}@retain.example.com",
        secret_key=KEY,  # too short once decoded
        smtp_password="changeme",
        llm_api_key=PASSWORD,
    )
    assert [line.split(" ", 1)[0] for line in lines] == [
        "RETAINAI_SMTP_PASSWORD",
        "RETAINAI_PUBLIC_URL",
        "RETAINAI_SECRET_KEY",
    ]
    assert not [line for line in lines if KEY in line or PASSWORD in line or "changeme" in line]


def test_load_settings_reports_every_variable_of_both_kinds(monkeypatch):
    for name in [n for n in os.environ if n.startswith("RETAINAI_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("RETAINAI_SERVING_POLL_SECONDS", "-1")
    monkeypatch.setenv("RETAINAI_API_PORT", "0")
    monkeypatch.setenv("RETAINAI_LLM_API_KEY", KEY)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.lines == (
        "RETAINAI_SERVING_POLL_SECONDS must be at least 0: set a number of at least 0",
        "RETAINAI_API_PORT must be greater than 0: set a whole number from 1 to 65535",
    )
    assert str(caught.value) == "\n".join(caught.value.lines)


def test_every_command_prints_a_line_per_invalid_variable(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETAINAI_")}
    env.update(
        RETAINAI_STATE_DIR=str(tmp_path),
        RETAINAI_ENVIRONMENT="production",
        RETAINAI_PUBLIC_URL="http://retain.example.com",
        RETAINAI_SMTP_PASSWORD=PASSWORD,
        RETAINAI_SMTP_PORT="70000",
    )
    done = subprocess.run(
        [sys.executable, "-m", "flows", "campaign", "list"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr  # configuration
    assert done.stderr.splitlines() == [
        "error: RETAINAI_SMTP_PORT must be less than 65536: set a whole number from 1 to 65535"
    ]
    env["RETAINAI_SMTP_PORT"] = "587"
    done = subprocess.run(
        [sys.executable, "-m", "flows", "campaign", "list"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr
    lines = done.stderr.splitlines()
    assert [line.split(" ", 2)[1] for line in lines] == [
        "RETAINAI_PUBLIC_URL",
        "RETAINAI_SECRET_KEY",
    ], lines
    assert "validation error" not in done.stderr and PASSWORD not in done.stderr
