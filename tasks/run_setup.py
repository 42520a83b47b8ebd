"""What every flow run does first: its one Settings from the environment (invalid ones: one
ConfigError line per variable) and its log lines sent to the Prefect UI, secrets masked."""

from __future__ import annotations

from configs.settings import Settings, load_settings
from tasks.adapters.run_logs import send_run_logs


def run_settings() -> Settings:
    """The run's Settings; from here on its INFO lines reach the Prefect API."""
    settings = load_settings()
    send_run_logs(settings)
    return settings
