"""The original product's JSON API under /dashboard/: revenue at risk beside lifetime value,
clients with their contact's name and e-mail and their reasons in business words, unknown
query parameters refused; the customers' pages show the same reasons."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from serving_helpers import add_users, bearer, page_login

from tasks.adapters.campaign_tables import contacts as contact_table
from tasks.adapters.tables import kpi_snapshots
from tasks.services import contacts


def _get(served, path: str, **params):
    return served.client.get(path, params=params, headers=bearer(served.tokens["viewer"]))


@pytest.fixture
def two_contacts(served):
    """Contacts for the two customers most at risk, put back as they were afterwards (the
    database is shared with the other serving tests)."""
    top = _get(served, "/dashboard/clients", limit=2).json()["clients"]
    ids = [c["customer_id"] for c in top]
    raw = pd.DataFrame(
        {
            "customer_id": ids,
            "first_name": ["Ada", "Grace"],
            "email": ["ada@example.test", None],
            "phone": ["+15550100", "+15550101"],
            "consent_email": [True, False],
            "consent_sms": [False, True],
        }
    )
    mine = (contact_table.c.dataset == "telco") & contact_table.c.customer_id.in_(ids)
    with served.state.engine.connect() as connection:
        earlier = [dict(r._mapping) for r in connection.execute(contact_table.select().where(mine))]
    contacts.import_contacts(served.state.context, served.config, raw)
    yield ids
    with served.state.engine.begin() as connection:  # as the other tests left them
        connection.execute(contact_table.delete().where(mine))
        if earlier:
            connection.execute(contact_table.insert(), earlier)


def _stored_contact(served, customer_id: str) -> tuple:
    query = sa.select(contact_table.c.first_name, contact_table.c.email).where(
        contact_table.c.dataset == "telco", contact_table.c.customer_id == customer_id
    )
    with served.state.engine.connect() as connection:
        return tuple(connection.execute(query).first() or (None, None))


def test_clients_carry_name_email_and_reasons_in_business_words(served, two_contacts):
    answer = _get(served, "/dashboard/clients", limit=5)
    assert answer.status_code == 200, answer.text
    clients = answer.json()["clients"]
    first, second = clients[0], clients[1]
    assert (first["name"], first["email"]) == ("Ada", "ada@example.test")
    assert (second["name"], second["email"]) == ("Grace", None)
    third = clients[2]  # whatever the contacts hold (None without a contact)
    assert (third["name"], third["email"]) == _stored_contact(served, third["customer_id"])
    reason = first["reasons"][0]
    assert reason["text"] == "Tenure: 3 months" and reason["direction"] == "raises risk"
    assert reason["label"] == "Tenure" and reason["contribution"] == pytest.approx(0.4)
    assert "top_reasons" not in first and "churn_probability" not in first


@pytest.mark.parametrize("params", [{"bogus": "1"}, {"limit": 5, "segmnt": "high"}])
def test_clients_refuse_unknown_query_parameters_by_name(served, params):
    answer = _get(served, "/dashboard/clients", **params)
    assert answer.status_code == 422
    wrong = next(name for name in params if name not in ("limit",))
    assert answer.json()["detail"][0]["loc"] == ["query", wrong]


def test_kpis_have_revenue_at_risk_beside_lifetime_value(served):
    figures = {
        "customers_scored": len(served.customer_ids),
        "average_score": 0.4,
        "segments": {"high": {"count": 3, "share": 0.1}},
        "revenue_at_risk_monthly": 1234.5,
        "average_lifetime_value": 987.0,
    }
    with served.state.engine.begin() as connection:
        before = connection.execute(
            sa.select(kpi_snapshots.c.kpis).where(kpi_snapshots.c.run_id == "run-2026-11-01")
        ).scalar_one()
        connection.execute(
            kpi_snapshots.update()
            .where(kpi_snapshots.c.run_id == "run-2026-11-01")
            .values(kpis={**before, **figures})
        )
    try:
        answer = _get(served, "/dashboard/kpis").json()
        assert answer["revenue_at_risk"] == 1234.5 and answer["lifetime_value"] == 987.0
        assert answer["at_risk_count"] == 3
    finally:
        with served.state.engine.begin() as connection:
            connection.execute(
                kpi_snapshots.update()
                .where(kpi_snapshots.c.run_id == "run-2026-11-01")
                .values(kpis=before)
            )
    assert _get(served, "/dashboard/kpis").json()["revenue_at_risk"] is None  # no value figure


def test_the_customer_pages_show_the_reasons_in_business_words(served):
    add_users(served.state.engine, {"reasons-viewer@example.test": "viewer"})
    customer_id = served.customer_ids[3]
    page_login(served.client, "reasons-viewer@example.test", "/dashboard/customers")
    listing = served.client.get("/dashboard/customers").text
    assert "Tenure: 3 months (raises risk)" in listing and "tenure = " not in listing
    page = served.client.get(f"/dashboard/customers/{customer_id}").text
    assert 'id="reasons"' in page and "Tenure: 3 months" in page and "raises risk" in page
