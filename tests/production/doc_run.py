"""The production path of docs/pages/operations.md, run as a newcomer would: in a fresh clone
of this repository, its `bash` blocks in order in one shell, its `ini` blocks written into
.env where they stand. What differs on this machine is only what the `ini` blocks name (a
database of its own, free ports, a local S3 server), a few lines the tests add to .env after
the doc's own (shorter waits, a secret to look for in logs) and the PostgreSQL client's
connection (PGHOST, PGUSER); `.venv` is this checkout's, linked rather than installed again."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_SERVER

REPO = Path(__file__).resolve().parents[2]
DOC = "docs/pages/operations.md"
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
DONE = "@@ step {} done after {} s"
STOP = ("bash", "make down\n")  # the doc's last step; the tests run between it and the rest
# what the test must put in place of the doc's values, so the doc must name each in .env
OVERRIDDEN = {
    "RETAINAI_DATABASE_URL",
    "RETAINAI_PREFECT_PORT",
    "RETAINAI_MLFLOW_PORT",
    "RETAINAI_API_PORT",
    "RETAINAI_S3_ENDPOINT_URL",
    "RETAINAI_MLFLOW_ARTIFACTS",
    "RETAINAI_REPORTS_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
}


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


def _to_env(lines: str) -> str:
    return f"cat >> .env <<'RETAINAI_DOC_EOF'\n{lines}\nRETAINAI_DOC_EOF"


def script(
    steps: list[tuple[str, str]],
    values: dict[str, str],
    extra: dict[str, str] | None = None,
    first: int = 1,
    preamble: str = "",
) -> str:
    """One bash script: each block as written (an `ini` block appended to .env), stopping at
    the first failing command, printing a line after each step (numbered from `first`);
    the `extra` lines go into .env after the last `ini` block."""
    parts = ["set -euo pipefail", *([preamble] if preamble else [])]
    last_ini = max((i for i, (lang, _) in enumerate(steps) if lang == "ini"), default=None)
    for index, (language, body) in enumerate(steps):
        if language == "ini":
            body = _to_env(with_values(body, values))
        parts += [body.rstrip("\n"), f'echo "{DONE.format(index + first, "$SECONDS")}"']
        if index == last_ini and extra:
            parts.append(_to_env("\n".join(f"{k}={v}" for k, v in extra.items())))
    return "\n".join(parts) + "\n"


def fresh_clone(target: Path) -> Path:
    """`git clone` of this repository, with this checkout's uncommitted changes to tracked
    files, and this checkout's .venv linked (older lock files: `make` installs nothing)."""
    for program in ("git", "make", "createdb"):
        if shutil.which(program) is None:
            pytest.skip(f"the doc's steps need {program}")
    if not (REPO / ".git").exists():
        pytest.skip(f"{REPO} is not a git checkout: nothing to clone")
    stamp = (REPO / ".venv" / ".installed").resolve()
    if not stamp.is_file():
        pytest.skip(f"no installed .venv at {REPO / '.venv'} (make setup)")
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
    )
    return env


def values_here(database: str, s3_endpoint_url: str, bucket: str) -> dict[str, str]:
    from tasks.adapters.process_groups import free_port

    return {
        "RETAINAI_DATABASE_URL": f"{POSTGRES_SERVER}/{database}",
        "RETAINAI_PREFECT_PORT": str(free_port()),
        "RETAINAI_MLFLOW_PORT": str(free_port()),
        "RETAINAI_API_PORT": str(free_port()),
        "RETAINAI_S3_ENDPOINT_URL": s3_endpoint_url,
        "RETAINAI_MLFLOW_ARTIFACTS": f"s3://{bucket}/mlflow",
        "RETAINAI_REPORTS_URL": f"s3://{bucket}/reports",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def run(clone: Path, name: str, text: str, env: dict[str, str], timeout: float):
    """The script `text` saved as `name` in the clone and run there by bash (output merged)."""
    (clone / name).write_text(text)
    return subprocess.run(
        ["bash", name],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )


def loaded_env(clone: Path, env: dict[str, str]) -> dict[str, str]:
    """Each variable the clone's .env sets, as a shell that loaded it (step 3) sees it."""
    names = re.findall(r"^([A-Za-z_]\w*)=", (clone / ".env").read_text(), re.M)
    shown = subprocess.run(
        ["bash", "-c", "set -a; . ./.env; set +a; env -0"],
        cwd=clone,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    seen = dict(item.partition("=")[::2] for item in shown.split("\0") if item)
    return {name: seen[name] for name in names}


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


def failed_step(output: str, steps: list[tuple[str, str]], first: int = 1) -> str:
    done = [int(n) for n in re.findall(r"^@@ step (\d+) done", output, re.M)]
    number = (done[-1] if done else first - 1) + 1
    if number - first >= len(steps):
        return "after the last step"
    language, body = steps[number - first]
    return f"step {number} ({language}):\n{body}"
