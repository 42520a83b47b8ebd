"""Checks of docker-compose.yml without a Docker engine: against the Compose Specification's
JSON schema (the copy check-jsonschema ships), and against this repository: files, settings,
executables and options of our image, ports, healthchecks and dependencies. Each returns the
problems it finds, one line each."""

from __future__ import annotations

import functools
import re
import shlex
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import jsonschema
import typer
import yaml
from check_jsonschema.builtin_schemas import get_builtin_schema

REPO = Path(__file__).resolve().parents[2]
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}")
HEALTHCHECKED = {"postgres", "minio", "mlflow", "prefect", "worker", "api"}
SERVER_PORTS = {"api": 8000, "mlflow": 5000, "prefect": 4200}


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
