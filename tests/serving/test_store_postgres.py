"""The serving store on PostgreSQL: current scores view, sorts, details, campaigns, tokens."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from serving_helpers import seed_scores

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def engine(postgres_url):
    from tasks.adapters import db
    from tasks.adapters.db import make_engine

    engine = make_engine(postgres_url, 2)
    db.upgrade(engine)
    with engine.begin() as connection:
        for table in ("customer_scores", "kpi_snapshots", "campaigns", "api_tokens"):
            connection.execute(sa.text(f"DELETE FROM {table}"))
    seed_scores(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sorted_current_scores_with_missing_values_last(engine, order):
    from tasks.adapters import retention_store as store

    items = store.list_customers(engine, "telco", "lifetime_value", order, 500, 0, None)
    assert len(items) == 40 and {i["as_of"].isoformat() for i in items} == {"2026-11-01"}
    known = [i["lifetime_value"] for i in items if i["lifetime_value"] is not None]
    assert known == sorted(known, reverse=order == "desc")
    assert all(i["lifetime_value"] is None for i in items[len(known) :])
    high = store.list_customers(engine, "telco", "churn_score", "desc", 500, 0, "high")
    assert high and {i["risk_segment"] for i in high} == {"high"}


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_keyset_pages_follow_the_index_order_without_gaps_or_repeats(engine, order):
    from tasks.adapters import retention_store as store

    whole = store.list_customers(engine, "telco", "churn_score", order, 500, 0, None)
    pages, after = [], None
    while True:
        page = store.list_customers(engine, "telco", "churn_score", order, 7, 0, None, after=after)
        if not page:
            break
        pages += page
        after = (page[-1]["churn_probability"], page[-1]["customer_id"])
    assert [r["customer_id"] for r in pages] == [r["customer_id"] for r in whole]
    scores = [r["churn_probability"] for r in whole]
    assert scores == sorted(scores, reverse=order == "desc")
    medium = store.list_customers(
        engine,
        "telco",
        "churn_score",
        order,
        500,
        0,
        "medium",
        min_probability=0.3,
        max_probability=0.6,
    )
    assert medium == [r for r in whole if r["risk_segment"] == "medium"]


def test_detail_kpis_campaigns_and_tokens(engine):
    from tasks.adapters import retention_store as store
    from tasks.adapters import tokens

    detail = store.customer_detail(engine, "telco", "C0003")
    assert detail["top_reasons"][0]["feature"] == "tenure" and len(detail["history"]) == 2
    assert detail["scored_at"].tzinfo is not None
    assert store.customer_detail(engine, "telco", "C0003' OR '1'='1") is None
    assert store.latest_kpis(engine, "telco")["as_of"].isoformat() == "2026-11-01"
    token = tokens.create(engine, "pg-viewer", "viewer")
    assert tokens.lookup(engine, token) == tokens.Principal("pg-viewer", "viewer")
    assert tokens.revoke(engine, "pg-viewer") and tokens.lookup(engine, token) is None


def _edge_scores(engine) -> list[tuple[float, str]]:
    """Scores on and beside band edges, halves that round either way, and ties."""
    from datetime import UTC, date, datetime

    from tasks.adapters.tables import customer_scores, kpi_snapshots

    edges = [
        0.0,
        1.0,
        0.0005,
        0.0015,
        0.0025,
        0.1,
        0.0999999,
        0.1000001,
        0.7,
        0.6995,
        0.7005,
        0.69999999,
        0.5,
        0.5,
        0.5,
        0.2345,
        0.2345,
        0.9999,
        0.0001,
    ]
    now, rows = datetime.now(UTC), []
    for i, p in enumerate(edges):
        rows.append(
            {
                "dataset": "edges",
                "customer_id": f"E{(i * 7) % 19:02d}",
                "as_of": date(2026, 11, 1),
                "model_version": "1",
                "churn_probability": p,
                "risk_segment": "low",
                "top_reasons": [],
                "scored_at": now,
                "run_id": "edges",
            }
        )
    with engine.begin() as connection:
        connection.execute(customer_scores.insert(), rows)
        connection.execute(
            kpi_snapshots.insert().values(
                dataset="edges",
                as_of=date(2026, 11, 1),
                model_version="1",
                kpis={},
                run_id="edges",
                created_at=now,
            )
        )
    return [(r["churn_probability"], r["customer_id"]) for r in rows]


@pytest.mark.parametrize("page_size", [1, 2, 5])
def test_keyset_pages_by_score_band_match_the_exact_order_at_band_edges(engine, page_size):
    from tasks.adapters import retention_store as store

    if page_size == 1:
        _edge_scores(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT churn_probability, customer_id FROM customer_scores WHERE dataset = 'edges'"
            )
        ).all()
    for order in ("asc", "desc"):
        expected = sorted(((p, c) for p, c in rows), reverse=order == "desc")
        pages, after = [], None
        while page := store.list_customers(
            engine, "edges", "churn_score", order, page_size, 0, None, after=after
        ):
            pages += [(r["churn_probability"], r["customer_id"]) for r in page]
            after = pages[-1]
        assert pages == expected
        ranged = store.list_customers(
            engine,
            "edges",
            "churn_score",
            order,
            100,
            0,
            None,
            min_probability=0.1,
            max_probability=0.7,
        )
        assert [(r["churn_probability"], r["customer_id"]) for r in ranged] == [
            (p, c) for p, c in expected if 0.1 <= p <= 0.7
        ]


def test_pages_by_score_read_the_band_index_per_segment_value(engine):
    """On a period large enough for the planner to care, the first page, a keyset page and a
    page of one segment value read the (segment value, band) index: no sort of the period."""
    from datetime import UTC, date, datetime

    import numpy as np

    from tasks.adapters import retention_store as store
    from tasks.adapters.tables import customer_scores, kpi_snapshots

    rng, now = np.random.default_rng(5), datetime.now(UTC)
    values = rng.choice(np.array(["Month-to-month", "One year", "Two year", None]), 30_000)
    rows = [
        {
            "dataset": "plan",
            "customer_id": f"P{i:06d}",
            "as_of": date(2026, 11, 1),
            "model_version": "1",
            "churn_probability": float(p),
            "risk_segment": "low",
            "segment_value": value,
            "top_reasons": [],
            "scored_at": now,
            "run_id": "plan",
        }
        for i, (p, value) in enumerate(zip(rng.beta(1, 6, 30_000), values, strict=True))
    ]
    with engine.begin() as connection:
        connection.execute(customer_scores.insert(), rows)
        connection.execute(
            kpi_snapshots.insert().values(
                dataset="plan",
                as_of=date(2026, 11, 1),
                model_version="1",
                kpis={},
                run_id="plan",
                created_at=now,
            )
        )
        connection.execute(sa.text("ANALYZE customer_scores"))
    captured = []

    def capture(connection, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        first = store.list_customers(engine, "plan", "churn_score", "desc", 50, 0, None)
        after = (first[-1]["churn_probability"], first[-1]["customer_id"])
        second = store.list_customers(
            engine, "plan", "churn_score", "desc", 50, 0, None, after=after
        )
        rare = store.list_customers(
            engine,
            "plan",
            "churn_score",
            "desc",
            50,
            0,
            None,
            segment_value="Two year",
            min_probability=0.4,
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    ordered = sorted(((r["churn_probability"], r["customer_id"]) for r in rows), reverse=True)
    assert [(r["churn_probability"], r["customer_id"]) for r in first + second] == ordered[:100]
    assert {r["segment_value"] for r in first + second} == {
        "Month-to-month",
        "One year",
        "Two year",
        None,
    }
    assert [r["customer_id"] for r in rare] == [
        c for p, c in ordered if p >= 0.4 and values[int(c[1:])] == "Two year"
    ][:50]
    pages = [(s, p) for s, p in captured if "ORDER BY" in s and "FROM customer_scores" in s]
    assert len(pages) == 3
    with engine.connect() as connection:
        for number, (statement, parameters) in enumerate(pages):
            plan = "\n".join(
                connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars()
            )
            assert "ix_customer_scores_dataset_as_of_value_band" in plan, plan
            assert "Seq Scan" not in plan, plan
            assert number == 2 or "Presorted Key" in plan, plan  # only a band's rows sorted
