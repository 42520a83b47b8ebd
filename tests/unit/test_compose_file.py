"""docker-compose.yml is checked without a Docker engine: against the Compose Specification's
JSON schema (the copy check-jsonschema ships), and against this repository: files, settings,
executables and options of our image, ports, healthchecks and dependencies; and against the
stack `retainai stack up` runs without Docker: the same deploy command, the worker's
heartbeat, host ports that follow the same settings, and each secret only where it is read."""

from __future__ import annotations

import copy
import functools
import re
import shlex
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import jsonschema
import pytest
import typer
import yaml
from check_jsonschema.builtin_schemas import get_builtin_schema

REPO = Path(__file__).resolve().parents[2]
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}")
HEALTHCHECKED = {"postgres", "minio", "mlflow", "prefect", "worker", "api"}
SERVER_PORTS = {"api": 8000, "mlflow": 5000, "prefect": 4200}
# the host port of each published server: the setting `retainai stack up` listens on
HOST_PORT_SETTINGS = {
    "api": "RETAINAI_API_PORT",
    "mlflow": "RETAINAI_MLFLOW_PORT",
    "prefect": "RETAINAI_PREFECT_PORT",
}
WORKER_HEALTH_PORT = 8080  # PREFECT_WORKER_WEBSERVER_PORT of `--with-healthcheck`
# settings of .env.example that only `retainai stack up` reads, or that compose sets itself
NOT_PASSED_ON = {
    "RETAINAI_STATE_DIR",
    "RETAINAI_STACK_HOST",
    "RETAINAI_STACK_START_TIMEOUT_SECONDS",
    "RETAINAI_MLFLOW_ARTIFACTS",
    "RETAINAI_DATABASE_URL",
    "RETAINAI_MLFLOW_TRACKING_URI",
    "RETAINAI_S3_ENDPOINT_URL",
    "RETAINAI_REPORTS_URL",
    "RETAINAI_ENVIRONMENT",
    *HOST_PORT_SETTINGS.values(),
}


def read_compose() -> tuple[str, dict]:
    text = (REPO / "docker-compose.yml").read_text()
    return text, yaml.safe_load(text)


def interpolate(text: str) -> str:
    """Compose's `${VAR...}` with a stand-in value and `$$` as a literal `$`."""
    return VARIABLE.sub(lambda match: f"value-of-{match.group(1).lower()}", text).replace("$$", "$")


@functools.cache
def compose_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(get_builtin_schema("vendor.compose-spec"))


def schema_problems(compose: dict) -> list[str]:
    validator = compose_validator()
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(compose)
    ]


def documented_settings() -> set[str]:
    text = (REPO / ".env.example").read_text()
    return set(re.findall(r"^(?:# )?([A-Z0-9_]+)=", text, re.M))


def variable_problems(text: str) -> list[str]:
    documented, problems = documented_settings(), []
    for name, rest in VARIABLE.findall(text):
        if name not in documented:
            problems.append(f"{name} is not in .env.example")
        if not rest.startswith(":?"):
            problems.append(f"${{{name}{rest}}} must fail fast with :? (no default)")
    return problems


def file_problems(compose: dict) -> list[str]:
    problems = []
    for name, service in compose["services"].items():
        build = service.get("build")
        if build:
            dockerfile = REPO / build["context"] / build.get("dockerfile", "Dockerfile")
            if not dockerfile.is_file():
                problems.append(f"{name}: no {dockerfile.relative_to(REPO)}")
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith(".") and not (REPO / source).exists():
                problems.append(f"{name}: mounts missing {source}")
        for entry in service.get("env_file", []):
            path, required = (
                (entry, True)
                if isinstance(entry, str)
                else (entry["path"], entry.get("required", True))
            )
            if required and not (REPO / path).is_file():
                problems.append(f"{name}: env_file {path} is required and missing")
    return problems


def command_of(service: dict) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def invocations(command: list[str]) -> list[list[str]]:
    """The programs a command runs: itself, or each one of an `sh -c` script."""
    if command[:2] != ["sh", "-c"]:
        return [command]
    script = re.sub(r"[<>]\s*\S+|\d>&\d", " ", command[2])  # redirections are not arguments
    parts = re.split(r"&&|\|\||;|\(|\)", script)
    return [shlex.split(part) for part in parts if part.strip()]


