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
        or (
            name.startswith("tasks.core")
            and name not in ("tasks.core.errors", "tasks.core.progress")
        )
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


API_WITHOUT_PREFECT = """
import io, json, sys, threading
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from fastapi.testclient import TestClient

from configs.settings import ServingSettings, Settings
from serving.app import create_app
from tasks.adapters import tokens
from tasks.services import data, models

class Prefect(BaseHTTPRequestHandler):  # answers as a Prefect server with the deployment
    def _answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        self._answer({"id": "d1", "name": "train-weekly", "flow_id": "f1"})
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self._answer({"id": "r1"} if self.path.endswith("create_flow_run") else [])
    def log_message(self, *args):
        pass

state = Path(sys.argv[1])
server = HTTPServer(("127.0.0.1", 0), Prefect)
threading.Thread(target=server.serve_forever, daemon=True).start()
for prefect in (None, f"http://127.0.0.1:{server.server_port}/api"):
    serving = ServingSettings(poll_seconds=0)
    settings = Settings(
        state_dir=state, prefect_api_url=prefect, training_source="t.csv", serving=serving
    )
    app = create_app(settings, "configs/telco.yaml")
    serving = app.state.serving
    door = "prefect" if prefect else "jobs"
    with TestClient(app) as client:
        upload = data.NewUpload("upload.csv", io.BytesIO(b"customerID\\n1\\n"))
        accepted = data.accept_upload(serving.context, upload, "test")
        assert accepted.backend == door, accepted
        path = next((state / "uploads").glob(accepted.upload_id + ".*"))
        command = models.StartScoring(serving.config_path, "telco", path, date(2026, 12, 1), "t")
        started = models.start_scoring(serving.context, command)
        assert started.backend == door, started
        token = tokens.create(serving.engine, f"admin{bool(prefect)}", "admin")
        answer = client.post("/trigger-training", headers={"Authorization": f"Bearer {token}"})
        if prefect:  # a flow run of the deployment
            assert answer.status_code == 202 and answer.json()["backend"] == door, answer.text
        else:  # a job of the table: refused while the table is being scored
            assert answer.status_code == 409 and "scoring" in answer.text, answer.text
assert "prefect" not in sys.modules, sorted(m for m in sys.modules if m.startswith("prefect"))
print("no prefect")
"""


def test_the_api_process_never_imports_prefect(tmp_path):
    """The app, an upload's check, a scoring run and a training run started through its
    route (jobs of the jobs worker, then Prefect deployment runs over REST): never a
    `prefect` module in the process.
    A fresh interpreter, so no other test's imports count."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", API_WITHOUT_PREFECT, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and "no prefect" in done.stdout, done.stderr[-3000:]


def test_the_prefect_server_is_named_by_the_settings_only():
    """PREFECT_API_URL is a setting (configs/settings.py); no module reads it by itself."""
    reads = re.compile(r"(environ\.get|getenv|environ\[)\(?\s*[\"']PREFECT_API_URL")
    for folder in ("tasks", "flows", "serving"):
        for path in _modules(folder):
            assert not reads.search(path.read_text()), f"{path.relative_to(REPO)} reads it"


def test_nothing_calls_a_prefect_task_body_directly():
    """A task's `.fn` is for tests: flows, the CLI and the server call the use cases."""
    for folder in ("flows", "tasks", "serving", "bench"):
        for path in _modules(folder):
            name = str(path.relative_to(REPO))
            assert ".fn(" not in path.read_text(), f"{name} calls a task's .fn"


