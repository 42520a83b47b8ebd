"""The `retainai` command: one clear line on errors, a non-zero exit, commands that work."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from flows.cli import main

pytestmark = pytest.mark.usefixtures("prefect_server")


def run(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["retainai", *args])
    try:
        main()
        code = 0
    except SystemExit as exited:
        code = exited.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


def test_errors_are_one_line_without_traceback(tmp_path):
    """A real `retainai` process (on the test's Prefect server): stderr is the error alone."""
    from prefect.settings import PREFECT_API_URL

    env = {
        **os.environ,
        "RETAINAI_STATE_DIR": str(tmp_path),
        "PREFECT_API_URL": PREFECT_API_URL.value(),
    }
    for key in [k for k in env if k.startswith("PREFECT_LOGGING_HANDLERS")]:
        del env[key]
    missing = tmp_path / "missing.csv"
    done = subprocess.run(
        [sys.executable, "-m", "flows", "train", "--data", str(missing)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == f"error: {missing}: file not found"
    reported = [
        line for line in done.stderr.splitlines() if line.startswith("error") or "| ERROR" in line
    ]
    assert reported == [f"error: {missing}: file not found"]


def test_debug_shows_the_traceback(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("RETAINAI_STATE_DIR", str(tmp_path))

    code, _, err = run(monkeypatch, capsys, "--debug", "models", "rollback")
    assert code == 6 and "Traceback" in err and "error: there is no champion" in err  # conflict


def test_bad_config_and_usage(monkeypatch, capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("dataset: {}\n")
    code, _, err = run(monkeypatch, capsys, "train", "--config", str(bad), "--data", "x.csv")
    assert code == 3 and "dataset.name: Field required" in err  # configuration
    code, _, err = run(monkeypatch, capsys, "generate-data", "--rows", "0", "--out", "x.csv")
    assert code == 2 and "--rows" in err


def test_generate_data_and_models_list(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("RETAINAI_STATE_DIR", str(tmp_path))
    out_file = tmp_path / "customers.csv"
    code, out, _ = run(
        monkeypatch, capsys, "generate-data", "--rows", "50", "--seed", "3", "--out", str(out_file)
    )
    assert code == 0 and "wrote 50 customers" in out
    assert len(pd.read_csv(out_file)) == 50
    code, out, _ = run(monkeypatch, capsys, "models", "list")
    assert code == 0 and "no registered versions yet" in out
