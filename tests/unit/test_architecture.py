"""The house's rules, read from the source: which layer may import what, and module sizes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OUTSIDE_WORLD = {
    "prefect",
    "mlflow",
    "sqlalchemy",
    "fastapi",
    "great_expectations",
    "evidently",
    "openai",
    "boto3",
    "psycopg",
    "starlette",
    "httpx",
    "uvicorn",
}
MAX_LINES = 300


def _modules(folder: str) -> list[Path]:
    return sorted(p for p in (REPO / folder).rglob("*.py") if "migrations" not in p.parts)


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-level imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("path", _modules("tasks/core"), ids=lambda p: p.name)
def test_core_imports_nothing_of_the_outside_world(path):
    outside = {name for name in _imports(path) if _top(name) in OUTSIDE_WORLD}
    assert not outside, f"{path.relative_to(REPO)} imports {sorted(outside)}"
    layers = {name for name in _imports(path) if name.startswith(("tasks.adapters", "flows"))}
    assert not layers, f"{path.relative_to(REPO)} imports {sorted(layers)}"


@pytest.mark.parametrize("path", _modules("serving"), ids=lambda p: p.name)
def test_serving_imports_no_prefect_and_no_flows(path):
    wrong = {n for n in _imports(path) if _top(n) == "prefect" or n.startswith("flows")}
    assert not wrong, f"{path.relative_to(REPO)} imports {sorted(wrong)}"


@pytest.mark.parametrize(
    "path", [p for p in _modules("flows") if p.name != "__main__.py"], ids=lambda p: p.name
)
def test_flows_import_no_adapter_and_no_core_but_errors(path):
    wrong = {
        name
        for name in _imports(path)
        if name.startswith("tasks.adapters")
        or (name.startswith("tasks.core") and name != "tasks.core.errors")
    }
    assert not wrong, f"{path.relative_to(REPO)} imports {sorted(wrong)}"


def test_configs_import_nothing_of_tasks():
    for path in _modules("configs"):
        wrong = {n for n in _imports(path) if _top(n) in ("tasks", "flows", "serving")}
        assert not wrong, f"{path.relative_to(REPO)} imports {sorted(wrong)}"


@pytest.mark.parametrize(
    "path",
    [p for folder in ("tasks", "flows", "serving", "configs", "data") for p in _modules(folder)],
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_no_module_over_300_lines(path):
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    assert len(lines) <= MAX_LINES, f"{path.relative_to(REPO)} has {len(lines)} lines"


def test_no_test_imports_a_private_name():
    offenders = []
    for path in (REPO / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith(("tasks", "flows", "serving", "configs", "data"))
            ):
                offenders += [
                    f"{path.name}: {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_")
                ]
    assert not offenders, offenders


def test_the_formatter_decides_line_breaks():
    """`ruff format` decides line breaks: at most 20 `fmt: skip`/`fmt: off` markers, kept for
    tables of data whose alignment carries meaning."""
    markers = [
        f"{path.relative_to(REPO)}:{number}"
        for folder in ("tasks", "flows", "serving", "configs", "data", "bench", "tests")
        for path in (REPO / folder).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"#\s*fmt:\s*(skip|off)", line)
    ]
    assert len(markers) <= 20, markers
