"""Checks of docker-compose.yml against the stack `retainai stack up` runs without Docker:
the same deploy command, the worker's healthcheck and heartbeat, host ports and MLflow's
allowed hosts from the same port settings, and each secret only where it is read."""

from __future__ import annotations

import re

from tests.unit.compose_checks import command_of, documented_settings, option_value

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
