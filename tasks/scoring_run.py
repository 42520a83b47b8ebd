"""A scoring run's life: the lock of its (table, as_of), its record, its reports and pointer.

Reports belong to runs: `reports/scoring/<table>/<as_of>/<run_id>/` holds what one run wrote
(validation, quarantine, KPIs, survival curves) and `latest.json` beside the runs names the
run whose scores are committed, written only after the commit (a file, so it works on S3
too). A failed run never overwrites what a committed one reported.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from sqlalchemy.engine import Engine

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters import db, score_runs
from tasks.adapters.report_folders import POINTER, reports_folder
from tasks.adapters.score_runs import RunKey
from tasks.adapters.storage import write_frame_atomic, write_json_atomic
from tasks.core.errors import ConfigError
from tasks.core.progress import step
from tasks.services.context import Context


@dataclass
class PeriodRun:
    """The locked (table, as_of) of a scoring run; `start` records the run itself."""

    engine: Engine
    config: RunConfig
    as_of: date
    folder: Path
    run: RunKey | None = field(default=None)

    def start(self, model_name: str, model_version: str, source: str) -> RunKey:
        """Record the run as running (failing runs that died before) and name its folder."""
        run = RunKey(
            uuid.uuid4().hex, self.config.dataset.name, self.as_of, model_version, datetime.now(UTC)
        )
        score_runs.start_run(
            self.engine,
            run_id=run.run_id,
            dataset=run.dataset,
            as_of=run.as_of,
            model_name=model_name,
            model_version=model_version,
            source=source,
        )
        self.run = run
        return run


def run_folder(settings: Settings, run: RunKey) -> Path:
    return reports_folder(settings, run.dataset, run.as_of) / run.run_id


@contextlib.contextmanager
def locked_period(settings: Settings, config: RunConfig, as_of: date) -> Iterator[PeriodRun]:
    """Hold the (table, as_of) lock for the whole run; a run started inside that fails is
    marked failed and its staged rows removed (the scores table is never touched)."""
    if config.dataset.id_column is None:
        raise ConfigError("scoring needs dataset.id_column (scores are stored per customer)")
    engine = Context(settings).engine
    db.ensure_schema(engine, embedded=settings.database_url is None)
    folder = reports_folder(settings, config.dataset.name, as_of)
    with score_runs.period_lock(engine, score_runs.JOB, config.dataset.name, as_of):
        period = PeriodRun(engine, config, as_of, folder)
        try:
            yield period
        except BaseException as exc:
            if period.run is not None:
                score_runs.fail_run(engine, period.run.run_id, str(exc) or type(exc).__name__)
            raise


@task(name="publish-run", cache_policy=NO_CACHE)
def publish_run(settings: Settings, config: RunConfig, run: RunKey, scored) -> Path:
    """After the commit: the run's KPIs and quarantined rows in its folder (its validation
    report and curves are there already), then the pointer naming it, and the KPI artifact."""
    folder = run_folder(settings, run)
    write_json_atomic(folder / "kpis.json", scored.kpis)
    if len(scored.quarantined):
        write_frame_atomic(scored.quarantined, folder / "quarantine.csv")
    pointer = {
        "run_id": run.run_id,
        "model_version": run.model_version,
        "committed_at": datetime.now(UTC).isoformat(),
        "folder": run.run_id,
    }
    write_json_atomic(folder.parent / POINTER, pointer)
    create_table_artifact(
        key="scoring-kpis",
        table=[{"kpi": k, "value": v} for k, v in scored.kpis.items() if not isinstance(v, dict)],
        description=f"KPIs of {run.dataset} for as_of {run.as_of} (champion v{run.model_version})",
    )
    step(f"wrote {scored.written:,} scores for as_of {run.as_of}")
    return folder
