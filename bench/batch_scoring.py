"""Batch scoring throughput against PostgreSQL: our flow, the floor, and the naive path.

Generates customers into a PostgreSQL table, trains a champion on generated data (default
config), vacuums what it loaded or deleted (so no step inherits autovacuum work), then measures
in one run, each in its own process so peak memory is its own:
The champion is trained with `--family` (default blend, the trees and the linear model the
bench has always measured) first in the simplicity order of the model choice; with
`--champion-state DIR` the champion registered in that state folder is used instead (no
training; its registry is only read).
  (a) ours:  the scoring flow from the source table to upserted scores (validation, reasons,
             lifetime value, KPIs, survival curves, staging and merge included), timed in a
             process that has run the flow before, as a worker has: a 1,000-customer run of
             another period first starts Prefect's ephemeral API server and imports what the
             flow imports (its time is reported as warm_up_seconds);
  (b) floor: predict_proba of the same model on the in-memory frame plus a raw COPY of
             (customer_id, probability) into a bare table;
  (c) naive: pandas.read_sql, predict_proba, DataFrame.to_sql.
Ours and the floor run `--repeats` times (default 3), alternated, each repeat of ours on fresh
periods whose rows are deleted and vacuumed after it: run to run, both vary by up to a fifth on
a shared 2-core machine, so the figures are the medians, with every run's time and the ratio
of each pair beside them. Prints one JSON object.

    python bench/batch_scoring.py --rows 1000000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/retainai_bench
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "telco.yaml"
CHAMPION_STATE_HELP = "use the champion registered in this state folder (no training)"
TARGETS = {"ratio_to_floor": 1.3, "speedup_vs_naive": 2.0, "peak_rss_mb": 2048}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(args) -> None:
    """Database, customers table and a champion in the bench's own state folder."""
    import sqlalchemy as sa

    from data.generate import generate_customers
    from tasks.adapters import db

    url = sa.engine.make_url(args.database_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}
        ).scalar()
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    engine = db.make_engine(args.database_url)
    db.upgrade(engine)
    frame = generate_customers(args.rows, seed=args.seed)
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP TABLE IF EXISTS {args.table}"))
        frame.head(0).to_sql(args.table, connection, index=False)
        connection.execute(sa.text("DROP TABLE IF EXISTS bench_floor_scores"))
        connection.execute(
            sa.text(
                "CREATE TABLE bench_floor_scores (customer_id text, probability double precision)"
            )
        )
        connection.execute(sa.text("DROP TABLE IF EXISTS bench_naive_scores"))
        connection.execute(sa.text("DELETE FROM customer_scores"))
        _copy_frame(connection, args.table, frame)
        connection.execute(sa.text(f"DROP TABLE IF EXISTS {args.table}_warm_up"))
        connection.execute(
            sa.text(f"CREATE TABLE {args.table}_warm_up AS SELECT * FROM {args.table} LIMIT 1000")
        )
    if not args.champion_state:
        from flows.train import train_churn_model

        training = Path(args.state) / "train.csv"
        generate_customers(5000, seed=args.seed + 1).to_csv(training, index=False)
        train_churn_model(str(_training_config(args)), str(training))
    _settle(engine, args.table)
    engine.dispose()


def _training_config(args) -> Path:
    """The default config with `--family` simplest first: the champion is that family
    whenever its CV ROC-AUC is within one standard error of the best (else the best)."""
    import yaml

    raw = yaml.safe_load(CONFIG.read_text())
    order = raw["model"].get("simplicity_order") or list(raw["model"]["families"])
    raw["model"]["simplicity_order"] = [args.family, *[f for f in order if f != args.family]]
    path = Path(args.state) / "bench-config.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _settle(engine, table: str) -> None:
    """Leave no maintenance behind for the measured steps: vacuum what prepare just loaded or
    deleted (hint bits, visibility map, dead index entries, statistics), checkpoint and sync.
    Else the first step pays for autovacuum and first-read page writes the others do not see."""
    import sqlalchemy as sa

    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for name in (table, "customer_scores", "customer_scores_staging"):
            connection.execute(sa.text(f"VACUUM (ANALYZE) {name}"))
        with contextlib.suppress(sa.exc.DBAPIError):  # needs pg_checkpoint; only a nicety
            connection.execute(sa.text("CHECKPOINT"))
    os.sync()  # and no write-back of what prepare wrote still going on under the first step


def _copy_frame(connection, table: str, frame) -> None:
    import io

    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False)
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())


def _periods(repeat: int) -> tuple[str, str]:
    """(warm-up, measured) as_of of one repeat: each repeat scores fresh periods."""
    from datetime import date, timedelta

    warm_up, measured = date(2025, 12, 31), date(2026, 1, 1)
    shift = timedelta(days=repeat)
    return (warm_up - shift).isoformat(), (measured + shift).isoformat()


def forget(args, *periods: str) -> None:
    """Those periods' rows out, vacuumed: the next run inserts into the same table."""
    import sqlalchemy as sa

    engine = sa.create_engine(args.database_url)
    with engine.begin() as connection:
        for as_of in periods:
            delete = sa.text("DELETE FROM customer_scores WHERE as_of = :a")
            connection.execute(delete, {"a": as_of})
    _settle(engine, args.table)
    engine.dispose()


def ours(args) -> dict:
    from flows.score import score_customers_flow

    def run(table: str, as_of: str) -> tuple[float, int]:
        started = time.perf_counter()
        summary = score_customers_flow(str(CONFIG), args.database_url, table=table, as_of=as_of)
        return time.perf_counter() - started, summary["rows_scored"]

    # before the clock, as in a worker that has run flows before: a small scoring run of its
    # own period starts Prefect's ephemeral API server and imports what the flow imports
    warm_up_period, period = _periods(args.repeat)
    warm_up_seconds, _ = run(f"{args.table}_warm_up", warm_up_period)
    seconds, rows = run(args.table, period)
    return {
        "seconds": seconds,
        "rows": rows,
        "warm_up_seconds": warm_up_seconds,
        "model_family": _champion_family(),
    }


def _champion_family() -> str:
    from configs.schema import load_config
    from configs.settings import Settings
    from tasks.adapters import registry

    settings = Settings()
    registry.configure(settings)
    found = registry.version_by_alias(settings.model_name(load_config(CONFIG)), registry.CHAMPION)
    return found.tags.get("model_family", "") if found else ""


def _champion_and_frame(args):
    import pandas as pd
    import sqlalchemy as sa

    from configs.schema import load_config
    from configs.settings import Settings
    from tasks.adapters import registry

    settings = Settings()
    registry.configure(settings)
    pipeline = registry.load_champion(settings.model_name(load_config(CONFIG))).pipeline
    engine = sa.create_engine(args.database_url)
    return pipeline, engine, pd


def floor(args) -> dict:
    import io

    import sqlalchemy as sa

    from configs.schema import load_config
    from configs.settings import Settings
    from tasks.adapters.sources import read_source
    from tasks.core.coercion import coerce_frame

    config = load_config(CONFIG)
    pipeline, engine, pd = _champion_and_frame(args)
    frame = read_source(args.database_url, table=args.table, settings=Settings())
    typed = coerce_frame(frame, config.dataset).frame  # in memory before the clock starts
    features = typed[config.dataset.feature_columns]
    with engine.begin() as connection:  # each repeat copies into an empty table
        connection.execute(sa.text("TRUNCATE bench_floor_scores"))
    started = time.perf_counter()
    probability = pipeline.predict_proba(features)[:, 1]
    result = pd.DataFrame(
        {"customer_id": typed[config.dataset.id_column], "probability": probability}
    )
    buffer = io.StringIO()
    result.to_csv(buffer, index=False, header=False)
    with engine.begin() as connection:
        raw = connection.connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy("COPY bench_floor_scores FROM STDIN WITH (FORMAT csv)") as copy,
        ):
            copy.write(buffer.getvalue())
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "rows": len(result)}


def naive(args) -> dict:
    from configs.schema import load_config

    config = load_config(CONFIG)
    pipeline, engine, pd = _champion_and_frame(args)
    started = time.perf_counter()
    frame = pd.read_sql_table(args.table, engine)
    frame.columns = [str(c) for c in frame.columns]
    for column in config.dataset.numeric:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0.0)
    frame["SeniorCitizen"] = frame["SeniorCitizen"].astype(str)
    probability = pipeline.predict_proba(frame[config.dataset.feature_columns])[:, 1]
    result = pd.DataFrame(
        {"customer_id": frame[config.dataset.id_column], "probability": probability}
    )
    result.to_sql("bench_naive_scores", engine, if_exists="replace", index=False, chunksize=10_000)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "rows": len(result)}


