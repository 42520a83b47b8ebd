"""Checking an uploaded customer file as a flow run (the `check-upload` deployment, which
the data page launches when a Prefect server is configured; without one the jobs worker
runs the same use case)."""

from __future__ import annotations

from typing import Any

from prefect import flow

from configs.schema import load_config
from configs.settings import Settings
from tasks.services import data
from tasks.services.context import Context


@flow(name="check-upload")
def check_customer_upload(config_path: str, upload_id: str, name: str) -> dict[str, Any]:
    """Check the kept upload `upload_id` against the table's contract: its verdict is kept
    beside it; a refused upload is deleted and why is kept for the page."""
    ctx = Context(Settings())
    command = data.CheckUpload(upload_id=upload_id, name=name)
    found = data.run_upload_check(ctx, load_config(config_path), command)
    return {"upload_id": upload_id, "rows": found.rows, "quarantined": found.quarantined_rows}