def _calls(path: Path, names: set[str]) -> list[int]:
    """The lines where `path` calls a function or class named in `names` (plain or dotted)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in names:
                found.append(node.lineno)
    return found


def _cases(paths: list[Path], pending: dict[str, str]) -> list:
    """Each path a case; the ones named in `pending` (still to convert, owned elsewhere) are
    expected to fail, strictly: converting one turns its case into an unexpected pass."""
    return [
        pytest.param(
            path,
            id=str(path.relative_to(REPO)),
            marks=[pytest.mark.xfail(strict=True, reason=pending[key])] if key in pending else [],
        )
        for path in paths
        for key in [str(path.relative_to(REPO))]
    ]


APPLICATION = [p for folder in ("tasks", "flows", "serving", "configs") for p in _modules(folder)]
# Where Settings are built from the environment: once per entry point
SETTINGS_ENTRY_POINTS = {
    "configs/settings.py",  # load_settings: the command line's one build (flows/cli_common.py)
    "serving/app.py",  # create_app: the server at start-up
    "flows/train.py",  # each flow run
    "flows/score.py",
    "flows/monitor.py",
    "flows/campaign.py",
    "flows/notify.py",
    "flows/uploads.py",
    "flows/demo.py",
    "flows/pipeline.py",
    "flows/task_runners.py",  # the scoring flow run's task runner, entered before its body
}
SETTINGS_PENDING: dict[str, str] = {}


@pytest.mark.parametrize(
    "path",
    _cases(
        [p for p in APPLICATION if str(p.relative_to(REPO)) not in SETTINGS_ENTRY_POINTS],
        SETTINGS_PENDING,
    ),
)
def test_settings_are_built_only_at_entry_points(path):
    lines = _calls(path, {"Settings", "ServingSettings"})
    assert not lines, f"{path.relative_to(REPO)} builds Settings at lines {lines}"


ENGINE_MAKERS = {"tasks/adapters/db.py", "tasks/adapters/source_sql.py"}
ENGINE_PENDING: dict[str, str] = {}


@pytest.mark.parametrize(
    "path",
    _cases(
        [p for p in APPLICATION if str(p.relative_to(REPO)) not in ENGINE_MAKERS], ENGINE_PENDING
    ),
)
def test_engines_come_only_from_the_database_adapter(path):
    lines = _calls(path, {"create_engine", "make_engine"})
    assert not lines, f"{path.relative_to(REPO)} makes an engine at lines {lines}"


ROUTES_PENDING: dict[str, str] = {}


@pytest.mark.parametrize(
    "path", _cases(_modules("serving/api") + _modules("serving/pages"), ROUTES_PENDING)
)
def test_routes_import_no_adapter(path):
    wrong = {name for name in _imports(path) if name.startswith("tasks.adapters")}
    assert not wrong, f"{path.relative_to(REPO)} imports {sorted(wrong)}"


def test_every_pending_case_names_a_module():
    """A module still to convert that moved or went away leaves the list too."""
    for pending in (SETTINGS_PENDING, ENGINE_PENDING, ROUTES_PENDING):
        gone = [name for name in pending if not (REPO / name).is_file()]
        assert not gone, gone


STAGES = {p.stem for p in (REPO / "tasks").glob("*.py")}  # the flows' thin @task modules


def _climbs(name: str, above: tuple[str, ...]) -> bool:
    parts = name.split(".")
    if parts[0] in above:
        return True
    return parts[0] == "tasks" and len(parts) > 1 and parts[1] in STAGES


@pytest.mark.parametrize("path", _modules("tasks/services"), ids=lambda p: p.name)
def test_services_import_no_prefect_and_no_layer_above(path):
    """The application layer runs without Prefect and under every door: it imports no flow,
    no route and no @task module (imports of it by `from tasks import X` included)."""
    tree = ast.parse(path.read_text())
    names = _imports(path) | {
        f"tasks.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "tasks"
        for alias in node.names
    }
    wrong = {n for n in names if _climbs(n, ("prefect", "flows", "serving"))}
    assert not wrong, f"{path.relative_to(REPO)} imports {sorted(wrong)}"


@pytest.mark.parametrize(
    "path", _modules("tasks/adapters") + _modules("tasks/core"), ids=lambda p: p.name
)
def test_adapters_and_core_import_no_layer_above(path):
    wrong = {
        n
        for n in _imports(path)
        if _climbs(n, ("flows", "serving")) or n.startswith("tasks.services")
    }
    assert not wrong, f"{path.relative_to(REPO)} imports {sorted(wrong)}"
