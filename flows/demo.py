"""`retainai demo`: the whole pipeline on embedded defaults, then where to look."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

from configs.settings import Settings
from data.generate import generate_customers, write_customers
from flows.monitor import monitor_churn_model
from flows.score import score_customers_flow
from flows.train import train_churn_model


def run_demo(config: Path, data: str | None, rows: int) -> dict[str, Any]:
    """Train on labelled customers, score a fresh batch, then check it for drift."""
    settings = Settings()
    folder = settings.state / "data"
    if data is None:
        data = str(write_customers(generate_customers(rows, seed=7), folder / "customers.csv"))
    batch = str(write_customers(generate_customers(rows, seed=8), folder / "batch.csv"))
    training = train_churn_model(str(config), data)
    scoring = score_customers_flow(str(config), batch)
    monitoring = monitor_churn_model(str(config), batch, as_of=scoring["as_of"])
    return {
        "training": training,
        "scoring": scoring,
        "monitoring": monitoring,
        "where": where_to_look(settings),
    }


def where_to_look(settings: Settings) -> str:
    venv = Path(sys.executable).parent
    prefect_home = Path(settings.state / "prefect")
    return "\n".join(
        [
            "",
            f"state folder:  {settings.state}",
            f"reports:       {settings.reports_dir}",
            f"app database:  {settings.resolved_database_url}",
            "MLflow UI:     "
            + shlex.join(
                [
                    str(venv / "mlflow"),
                    "ui",
                    "--backend-store-uri",
                    settings.resolved_tracking_uri,
                    "--port",
                    "5000",
                ]
            ),
            f"Prefect UI:    PREFECT_HOME={shlex.quote(str(prefect_home))} "
            f"{shlex.quote(str(venv / 'prefect'))} server start",
        ]
    )
