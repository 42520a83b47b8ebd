"""docker-compose.yml is checked without a Docker engine: against the Compose Specification's
JSON schema (the copy check-jsonschema ships), and against this repository: files, settings,
executables and options of our image, ports, healthchecks and dependencies; and against the
stack `retainai stack up` runs without Docker: the same deploy command, the worker's
heartbeat, host ports that follow the same settings, and each secret only where it is read."""

from __future__ import annotations

import copy

import pytest
import yaml
from check_jsonschema.builtin_schemas import get_builtin_schema

from tests.unit.compose_checks import (
    dependency_problems,
    executable_problems,
    file_problems,
    interpolate,
    port_problems,
    read_compose,
    schema_problems,
    secret_problems,
    variable_problems,
)
from tests.unit.compose_stack_checks import environment_problems, stack_problems


def all_problems(text: str) -> list[str]:
    """Schema errors first: the other checks read a file of the specification's shape."""
    problems = schema_problems(yaml.safe_load(text))
    if problems:
        return problems
    resolved = yaml.safe_load(interpolate(text))
    return (
        secret_problems(text)
        + variable_problems(text)
        + file_problems(resolved)
        + executable_problems(resolved)
        + port_problems(resolved)
        + dependency_problems(resolved)
        + stack_problems(yaml.safe_load(text), resolved)
        + environment_problems(yaml.safe_load(text))
    )


def test_the_compose_file_is_valid_and_consistent_with_the_repository():
    text, compose = read_compose()
    assert compose["name"] == "retainai"
    assert {"postgres", "minio", "buckets", "mlflow", "prefect", "worker", "api"} <= set(
        compose["services"]
    )
    assert all_problems(text) == []


def change(text: str, edit) -> str:
    compose = yaml.safe_load(text)
    edit(compose)
    return yaml.safe_dump(compose, sort_keys=False)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda c: c["services"]["api"].update(healthchek={}), "healthchek"),
        (lambda c: c["services"]["api"].update(ports=8000), "ports"),
        (
            lambda c: c["services"]["mlflow"]["environment"].update(X="${NOT_DOCUMENTED:?x}"),
            "NOT_DOCUMENTED is not in .env.example",
        ),
        (
            lambda c: c["services"]["mlflow"]["environment"].update(X="${MLFLOW_BUCKET:-mlflow}"),
            "must fail fast",
        ),
        (
            lambda c: c["services"]["api"]["build"].update(dockerfile="serving/Dockerfile"),
            "no serving/Dockerfile",
        ),
        (
            lambda c: c["services"]["postgres"]["volumes"].append("./configs/nope.sql:/x.sql"),
            "mounts missing ./configs/nope.sql",
        ),
        (
            lambda c: c["services"]["worker"].update(command=["prefectt", "worker", "start"]),
            "prefectt is not a console script",
        ),
        (
            lambda c: c["services"]["migrate"].update(command=["retainai", "db", "upgrad"]),
            "No such command",
        ),
        (
            lambda c: c["services"]["api"].update(command=["retainai", "serve", "--prot", "8000"]),
            "No such option",
        ),
        (lambda c: c["services"]["mlflow"]["command"].append("--wokers=1"), "No such option"),
        (
            lambda c: c["services"]["api"]["command"].__setitem__(-1, "8080"),
            "api: the command does not listen on 8000",
        ),
        (
            lambda c: c["services"]["prefect"].update(ports=c["services"]["mlflow"]["ports"]),
            "published twice",
        ),
        (lambda c: c["services"]["minio"].pop("healthcheck"), "minio has no healthcheck"),
        (lambda c: c["services"]["api"].update(depends_on=["redis"]), "depends on unknown redis"),
        (lambda c: c["services"]["migrate"].update(restart="always"), "it restarts"),
        (
            lambda c: c["services"]["minio"]["environment"].update(MINIO_ROOT_PASSWORD="hunter22"),
            "secret written in the file",
        ),
        (
            lambda c: c["services"]["deploy"].update(command=["prefect", "deploy", "--all"]),
            "deploy: the command is not `retainai deploy`",
        ),
        (lambda c: c["services"]["worker"].pop("healthcheck"), "worker has no healthcheck"),
        (
            lambda c: c["services"]["worker"].update(command=["retainai", "worker"]),
            "worker: the command does not serve a healthcheck",
        ),
        (
            lambda c: c["services"]["worker"]["environment"].pop(
                "PREFECT_FLOWS_HEARTBEAT_FREQUENCY"
            ),
            "worker: PREFECT_FLOWS_HEARTBEAT_FREQUENCY is not set",
        ),
        (
            lambda c: c["services"]["worker"]["environment"].update(
                PREFECT_FLOWS_HEARTBEAT_FREQUENCY="30"
            ),
            "must be ${RETAINAI_FLOW_HEARTBEAT_SECONDS}",
        ),
        (
            lambda c: c["services"]["mlflow"].update(
                env_file=[{"path": ".env", "required": False}]
            ),
            "mlflow: env_file passes every variable",
        ),
        (
            lambda c: c["services"]["prefect"]["environment"].update(RETAINAI_LLM_API_KEY=None),
            "prefect gets RETAINAI_LLM_API_KEY",
        ),
        (
            lambda c: c["services"]["mlflow"]["environment"].update(
                X="${RETAINAI_SECRET_KEY:?set it}"
            ),
            "mlflow gets RETAINAI_SECRET_KEY",
        ),
        (
            lambda c: c["services"]["migrate"]["environment"].update(RETAINAI_SMTP_PASSWORD=None),
            "migrate gets",
        ),
        (
            lambda c: c["services"]["api"]["environment"].pop("RETAINAI_LOGIN_WINDOW_MINUTES"),
            "RETAINAI_LOGIN_WINDOW_MINUTES of .env.example reaches no RetainAI service",
        ),
        (
            lambda c: c["services"]["mlflow"]["command"].__setitem__(
                -1, "--allowed-hosts=mlflow:5000,localhost:5000,127.0.0.1:5000"
            ),
            "mlflow: the allowed hosts lack",
        ),
        (
            lambda c: c["services"]["mlflow"].update(ports=["127.0.0.1:5000:5000"]),
            "mlflow: the published host port is not ${RETAINAI_MLFLOW_PORT}",
        ),
        (
            lambda c: c["services"]["prefect"]["environment"].update(
                PREFECT_UI_API_URL="http://localhost:4200/api"
            ),
            "PREFECT_UI_API_URL is not on",
        ),
    ],
)
def test_a_broken_copy_is_rejected(edit, expected):
    text, _ = read_compose()
    broken = change(text, edit)
    problems = all_problems(broken)
    assert any(expected in problem for problem in problems), problems


def test_the_schema_is_the_compose_specification():
    schema = get_builtin_schema("vendor.compose-spec")
    assert schema["title"] == "Compose Specification"
    assert schema_problems({"services": {"a": {"image": "x", "restart": {"no": 1}}}})
    assert schema_problems(copy.deepcopy({"services": {"a": {"image": "x"}}})) == []
