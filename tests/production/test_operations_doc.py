"""The production path of docs/pages/operations.md, run as a newcomer would: in a fresh clone
of this repository, its `bash` blocks in order in one shell, its `ini` blocks written into
.env where they stand. What differs on this machine is only what the `ini` blocks name (a
database of its own, free ports, a local S3 server) and the PostgreSQL client's connection
(PGHOST, PGUSER); `.venv` is this checkout's, linked rather than installed again."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_SERVER, drop_database

REPO = Path(__file__).resolve().parents[2]
DOC = "docs/pages/operations.md"
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
DONE = "@@ step {} done after {} s"
# what the test must put in place of the doc's values, so the doc must name each in .env
OVERRIDDEN = {
    "RETAINAI_DATABASE_URL",
    "RETAINAI_PREFECT_PORT",
    "RETAINAI_MLFLOW_PORT",
    "RETAINAI_API_PORT",
    "RETAINAI_S3_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
}
pytestmark = [pytest.mark.slow, pytest.mark.production, pytest.mark.postgres]


def doc_steps(text: str) -> list[tuple[str, str]]:
    """The page's `bash` and `ini` blocks, in order, as (language, body)."""
    return [(m[1], m[2]) for m in FENCE.finditer(text) if m[1] in ("bash", "ini")]


def with_values(ini: str, values: dict[str, str]) -> str:
    """The `ini` block with each KEY=value line of `values` given that value."""
    lines = []
    for line in ini.splitlines():
        key = line.partition("=")[0]
        lines.append(f"{key}={values[key]}" if not line.startswith("#") and key in values else line)
    return "\n".join(lines)


def script(steps: list[tuple[str, str]], values: dict[str, str]) -> str:
    """One bash script: each block as written (an `ini` block appended to .env), stopping at
    the first failing command, printing a line after each step."""
    parts = ["set -euo pipefail"]
    for number, (language, body) in enumerate(steps, 1):
        if language == "ini":
            body = (
                f"cat >> .env <<'RETAINAI_DOC_EOF'\n{with_values(body, values)}\nRETAINAI_DOC_EOF"
            )
        parts += [body.rstrip("\n"), f'echo "{DONE.format(number, "$SECONDS")}"']
    return "\n".join(parts) + "\n"


def fresh_clone(target: Path) -> Path:
    """`git clone` of this repository, with this checkout's uncommitted changes to tracked
    files, and this checkout's .venv linked (older lock files: `make` installs nothing)."""
    for program in ("git", "make", "createdb"):
        if shutil.which(program) is None:
            pytest.skip(f"the doc's steps need {program}")
    if not (REPO / ".git").exists():
        pytest.skip(f"{REPO} is not a git checkout: nothing to clone")
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(target)], check=True)
    changed = subprocess.run(
        ["git", "-C", str(REPO), "diff", "--name-only", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for name in changed:
        source, copy = REPO / name, target / name
        if source.is_file():
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(source.read_bytes())
        else:
            copy.unlink(missing_ok=True)
    stamp = (REPO / ".venv" / ".installed").resolve()
    if not stamp.is_file():
        pytest.skip(f"no installed .venv at {REPO / '.venv'} (make setup)")
    (target / ".venv").symlink_to((REPO / ".venv").resolve())
    before = stamp.stat().st_mtime - 60
    for name in ("requirements.lock", "pyproject.toml"):
        os.utime(target / name, (before, before))
    return target


def clean_env(home: Path, clone: Path) -> dict[str, str]:
    """This process's environment without any RetainAI, Prefect, MLflow or AWS setting, and
    the clone's code first on the path (the shared .venv's editable install is elsewhere)."""
    ours = ("RETAINAI_", "PREFECT_", "MLFLOW_", "AWS_", "PG", "VIRTUAL_ENV")
    env = {name: value for name, value in os.environ.items() if not name.startswith(ours)}
    env.update(
        HOME=str(home),
        PYTHONPATH=str(clone),
        PGHOST="127.0.0.1",
        PGPORT="5432",
        PGUSER="postgres",
        AWS_DEFAULT_REGION="us-east-1",
        PREFECT_WORKER_QUERY_SECONDS="2",  # the worker picks the run up sooner
    )
    return env


def values_here(database: str, s3_endpoint_url: str) -> dict[str, str]:
    from tasks.adapters.process_groups import free_port

    return {
        "RETAINAI_DATABASE_URL": f"{POSTGRES_SERVER}/{database}",
        "RETAINAI_PREFECT_PORT": str(free_port()),
        "RETAINAI_MLFLOW_PORT": str(free_port()),
        "RETAINAI_API_PORT": str(free_port()),
        "RETAINAI_S3_ENDPOINT_URL": s3_endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def processes_in(folder: Path) -> list[str]:
    """Processes whose working directory is in `folder` (the stack's run in the clone)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            where = os.readlink(entry / "cwd")
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if entry.name.isdigit() and (where + "/").startswith(f"{folder}/"):
            found.append(f"{entry.name} {command[:160]}")
    return found


def scalar(database_url: str, sql: str):
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


def failed_step(output: str, steps: list[tuple[str, str]]) -> str:
    done = [int(n) for n in re.findall(r"^@@ step (\d+) done", output, re.M)]
    number = (done[-1] if done else 0) + 1
    if number > len(steps):
        return "after the last step"
    language, body = steps[number - 1]
    return f"step {number} ({language}):\n{body}"


def test_the_operations_doc_runs_in_order_from_a_fresh_clone(tmp_path, s3_endpoint_url):
    import sqlalchemy as sa

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request lines
    clone = fresh_clone(tmp_path / "retainai")
    steps = doc_steps((clone / DOC).read_text())
    named = {
        line.partition("=")[0]
        for lang, body in steps
        if lang == "ini"
        for line in body.splitlines()
    }
    assert named >= OVERRIDDEN, f"the doc's .env lines do not name {sorted(OVERRIDDEN - named)}"
    database = f"retainai_doc_{uuid.uuid4().hex[:10]}"
    values = values_here(database, s3_endpoint_url)
    (tmp_path / "home").mkdir()
    env = clean_env(tmp_path / "home", clone)
    (clone / "run-the-doc.sh").write_text(script(steps, values))
    began = time.monotonic()
    try:
        done = subprocess.run(
            ["bash", "run-the-doc.sh"],
            cwd=clone,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=540,
        )
        took = time.monotonic() - began
        output = done.stdout
        print(f"\nthe operations doc ran in {took:.0f} s:")
        print(*re.findall(r"^@@ .*$", output, re.M), sep="\n")
        assert done.returncode == 0, f"{failed_step(output, steps)}\n---\n{output[-4000:]}"
        assert len(re.findall(r"^@@ step", output, re.M)) == len(steps)
        assert "Flow run finished successfully in 'Completed'" in output, output[-4000:]
        left = processes_in(clone)
        assert left == [], f"`make down` left processes running: {left}"
        assert not list((clone / ".state" / "stack").glob("*.json"))
        url = values["RETAINAI_DATABASE_URL"]
        completed = scalar(
            f"{url}_prefect",
            "SELECT count(*) FROM flow_run f JOIN deployment d ON d.id = f.deployment_id "
            "WHERE d.name = 'train-weekly' AND f.state_type = 'COMPLETED'",
        )
        assert completed == 1, completed
        assert scalar(f"{url}_mlflow", "SELECT count(*) FROM model_versions") == 1
    finally:
        leftover = clone / ".state" / "stack"
        if any(leftover.glob("*.json")):  # a failed step: stop what the doc started
            stop = "set -a; . ./.env; set +a; .venv/bin/retainai stack down"
            subprocess.run(["bash", "-c", stop], cwd=clone, env=env, timeout=120, check=False)
        admin = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        for name in (database, f"{database}_prefect", f"{database}_mlflow"):
            drop_database(admin, name)
        admin.dispose()


def test_the_doc_marks_its_steps_and_shows_nothing_else_as_bash():
    """Every command of the page is a step (`bash`) or shown (`sh`); .env exists before the
    first `ini` block is written into it; the path ends with `make down`."""
    text = (REPO / DOC).read_text()
    languages = [m[1] for m in FENCE.finditer(text)]
    assert set(languages) <= {"bash", "ini", "sh", "text"}, languages
    steps = doc_steps(text)
    first_ini = next(i for i, (language, _) in enumerate(steps) if language == "ini")
    assert "cp .env.example .env" in "".join(body for _, body in steps[:first_ini])
    assert steps[-1] == ("bash", "make down\n")
