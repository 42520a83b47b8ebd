"""What the local stack's services are started with: their own settings, not the caller's
MLflow client state."""

from __future__ import annotations

from configs.settings import Settings
from tasks.adapters.stack_services import services


def test_services_talk_to_the_stack_not_to_an_inherited_mlflow(monkeypatch, tmp_path):
    # MLflow's client exports both URIs whenever a process sets them
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere/mlflow.db")
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", "sqlite:///elsewhere/mlflow.db")
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    settings = Settings(state_dir=tmp_path, mlflow_port=5123, prefect_port=4321)
    for service in services(settings):
        assert "MLFLOW_TRACKING_URI" not in service.env, service.name
        assert "MLFLOW_REGISTRY_URI" not in service.env, service.name
        assert service.env["RETAINAI_MLFLOW_TRACKING_URI"] == "http://127.0.0.1:5123"
        assert service.env["PREFECT_API_URL"] == "http://127.0.0.1:4321/api"
        # what the user configured on purpose still reaches the services
        assert service.env["MLFLOW_S3_ENDPOINT_URL"] == "http://127.0.0.1:9000", service.name


def test_the_worker_sends_its_runs_info_lines_whatever_the_shell_exported(monkeypatch, tmp_path):
    from tasks.services.operations.stack import worker_env

    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "WARNING")  # as the Makefile exports it
    monkeypatch.setenv("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    levels = {
        service.name: service.env["PREFECT_LOGGING_LEVEL"]
        for service in services(Settings(state_dir=tmp_path))
    }
    assert levels == {"prefect": "WARNING", "mlflow": "WARNING", "worker": "INFO", "api": "WARNING"}
    worker = next(s for s in services(Settings(state_dir=tmp_path)) if s.name == "worker")
    assert worker.env["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] == "CRITICAL"  # quiet log file
    alone = worker_env({"PREFECT_LOGGING_LEVEL": "WARNING", "RETAINAI_WORK_POOL": "p"})
    assert alone == {"PREFECT_LOGGING_LEVEL": "INFO", "RETAINAI_WORK_POOL": "p"}
