"""Where a scoring run's reports live: `reports/scoring/<table>/<as_of>/<run_id>/`, and
`latest.json` beside the runs naming the run whose scores are committed (a file, so it works
on S3 too). Shared by the scoring flow that writes them and the pages that read them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from configs.settings import Settings
from tasks.adapters import report_store
from tasks.adapters.storage import inside

POINTER = "latest.json"


def reports_folder(settings: Settings, dataset: str, as_of: date) -> Path:
    return settings.reports_dir / "scoring" / dataset / as_of.isoformat()


def committed_run_folder(settings: Settings, dataset: str, as_of: date) -> Path | None:
    """The folder (under the reports folder: read its files through the report store) of the
    committed run of (table, as_of), as the kept pointer names it; None before any commit."""
    folder = reports_folder(settings, dataset, as_of)
    pointer = report_store.read(settings, folder / POINTER)
    if pointer is None:
        return None
    return inside(folder, json.loads(pointer.read_text())["folder"])