@functools.cache
def our_console_scripts() -> frozenset[str]:
    """Console scripts of the project and of the distributions pinned in requirements.lock."""
    lock = (REPO / "requirements.lock").read_text()
    locked = set(re.findall(r"^([a-z0-9][a-z0-9._-]*)==", lock, re.M))
    names = set(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"])
    for script in entry_points(group="console_scripts"):
        if script.dist and script.dist.name.lower().replace("_", "-") in locked:
            names.add(script.name)
    return frozenset(names)


def parse_arguments(command, program: str, arguments: list[str]) -> None:
    """Parse a command line with the program's own click parser; nothing runs."""
    import click

    name, words = program, list(arguments)
    while isinstance(command, click.Group):
        if not words or words[0].startswith("-"):
            raise click.UsageError(f"{name} needs a command")
        found = command.get_command(click.Context(command, info_name=name), words[0])
        if found is None:
            raise click.UsageError(f"No such command '{words[0]}' in {name}")
        command, name, words = found, words[0], words[1:]
    command.make_context(name, words)


def executable_problems(compose: dict) -> list[str]:
    import click
    from mlflow.cli import cli as mlflow_cli

    from flows.cli import app

    parsers = {"retainai": typer.main.get_command(app), "mlflow": mlflow_cli}
    scripts, problems = our_console_scripts(), []
    for name, service in compose["services"].items():
        if "build" not in service:
            continue
        for words in invocations(command_of(service)):
            program, arguments = words[0], words[1:]
            if program not in scripts:
                problems.append(f"{name}: {program} is not a console script of our lock")
            elif program in parsers:
                try:
                    parse_arguments(parsers[program], program, arguments)
                except click.ClickException as exc:
                    problems.append(f"{name}: {shlex.join(words)}: {exc.format_message()}")
    return problems


def option_value(words: list[str], option: str) -> str | None:
    for index, word in enumerate(words):
        if word == option:
            return words[index + 1]
        if word.startswith(option + "="):
            return word.split("=", 1)[1]
    return None


def port_problems(compose: dict) -> list[str]:
    problems, published = [], []
    for name, service in compose["services"].items():
        for mapping in service.get("ports", []):
            published.append(mapping.rsplit(":", 1)[0])
        if name in SERVER_PORTS:
            expected, command = SERVER_PORTS[name], command_of(service)
            if option_value(command, "--port") != str(expected):
                problems.append(f"{name}: the command does not listen on {expected}")
            if not any(m.endswith(f":{expected}") for m in service.get("ports", [])):
                problems.append(f"{name}: port {expected} is not published")
            if f":{expected}/" not in " ".join(service.get("healthcheck", {}).get("test", [])):
                problems.append(f"{name}: the healthcheck does not ask port {expected}")
    duplicates = {port for port in published if published.count(port) > 1}
    problems += [f"host port {port} is published twice" for port in sorted(duplicates)]
    return problems


def dependency_problems(compose: dict) -> list[str]:
    services, problems = compose["services"], []
    for name in sorted(HEALTHCHECKED - {n for n, s in services.items() if "healthcheck" in s}):
        problems.append(f"{name} has no healthcheck")
    for name, service in services.items():
        depends = service.get("depends_on", {})
        for target in depends:
            condition = depends[target]["condition"] if isinstance(depends, dict) else None
            if target not in services:
                problems.append(f"{name} depends on unknown {target}")
            elif condition == "service_healthy" and "healthcheck" not in services[target]:
                problems.append(f"{name} waits for {target} to be healthy; it has no healthcheck")
            elif condition == "service_completed_successfully" and (
                services[target].get("restart", "no") != "no"
            ):
                problems.append(f"{name} waits for {target} to finish; it restarts")
    return problems


def secret_problems(text: str) -> list[str]:
    """A password or secret key must be a `${VAR}` (or a `$$VAR` of the container)."""
    problems = []
    for line in VARIABLE.sub("", text).splitlines():
        words = line.lower()
        if ("password" in words or "secret" in words) and not line.lstrip().startswith("#"):
            value = line.partition(":")[2].strip()
            if value not in ("", "null", "~") and "$" not in value:  # none: passed on
                problems.append(f"secret written in the file: {line.strip()}")
    return problems


def secret_settings() -> set[str]:
    """The environment names of every secret setting (SecretStr fields of Settings)."""
    from pydantic import SecretStr

    from configs.settings import Settings

    names = set()
    for name, field in Settings.model_fields.items():
        if SecretStr in getattr(field.annotation, "__args__", (field.annotation,)):
            names.add(field.validation_alias or f"RETAINAI_{name.upper()}")
    return names


def retainai_services(compose: dict) -> dict[str, dict]:
    return {n: s for n, s in compose["services"].items() if command_of(s)[:1] == ["retainai"]}


def environment_of(service: dict) -> dict[str, str | None]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict([*item.split("=", 1), None][:2] for item in environment)
    return {name: None if value is None else str(value) for name, value in environment.items()}


def the_stack_worker_env() -> dict[str, str]:
    """What `retainai stack up` sets for its worker beyond the shell's environment and the
    stack's addresses, with a heartbeat of 47 s so the heartbeat variables are recognisable."""
    import os

    from configs.settings import Settings
    from tasks.adapters.stack_services import client_env, services

    settings = Settings(flow_heartbeat_seconds=47)
    worker = next(s for s in services(settings) if s.name == "worker")
    ignored = {*client_env(settings), "RETAINAI_HOME", "PYTHONPATH"}
    return {
        name: value
        for name, value in worker.env.items()
        if name not in ignored and os.environ.get(name) != value
    }


def stack_problems(raw: dict, resolved: dict) -> list[str]:
    """What the no-Docker stack does and compose must do alike (`raw`: before interpolation,
    `resolved`: with `${VAR}` as `value-of-var`)."""
    problems, services = [], resolved["services"]
    if command_of(services.get("deploy", {})) != ["retainai", "deploy"]:
        problems.append("deploy: the command is not `retainai deploy` (the crash detector)")
    worker = services.get("worker", {})
    if "--with-healthcheck" not in command_of(worker):
        problems.append("worker: the command does not serve a healthcheck (--with-healthcheck)")
    test = " ".join(worker.get("healthcheck", {}).get("test", []))
    if f":{WORKER_HEALTH_PORT}/health" not in test:
        problems.append(f"worker: the healthcheck does not ask :{WORKER_HEALTH_PORT}/health")
    worker_env = environment_of(raw["services"].get("worker", {}))
    for name, value in the_stack_worker_env().items():
        wanted = "RETAINAI_FLOW_HEARTBEAT_SECONDS" if value == "47" else None
        given = worker_env.get(name)
        if name not in worker_env:
            problems.append(f"worker: {name} is not set (retainai stack up sets it)")
        elif wanted and not re.fullmatch(rf"\$\{{{wanted}:\?[^}}]*\}}", given or ""):
            problems.append(f"worker: {name} must be ${{{wanted}}}, as for retainai stack up")
    for name, setting in HOST_PORT_SETTINGS.items():
        host_port = f"value-of-{setting.lower()}"
        ports = services.get(name, {}).get("ports", [])
        if not all(m.rsplit(":", 1)[0].endswith(host_port) for m in ports):
            problems.append(f"{name}: the published host port is not ${{{setting}}}")
    hosts = (option_value(command_of(services["mlflow"]), "--allowed-hosts") or "").split(",")
    port = "value-of-retainai_mlflow_port"
    missing = {"mlflow:5000", f"localhost:{port}", f"127.0.0.1:{port}"} - set(hosts)
    if missing:
        problems.append(f"mlflow: the allowed hosts lack {', '.join(sorted(missing))}")
    ui = environment_of(services["prefect"]).get("PREFECT_UI_API_URL") or ""
    if ":value-of-retainai_prefect_port/" not in ui:
        problems.append("prefect: PREFECT_UI_API_URL is not on ${RETAINAI_PREFECT_PORT}")
    return problems


def environment_problems(raw: dict) -> list[str]:
    """No env_file: each service is given its own variables. A secret setting reaches only
    RetainAI commands that read it, and every setting of .env.example reaches one of them."""
    services, secrets, problems = raw["services"], secret_settings(), []
    ours = retainai_services(raw)
    for name, service in services.items():
        if "env_file" in service:
            problems.append(f"{name}: env_file passes every variable of the file")
        environment = environment_of(service)
        for variable in sorted(secrets):
            referenced = any(variable in (v or "") for v in environment.values())
            if (variable in environment or referenced) and name not in ours:
                problems.append(f"{name} gets {variable}, a secret it does not read")
    migrate = set(environment_of(services.get("migrate", {})))
    if migrate & secrets - {"RETAINAI_SECRET_KEY"}:
        problems.append(f"migrate gets {sorted(migrate & secrets)}: it only needs the database")
    passed = set().union(*(environment_of(s) for s in ours.values()))
    for setting in sorted(documented_settings() - NOT_PASSED_ON):
        if setting.startswith("RETAINAI_") and setting not in passed:
            problems.append(f"{setting} of .env.example reaches no RetainAI service")
    return problems


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
