"""`retainai users`: create (a generated password shown once, or typed), list, change roles;
bad input is one clear error and the last admin stays one."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from configs.settings import Settings
from flows.cli import app
from tasks.services import accounts
from tasks.services.context import Context


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("RETAINAI_STATE_DIR", str(tmp_path / "state"))
    return tmp_path


def _run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def test_users_from_the_command_line(state):
    made = _run("users", "create", "--email", "Boss@Example.test", "--role", "admin")
    assert made.exit_code == 0, made.output
    password = made.output.strip().splitlines()[-1]
    assert "boss@example.test (admin) created" in made.output and len(password) == 20
    attempt = accounts.LoginAttempt("boss@example.test", password, "cli")
    assert accounts.login(Context(Settings()), attempt).user
    typed = _run(
        "users",
        "create",
        "--email",
        "ana@example.test",
        "--role",
        "analyst",
        "--prompt",
        input="a typed passphrase\na typed passphrase\n",
    )
    assert typed.exit_code == 0 and "ana@example.test (analyst)" in typed.output
    listed = _run("users", "list").output
    assert "boss@example.test" in listed and "analyst" in listed and "active" in listed

    again = _run("users", "create", "--email", "boss@example.test", "--role", "viewer")
    assert again.exit_code != 0 and "already exists" in str(again.exception)
    wrong = _run("users", "create", "--email", "x@example.test", "--role", "root")
    assert wrong.exit_code != 0 and "role must be one of" in str(wrong.exception)
    last = _run("users", "set-role", "1", "viewer")
    assert last.exit_code != 0 and "last active admin" in str(last.exception)
    moved = _run("users", "set-role", "2", "viewer", "--deactivate")
    assert moved.exit_code == 0 and "inactive" in moved.output


def test_a_refusal_reads_in_the_language_of_the_locale(state, monkeypatch, capsys):
    import sys

    from flows.cli import main

    for name in ("LC_ALL", "LC_MESSAGES", "RETAINAI_DEFAULT_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)

    def refused(*args: str) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["retainai", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        return exited.value.code, capsys.readouterr().err.strip().splitlines()[-1]

    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    code, said = refused("users", "set-role", "99", "viewer")
    assert code == 5 and said == "erreur : aucun utilisateur 99"
    monkeypatch.setenv("RETAINAI_DEFAULT_LANGUAGE", "en")  # the setting before the locale
    code, said = refused("users", "set-role", "99", "viewer")
    assert code == 5 and said == "error: no user 99"
