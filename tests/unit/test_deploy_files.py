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


def _deployments() -> dict[str, dict]:
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    return {deployment["name"]: deployment for deployment in spec["deployments"]}


def _flow_of(deployment: dict):
    path, attribute = deployment["entrypoint"].split(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    return getattr(module, attribute)


# Deployments the app launches for one campaign or one upload: the launcher
# (tasks/services/jobs) gives each run its campaign or its file, so they are never scheduled
# or triggered
PER_RUN = {
    "write-campaign-messages": {"campaign_id"},
    "send-campaign-now": {"campaign_id"},
    "check-upload": {"upload_id", "name"},
    "score-upload": {"data", "as_of"},
}
# what the alert automations give each run of the alert email deployment (rendered from the
# triggering event: tasks/adapters/alert_automations.py)
PER_RUN["send-alert-email"] = {"kind", "subject", "text"}


def test_prefect_deployments_point_at_flows_with_their_parameters():
    from prefect import Flow

    names = set()
    for name, deployment in _deployments().items():
        flow = _flow_of(deployment)
        assert isinstance(flow, Flow), name
        accepted = set(flow.parameters.properties)
        given = set(deployment.get("parameters") or {}) | PER_RUN.get(name, set())
        assert not (name in PER_RUN and (deployment.get("schedules") or deployment.get("triggers")))
        for trigger in deployment.get("triggers", []):
            given |= set(trigger.get("parameters") or {})
        assert given <= accepted, f"{name} passes unknown parameters {given - accepted}"
        assert set(flow.parameters.required or []) <= given, f"{name} lacks a required parameter"
        assert deployment["work_pool"]["name"] == "retainai", name
        assert deployment["concurrency_limit"] == 1, f"{name} runs could overlap"
        for schedule in deployment.get("schedules", []):
            assert len(schedule["cron"].split()) == 5
        names.add(flow.name)
    assert names == {
        "train-churn-model",
        "score-customers",
        "monitor-churn-model",
        "run-retention-campaign",
        "send-due-campaigns",
        "churn-pipeline",
        "write-campaign-messages",
        "send-retention-campaign",
        "send-alert",
        "check-upload",
    }


def test_the_launcher_names_deployments_of_prefect_yaml():
    from tasks.services.jobs.launcher import KINDS

    deployments = _deployments()
    for kind in KINDS.values():
        flow_name, name = kind.deployment.split("/")
        assert name in deployments, name
        assert _flow_of(deployments[name]).name == flow_name
    # what the campaign services give each run (tasks/services/campaigns/background.py)
    given = {"write-campaign-messages": {"campaign_id"}}
    given["send-campaign-now"] = {"campaign_id", "retry_unknown"}
    # the data page's (tasks/services/data/checks.py, tasks/services/models/runs.py)
    given["check-upload"] = {"upload_id", "name"}
    given["score-upload"] = {"config_path", "data", "as_of"}
    given["train-weekly"] = {"config_path"}
    for name, parameters in given.items():
        assert parameters <= set(_flow_of(deployments[name]).parameters.properties), name


def test_what_runs_on_a_schedule_and_what_waits():
    deployments = _deployments()
    scheduled = {name for name, d in deployments.items() if d.get("schedules")}
    assert scheduled == {"train-weekly", "score-daily", "send-due-campaigns"}
    assert deployments["send-due-campaigns"]["schedules"][0]["cron"] == "*/15 * * * *"
    triggered = {name for name, d in deployments.items() if d.get("triggers")}
    assert triggered == {"monitor-after-scoring"}


def test_no_secret_is_written_in_the_deployments():
    text = (REPO / "prefect.yaml").read_text()
    text = re.sub(r"\{\{[^}]*\}\}|#.*", "", text).lower()  # without templates and comments
    for word in ("password", "secret", "api_key", "token", "postgresql://", "aws_"):
        assert word not in text, word


def _completed_run_event(flow_name: str, deployment_name: str, run_id):
    import uuid
    from datetime import UTC, datetime

    from prefect.server.events.schemas.events import ReceivedEvent

    return ReceivedEvent(
        occurred=datetime.now(UTC),
        event="prefect.flow-run.Completed",
        resource={
            "prefect.resource.id": f"prefect.flow-run.{run_id}",
            "prefect.resource.name": "nimble-otter",
        },
        related=[
            {
                "prefect.resource.id": f"prefect.flow.{uuid.uuid4()}",
                "prefect.resource.role": "flow",
                "prefect.resource.name": flow_name,
            },
            {
                "prefect.resource.id": f"prefect.deployment.{uuid.uuid4()}",
                "prefect.resource.role": "deployment",
                "prefect.resource.name": deployment_name,
            },
        ],
        id=uuid.uuid4(),
    )


def test_monitoring_runs_when_a_scoring_deployment_run_completes_with_its_as_of():
    """The trigger as `prefect deploy` builds it and the Prefect server evaluates and renders
    it: it matches only completed runs of the scoring deployment, and passes their as_of."""
    import asyncio
    import uuid
    from datetime import UTC, datetime

    from prefect.cli.deploy._triggers import DeploymentTriggerAdapter
    from prefect.server.events.actions import RunDeployment
    from prefect.server.events.schemas.automations import (
        Automation,
        EventTrigger,
        TriggeredAction,
    )
    from prefect.server.schemas.core import FlowRun

    deployments = _deployments()
    scoring = deployments["score-daily"]
    (spec,) = deployments["monitor-after-scoring"]["triggers"]
    deployment_trigger = DeploymentTriggerAdapter.validate_python(spec)
    deployment_trigger.set_deployment_id(uuid.uuid4())
    automation = deployment_trigger.as_automation()
    trigger = EventTrigger.model_validate(automation.trigger.model_dump())
    action = RunDeployment.model_validate(automation.actions[0].model_dump())

    run_id = uuid.uuid4()
    event = _completed_run_event(_flow_of(scoring).name, "score-daily", run_id)
    assert trigger.expect == {"prefect.flow-run.Completed"}
    assert trigger.covers_resources(event.resource, event.related)
    for flow_name, deployment_name in (
        ("score-customers", "score-ad-hoc"),
        ("train-churn-model", "train-weekly"),
    ):
        other = _completed_run_event(flow_name, deployment_name, run_id)
        assert not trigger.covers_resources(other.resource, other.related)

    fired = TriggeredAction(
        automation=Automation(name="monitor", trigger=trigger, actions=[action]),
        triggered=datetime.now(UTC),
        triggering_event=event,
        triggering_labels={},
        action=action,
    )
    scheduled = datetime(2026, 11, 29, 5, 0, tzinfo=UTC)
    for parameters, expected in (
        ({"config_path": "c"}, "2026-11-29"),
        ({"as_of": None}, "2026-11-29"),
        ({"as_of": "2026-10-01"}, "2026-10-01"),
    ):
        action = action.model_copy()  # a fresh object cache: the flow run is looked up once
        # the flow run the server would read from its API for the event's flow-run resource
        action._object_cache["flow_run"] = FlowRun(
            id=run_id, flow_id=uuid.uuid4(), parameters=parameters, expected_start_time=scheduled
        )
        rendered = asyncio.run(action.render_parameters(fired))
        assert rendered == {"as_of": expected}


def test_mlproject_entry_points_are_commands_of_the_cli():
    """Each entry point, rendered as MLflow does (quoted values), parses with `retainai`."""
    import typer

    from flows.cli import app
    from tests.unit.compose_checks import parse_arguments

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
    from configs.settings import ServingSettings, Settings

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
