"""`retainai init-config` writes a draft that loads, and never overwrites by accident."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from configs.schema import load_config
from flows.cli import app
from tests.tables import SHAPES


@pytest.fixture
def table(tmp_path, monkeypatch):
    monkeypatch.setenv("RETAINAI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "state" / "prefect"))
    monkeypatch.chdir(tmp_path)
    frame, _ = SHAPES["flat"]()
    path = tmp_path / "my-accounts.csv"
    frame.to_csv(path, index=False)
    return path


def test_init_config_writes_and_refuses_to_overwrite(table, tmp_path):
    runner = CliRunner()
    args = ["init-config", "--data", str(table), "--target", "cancelled"]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    written = tmp_path / "configs" / "my-accounts.yaml"
    assert f"wrote {written.relative_to(tmp_path)}" in done.output
    assert "id account" in done.output and "value monthly_fee" in done.output
    config = load_config(written)
    assert config.dataset.name == "my-accounts" and config.dataset.roles.duration == "tenure_months"

    written.write_text("# edited by hand\n")
    again = runner.invoke(app, args)
    assert again.exit_code != 0 and "--force" in again.output
    assert written.read_text() == "# edited by hand\n"

    out = tmp_path / "elsewhere" / "flat.yaml"
    forced = runner.invoke(app, [*args, "--name", "flat", "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert load_config(out).dataset.name == "flat"


def test_init_config_unknown_target(table):
    done = CliRunner().invoke(app, ["init-config", "--data", str(table), "--target", "gone"])
    assert done.exit_code != 0
    assert "target column 'gone' is not in the table" in str(done.exception or done.output)
