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
        page = store.list_customers(engine, "telco", "churn_score", order, 7, 0, None,
                                    after=after)  # fmt: skip
        if not page:
            break
        pages += page
        after = (page[-1]["churn_probability"], page[-1]["customer_id"])
    assert [r["customer_id"] for r in pages] == [r["customer_id"] for r in whole]
    scores = [r["churn_probability"] for r in whole]
    assert scores == sorted(scores, reverse=order == "desc")
    medium = store.list_customers(engine, "telco", "churn_score", order, 500, 0, "medium",
                                  min_probability=0.3, max_probability=0.6)  # fmt: skip
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