def use_champion_of(state: str | None) -> None:
    """With a state folder: this process and its children read their champion from that
    state's model registry (RETAINAI_MLFLOW_TRACKING_URI), whatever their own state is."""
    if state:
        from configs.settings import Settings

        found = Settings(state_dir=Path(state)).resolved_tracking_uri
        os.environ["RETAINAI_MLFLOW_TRACKING_URI"] = found


def use_state(args, prefix: str) -> Path:
    """The bench's state folder (`--state`, else a new temporary one, passed on to the steps)
    and database for this process and its children, with quiet local runtime defaults."""
    from flows.cli import quiet_runtime_defaults

    state = Path(args.state or tempfile.mkdtemp(prefix=prefix))
    os.environ["RETAINAI_STATE_DIR"] = str(state)
    os.environ["RETAINAI_DATABASE_URL"] = args.database_url
    use_champion_of(args.champion_state)
    quiet_runtime_defaults(state)
    sys.argv += ["--state", str(state)] if not args.state else []
    return state


def _child(args, step: str, repeat: int = 0) -> dict:
    """Run one measurement in a fresh process; returns its figures and peak RSS."""
    command = [sys.executable, __file__, "--step", step, "--repeat", str(repeat), *sys.argv[1:]]
    out = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    if out.returncode != 0:
        raise SystemExit(f"{step} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/retainai_bench"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--family",
        default="blend",
        choices=["blend", "lightgbm", "logistic_regression", "random_forest"],
        help="family the champion is chosen as (blend: the trees and the linear model)",
    )
    parser.add_argument("--table", default="bench_customers")
    parser.add_argument("--state", default=None, help="state folder (default: a temporary one)")
    parser.add_argument("--champion-state", help=CHAMPION_STATE_HELP)
    parser.add_argument(
        "--repeats", type=int, default=3, help="ours and the floor, alternated (medians reported)"
    )
    parser.add_argument(
        "--step", choices=["prepare", "ours", "floor", "naive"], help=argparse.SUPPRESS
    )
    parser.add_argument("--repeat", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.step:
        result = {"prepare": prepare, "ours": ours, "floor": floor, "naive": naive}[args.step](args)
        print(json.dumps({**(result or {}), "peak_rss_mb": _peak_mb()}))
        return 0

    use_state(args, "retainai-bench-")
    _child(args, "prepare")
    runs: dict[str, list[dict]] = {"ours": [], "floor": []}
    for repeat in range(args.repeats):  # alternated, so a slow spell of the machine hits both
        runs["ours"].append(_child(args, "ours", repeat))
        forget(args, *_periods(repeat))
        runs["floor"].append(_child(args, "floor", repeat))
    naive_run = _child(args, "naive")
    ours_seconds = [r["seconds"] for r in runs["ours"]]
    floor_seconds = [r["seconds"] for r in runs["floor"]]
    pair_ratios = [o / f for o, f in zip(ours_seconds, floor_seconds, strict=True)]
    seconds, floor_median = statistics.median(ours_seconds), statistics.median(floor_seconds)
    report = {
        "rows": runs["ours"][0]["rows"],
        "repeats": args.repeats,
        "seconds": round(seconds, 2),
        "floor_seconds": round(floor_median, 2),
        "naive_seconds": round(naive_run["seconds"], 2),
        "ratio_to_floor": round(seconds / floor_median, 3),
        "speedup_vs_naive": round(naive_run["seconds"] / seconds, 3),
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs["ours"]), 1),
        "seconds_each": [round(x, 2) for x in ours_seconds],
        "floor_seconds_each": [round(x, 2) for x in floor_seconds],
        "ratio_each": [round(x, 3) for x in pair_ratios],
        "warm_up_seconds": round(statistics.median(r["warm_up_seconds"] for r in runs["ours"]), 2),
        "floor_peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs["floor"]), 1),
        "naive_peak_rss_mb": round(naive_run["peak_rss_mb"], 1),
        "seed": args.seed,
        "model_family": runs["ours"][0].get("model_family"),
        "targets": TARGETS,
    }
    report["meets_targets"] = {
        "ratio_to_floor": report["ratio_to_floor"] <= TARGETS["ratio_to_floor"],
        "speedup_vs_naive": report["speedup_vs_naive"] >= TARGETS["speedup_vs_naive"],
        "peak_rss_mb": report["peak_rss_mb"] <= TARGETS["peak_rss_mb"],
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
