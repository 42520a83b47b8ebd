"""The deployment files are checked without running them (no Docker engine, no server)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def test_compose_services_are_consistent_and_secrets_fail_fast():
    text = (REPO / "docker-compose.yml").read_text()
    compose = yaml.safe_load(text)
    services = compose["services"]
    assert {"postgres", "mlflow", "prefect", "worker"} <= set(services)
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        depends = service.get("depends_on", [])
        for dependency in depends if isinstance(depends, list) else list(depends):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        build = service.get("build")
        if build:
            assert (REPO / build["context"] / build["dockerfile"]).is_file()
    for variable in re.findall(r"\$\{([A-Z0-9_]+)[^}]*\}", text):
        uses = re.findall(r"\$\{" + variable + r"([^}]*)\}", text)
        assert all(use.startswith(":?") for use in uses), f"{variable} has a default"
    assert "password" not in re.sub(r"\$\{[^}]*\}", "", text).lower().replace(
        "postgres_password", ""
    )


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


def test_mlproject_entry_points_use_the_cli():
    spec = yaml.safe_load((REPO / "MLproject").read_text())
    assert (REPO / spec["python_env"]).is_file()
    for entry in spec["entry_points"].values():
        assert entry["command"].startswith("retainai ")


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
