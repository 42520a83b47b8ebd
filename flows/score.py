"""The scoring flow: every customer scored by the champion, written atomically per as_of."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from prefect import flow, unmapped
from prefect.artifacts import create_table_artifact

from configs.schema import load_config
from configs.settings import Settings
from tasks.adapters import db, scores
from tasks.adapters.sources import describe_source
from tasks.adapters.storage import write_json_atomic
from tasks.core.errors import DriftBlockedError
from tasks.core.kpis import compute_kpis
from tasks.core.scoring import split_chunks
from tasks.ingest import ingest
from tasks.lifetimes import write_curves
from tasks.monitor import report_drift
from tasks.progress import step
from tasks.score import load_champion, merge_scores, resolve_as_of, score_chunk
from tasks.validate import validate


@flow(name="score-customers")
def score_customers_flow(
    config_path: str,
    data: str,
    table: str | None = None,
    query: str | None = None,
    as_of: str | None = None,
) -> dict[str, Any]:
    """Load champion, ingest, validate, (drift gate), score chunks, merge, KPIs."""
    config = load_config(config_path)
    settings = Settings()
    period = resolve_as_of(as_of)
    run_id = uuid.uuid4().hex
    folder = settings.reports_dir / "scoring" / period.isoformat()
    engine = db.make_engine(settings.resolved_database_url)
    db.ensure_schema(engine, embedded=settings.database_url is None)
    champion = load_champion(folder / "champion", config.monitoring.action == "block")
    with scores.period_lock(engine, "score", period):
        scores.start_run(
            engine,
            run_id=run_id,
            as_of=period,
            model_name=settings.registered_model,
            model_version=champion.version,
            source=describe_source(data, table, query),
        )
        try:
            raw = ingest(data, table, query)
            validated = validate(raw, config, "scoring", folder)
            if config.monitoring.action == "block":
                summary = report_drift(
                    config,
                    champion.reference,
                    validated.clean,
                    folder,
                    period,
                    champion.version,
                    run_id,
                )
                if summary.dataset_drift:
                    raise DriftBlockedError(
                        f"data drift in {summary.drifted_share:.0%} of columns "
                        f"({', '.join(summary.drifted_columns)}): scores not written"
                    )
            chunks = split_chunks(validated.clean, config.scoring.chunk_rows)
            step(
                f"scoring {len(validated.clean):,} customers in {len(chunks)} chunks "
                f"with champion v{champion.version}"
            )
            scored_at = datetime.now(UTC)
            futures = score_chunk.map(
                chunks,
                range(len(chunks)),
                unmapped(champion),
                unmapped(config),
                unmapped(period),
                unmapped(run_id),
                unmapped(scored_at),
            )
            scored = pd.concat([f.result() for f in futures], ignore_index=True)
            target = config.dataset.target.column
            labels = validated.clean.get(target)
            kpis = compute_kpis(scored, config, labels)
            counts = {
                "rows_in": len(raw),
                "rows_scored": len(scored),
                "rows_quarantined": len(validated.quarantined),
            }
            written = merge_scores(run_id, period, champion.version, kpis, counts)
        except BaseException as exc:
            scores.fail_run(engine, run_id, str(exc))
            raise
        finally:
            engine.dispose()
    write_json_atomic(folder / "kpis.json", kpis)
    if labels is not None:
        probabilities = scored["churn_probability"].to_numpy()
        write_curves(config, validated.clean, probabilities, folder / "survival")
    create_table_artifact(
        key="scoring-kpis",
        table=[{"kpi": k, "value": v} for k, v in kpis.items() if not isinstance(v, dict)],
        description=f"KPIs for as_of {period} (champion v{champion.version})",
    )
    step(f"wrote {written:,} scores for as_of {period}")
    return {
        "run_id": run_id,
        "as_of": period.isoformat(),
        "model_version": champion.version,
        "rows_scored": len(scored),
        "rows_quarantined": len(validated.quarantined),
        "kpis": kpis,
        "report_dir": str(folder),
    }
