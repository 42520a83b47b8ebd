"""`retainai demo`: the whole pipeline on embedded defaults, then where to look."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

from configs.settings import Settings
from data.generate import generate_customers, write_customers
from flows.train import train_churn_model


def run_demo(config: Path, data: str | None, rows: int) -> dict[str, Any]:
    settings = Settings()
    if data is None:
        path = settings.state / "data" / "customers.csv"
        write_customers(generate_customers(rows, seed=7), path)
        data = str(path)
    training = train_churn_model(str(config), data)
    return {"training": training, "where": where_to_look(settings)}


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
