"""The scoring flow: every customer scored by the champion, written atomically per as_of."""

from __future__ import annotations

from typing import Any

from prefect import flow

from configs.schema import load_config
from flows.task_runners import ScoringTaskRunner
from tasks.ingest import describe, ingest_table, source_of
from tasks.monitor import gate_drift
from tasks.report_links import publish_reports
from tasks.run_period import resolve_as_of
from tasks.run_setup import run_settings
from tasks.score import load_champion, score_and_merge
from tasks.scoring_run import POINTER, locked_period, publish_run, run_folder
from tasks.validate import check_table, report_suite, suite_sample


@flow(name="score-customers", task_runner=ScoringTaskRunner())
def score_customers_flow(
    config_path: str,
    data: str | None = None,
    table: str | None = None,
    query: str | None = None,
    as_of: str | None = None,
) -> dict[str, Any]:
    """Lock and run, load champion, ingest, check contract, suite report, drift gate, score
    chunks and merge (KPIs in the same commit), curves, reports kept and linked.

    Without `as_of`, a deployment run scores the date it was scheduled for; else today.
    Without `data`, RETAINAI_SCORING_SOURCE (and _TABLE) of the environment it runs in."""
    config = load_config(config_path)
    settings = run_settings()
    data, table, query = source_of(settings, "scoring", data, table, query)
    period = resolve_as_of(as_of)
    with locked_period(settings, config, period) as locked:
        champion = load_champion.submit(config, locked.folder / "champion", settings)
        customers = ingest_table(data, table, query, config, settings)
        check_table(customers, config, "scoring")
        model = champion.result()
        run = locked.start(model.loaded.name, model.version, describe(data, table, query))
        folder = run_folder(settings, run)
        suite = report_suite.submit(suite_sample(customers, config), config, "scoring")
        gate_drift(config, model, customers, folder, run, settings)
        scored = score_and_merge(customers, model, config, run, settings, folder, suite)
        publish_run(settings, config, run, scored)
        reports = publish_reports(
            settings,
            [folder, folder.parent / POINTER],
            "scoring-reports",
            f"Scoring reports of {run.dataset} for as_of {run.as_of} (run {run.run_id})",
        )
    return {
        "run_id": run.run_id,
        "as_of": period.isoformat(),
        "model_version": run.model_version,
        "rows_scored": scored.counts["rows_scored"],
        "rows_quarantined": scored.counts["rows_quarantined"],
        "kpis": scored.kpis,
        "report_dir": str(folder),
        "reports_uri": reports,
    }
