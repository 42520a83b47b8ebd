"""The deployment files are checked without running them (no Docker engine, no server)."""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def test_the_image_installs_the_lock_at_build_time_and_runs_as_a_named_user():
    instructions = dockerfile_instructions()
    runs = " ".join(argument for keyword, argument in instructions if keyword == "RUN")
    assert "--constraint requirements.lock --requirements pyproject.toml" in runs
    uv = re.search(r"uv==([0-9.]+)", runs).group(1)
    assert f"UV_VERSION := {uv}" in (REPO / "Makefile").read_text()
    assert f"uv=={uv}" in (REPO / "configs/python_env.yaml").read_text()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    assert "useradd --create-home" in runs and "chown -R retainai:retainai /app/.state" in runs
    users = [argument for keyword, argument in instructions if keyword == "USER"]
    assert users == ["retainai"]
    starts = [argument for keyword, argument in instructions if keyword in {"CMD", "ENTRYPOINT"}]
    assert starts and not any("install" in start for start in starts)
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".env", ".venv", ".state", ".git"} <= ignored


def test_prefect_deployments_point_at_flows():
    from prefect import Flow

    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    names = set()
    for deployment in spec["deployments"]:
        path, attribute = deployment["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, attribute)
        assert isinstance(flow, Flow)
        assert set(deployment["parameters"]) <= set(flow.parameters.properties)
        names.add(flow.name)
        for schedule in deployment.get("schedules", []):
            assert len(schedule["cron"].split()) == 5
    assert names == {"train-churn-model", "score-customers", "monitor-churn-model",
                     "run-retention-campaign", "send-due-campaigns"}  # fmt: skip


def test_mlproject_entry_points_are_commands_of_the_cli():
    """Each entry point, rendered as MLflow does (quoted values), parses with `retainai`."""
    import typer

    from flows.cli import app
    from tests.unit.test_compose_file import parse_arguments

    spec = yaml.safe_load((REPO / "MLproject").read_text())
    environment = yaml.safe_load((REPO / spec["python_env"]).read_text())
    assert environment["dependencies"] == ["-r requirements.lock"]
    assert f'">={environment["python"]}' in (REPO / "pyproject.toml").read_text()
    assert {"train", "score", "monitor"} <= set(spec["entry_points"])
    cli = typer.main.get_command(app)
    for name, entry in spec["entry_points"].items():
        values = {
            key: shlex.quote(str(parameter.get("default", f"{key}-value")))
            for key, parameter in entry["parameters"].items()
        }
        words = shlex.split(entry["command"].format(**values))
        assert words[:3] == ["python", "-m", "flows"], name
        parse_arguments(cli, "retainai", words[3:])
        for key, parameter in entry["parameters"].items():
            if parameter["type"] == "path":
                assert (REPO / parameter["default"]).is_file(), f"{name}.{key}"


def test_env_example_names_what_compose_needs_and_only_real_settings():
    from configs.settings import Settings
    from serving.settings import ServingSettings

    text = (REPO / ".env.example").read_text()
    names = set(re.findall(r"^(?:# )?([A-Z0-9_]+)=", text, re.M))
    assert not re.findall(r"^RETAINAI_[A-Z0-9_]+=$", text, re.M)  # empty is not unset
    compose = set(re.findall(r"\$\{([A-Z0-9_]+)", (REPO / "docker-compose.yml").read_text()))
    assert compose <= names
    known = {f"RETAINAI_{f.upper()}" for f in Settings.model_fields}
    known |= {f"RETAINAI_SERVING_{f.upper()}" for f in ServingSettings.model_fields}
    known |= {"RETAINAI_TRAINING_SOURCE", "RETAINAI_SCORING_SOURCE", "RETAINAI_SCORING_TABLE"}
    unknown = {n for n in names if n.startswith("RETAINAI_")} - known
    assert not unknown, f".env.example names settings that do not exist: {sorted(unknown)}"
