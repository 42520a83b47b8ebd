"""The retention API: KPIs, customers by risk (whitelisted sorts), one customer, creating a
campaign."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import sqlalchemy as sa
from serving_helpers import bearer


def _get(served, path: str, role: str = "viewer", **params):
    return served.client.get(path, params=params, headers=bearer(served.tokens[role]))


def _count(served, table: str) -> int:
    with served.state.engine.connect() as connection:
        return connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar()


def test_kpis_are_the_latest_snapshot(served):
    answer = _get(served, "/kpis").json()
    assert answer["as_of"] == "2026-11-01"
    assert answer["kpis"]["customers_scored"] == len(served.customer_ids)


@pytest.mark.parametrize(
    ("sort", "column"),
    [
        ("churn_score", "churn_probability"),
        ("lifetime_value", "lifetime_value"),
        ("monthly_value", "monthly_value"),
        ("customer_id", "customer_id"),
    ],
)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_customers_sorted_by_whitelisted_keys(served, sort, column, order):
    items = _get(served, "/customers", sort=sort, order=order, limit=500).json()["items"]
    assert len(items) == len(served.customer_ids)
    assert {i["as_of"] for i in items} == {"2026-11-01"}  # current scores only
    known = [i[column] for i in items if i[column] is not None]
    assert known == sorted(known, reverse=order == "desc")
    assert all(i[column] is None for i in items[len(known) :])  # missing values last


def test_customers_paginate_and_filter_by_segment(served):
    first = _get(served, "/customers", limit=10).json()
    second = _get(served, "/customers", limit=10, offset=10).json()
    assert first["next_offset"] == 10 and len(first["items"]) == 10
    assert not {i["customer_id"] for i in first["items"]} & {
        i["customer_id"] for i in second["items"]
    }
    assert first["items"][-1]["churn_probability"] >= second["items"][0]["churn_probability"]
    high = _get(served, "/customers", segment="high", limit=500).json()["items"]
    assert high and {i["risk_segment"] for i in high} == {"high"}
    last = _get(served, "/customers", limit=500).json()
    assert last["next_offset"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "pg_sleep(1)"},
        {"sort": "churn_probability"},
        {"sort": "customer_id; DROP TABLE customer_scores"},
        {"order": "sideways"},
        {"order": "desc, (SELECT 1)"},
        {"limit": 0},
        {"limit": 501},
        {"limit": "ten"},
        {"offset": -1},
        {"segment": "high' OR '1'='1"},
        {"segment": "extreme"},
    ],
)
def test_customers_reject_anything_off_the_whitelist(served, params):
    response = _get(served, "/customers", **params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["query", next(iter(params))]


@pytest.mark.parametrize(
    "customer_id",
    ["C0001' OR '1'='1", "C0001'; DROP TABLE customer_scores; --", "%' OR 1=1 --", "C0001\\"],
)
def test_sql_in_customer_ids_is_inert(served, customer_id):
    before = _count(served, "customer_scores")
    response = _get(served, f"/customers/{quote(customer_id, safe='')}")
    assert response.status_code == 404
    assert _count(served, "customer_scores") == before


def test_customer_detail_has_reasons_value_and_history(served):
    customer_id = served.customer_ids[3]
    answer = _get(served, f"/customers/{customer_id}").json()
    assert answer["customer_id"] == customer_id and answer["as_of"] == "2026-11-01"
    assert answer["top_reasons"][0]["feature"] == "tenure"
    assert answer["reasons"][0]["text"] == "Tenure: 3 months"  # in business words too
    assert answer["lifetime_value"] == pytest.approx(130.0)
    assert [h["as_of"] for h in answer["history"]] == ["2026-11-01", "2026-10-01"]
    assert _get(served, "/customers/NOBODY").status_code == 404
    assert _get(served, "/customers/" + "x" * 65).status_code == 422


MONTHLY = "Month-to-month"


def test_a_campaign_is_created_with_its_audience_and_holdout(served):
    payload = {
        "name": "winback high risk",
        "segment_filter": {
            "risk_segments": ["high", "medium"],
            "segment_values": ["Month-to-month"],
        },
    }
    response = served.client.post(
        "/campaigns", json=payload, headers=bearer(served.tokens["analyst"])
    )
    assert response.status_code == 201
    created = response.json()
    assert created["status"] == "draft" and created["holdout_share"] == 0.1
    assert created["offer"] == next(iter(served.config.campaigns.offers))
    with served.state.engine.connect() as connection:
        row = connection.execute(
            sa.text(
                "SELECT name, status, created_by, segment_filter FROM campaigns WHERE id = :id"
            ),
            {"id": created["id"]},
        ).one()
        arms = dict(
            connection.execute(
                sa.text(
                    "SELECT arm, COUNT(*) FROM campaign_members WHERE campaign_id = :id "
                    "GROUP BY arm"
                ),
                {"id": created["id"]},
            ).fetchall()
        )
    assert row.name == "winback high risk" and row.status == "draft"
    assert row.created_by.startswith("test-analyst-")
    assert '"Month-to-month"' in row.segment_filter
    totals = created["totals"]
    assert arms == {"treated": totals["treated"], "holdout": totals["holdout"]}
    assert totals["audience"] == totals["treated"] + totals["holdout"] > 0


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        (
            {"name": "x", "segment_filter": {"segment_values": ["Weekly"]}},
            ["body", "segment_filter", "segment_values", 0],
        ),
        (
            {"name": "x", "segment_filter": {"risk_segments": ["severe"]}},
            ["body", "segment_filter", "risk_segments", 0],
        ),
        ({"name": "x", "holdout_share": 0.9}, ["body", "holdout_share"]),
        ({"name": "x", "holdout_share": 0.0}, ["body", "holdout_share"]),
        ({"name": "x", "offer": "free-lunch"}, ["body", "offer"]),
        ({"name": "x", "channels": ["fax"]}, ["body", "channels", 0]),
        ({"name": ""}, ["body", "name"]),
        ({"name": "x", "audience": "everyone"}, ["body", "audience"]),
        ({}, ["body", "name"]),
    ],
)
def test_campaign_validation_names_the_field(served, payload, loc):
    response = served.client.post(
        "/campaigns", json=payload, headers=bearer(served.tokens["admin"])
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc
