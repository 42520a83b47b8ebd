"""Scored customers written straight into `customer_scores`, for campaign tests."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import numpy as np
import sqlalchemy as sa

from tasks.adapters.tables import customer_scores, kpi_snapshots

REASONS = [{"feature": "Contract", "value": "Month-to-month", "contribution": 0.8}]
# columns whose reasons read differently in a prompt: three of them per customer make each
# customer's facts (so each prompt) their own, where a test needs one model call per message
_DISTINCT = [
    "tenure",
    "MonthlyCharges",
    "TotalCharges",
    "OnlineSecurity",
    "TechSupport",
    "PaperlessBilling",
    "SeniorCitizen",
    "Dependents",
]


def distinct_reasons(n: int) -> list[list[dict]]:
    """`n` lists of reasons, no two naming the same columns (at most 56)."""
    trios = list(itertools.combinations(_DISTINCT, 3))[:n]
    return [
        [{"feature": f, "value": None, "contribution": 0.5 - 0.1 * k} for k, f in enumerate(trio)]
        for trio in trios
    ]


def seed_scores(
    engine,
    ids: list[str],
    dataset: str = "telco",
    seed: int = 0,
    low: float = 0.0,
    high: float = 1.0,
    distinct: bool = False,
) -> None:
    """One current score per customer: probabilities uniform in [low, high), segments by the
    default cut-offs, lifetime values between 200 and 2,000; the period's KPI snapshot marks
    it as scored (as a committed scoring run does). `distinct`: each customer's reasons (so
    each prompt) differ."""
    rng = np.random.default_rng(seed)
    probability = rng.uniform(low, high, len(ids))
    value = rng.uniform(200, 2000, len(ids))
    now = datetime.now(UTC)
    records = [
        {
            "dataset": dataset,
            "customer_id": customer,
            "as_of": date(2026, 11, 1),
            "model_version": "1",
            "churn_probability": float(p),
            "risk_segment": "high" if p >= 0.6 else "medium" if p >= 0.3 else "low",
            "top_reasons": reasons,
            "monthly_value": 70.0,
            "segment_value": "Month-to-month",
            "expected_remaining_months": 12.0,
            "lifetime_value": float(v),
            "scored_at": now,
            "run_id": "r",
        }
        for customer, p, v, reasons in zip(
            ids,
            probability,
            value,
            distinct_reasons(len(ids)) if distinct else [REASONS] * len(ids),
            strict=True,
        )
    ]
    snapshot = sa.select(kpi_snapshots.c.dataset).where(
        kpi_snapshots.c.dataset == dataset, kpi_snapshots.c.as_of == date(2026, 11, 1)
    )
    with engine.begin() as connection:
        connection.execute(customer_scores.insert(), records)
        if connection.execute(snapshot).first() is None:
            connection.execute(
                kpi_snapshots.insert().values(
                    dataset=dataset,
                    as_of=date(2026, 11, 1),
                    model_version="1",
                    kpis={},
                    run_id="r",
                    created_at=now,
                )
            )


# The campaign use cases called the way the tests read best: settings in, plain dicts out.
def _ctx(settings):
    from tasks.services.context import Context

    return Context(settings)


def import_contacts(settings, config, raw) -> int:
    from tasks.services import contacts

    return contacts.import_contacts(_ctx(settings), config, raw)


def create_campaign(
    settings, config, name, offer, channels, wanted, share, who, scheduled_at=None, customers=None
) -> dict:
    from tasks.services import campaigns

    draft = campaigns.CampaignDraft(
        name=name,
        created_by=who,
        offer=offer.name,
        channels=tuple(channels),
        audience=wanted,
        holdout_share=share,
        scheduled_at=scheduled_at,
        customers=customers,
    )
    return campaigns.create_campaign(_ctx(settings), config, draft).as_json()


def generate_messages(settings, config, campaign_id, progress=lambda stored: None) -> dict:
    from tasks.services import campaigns

    return campaigns.generate_messages(_ctx(settings), config, campaign_id, progress)


def approve(settings, config, campaign_id, who) -> int:
    from tasks.services import campaigns

    command = campaigns.ApproveCampaign(campaign_id, who)
    return campaigns.approve_campaign(_ctx(settings), config, command)


def send_campaign(settings, config, campaign_id, retry_unknown=False, outbox=None) -> dict:
    from tasks.services import campaigns

    command = campaigns.SendCampaign(campaign_id, retry_unknown, outbox)
    return campaigns.send_campaign(_ctx(settings), config, command)


def find_due_campaigns(settings, config) -> list[int]:
    from tasks.services import campaigns

    return campaigns.due_campaigns(_ctx(settings), config)


def record_events(settings, config, campaign_id, raw) -> int:
    from tasks.services import campaigns

    command = campaigns.RecordOutcomes(campaign_id, raw)
    return campaigns.record_outcomes(_ctx(settings), config, command)


def report_campaign(settings, config, campaign_id) -> dict:
    from tasks.services import campaigns

    return campaigns.write_report(_ctx(settings), config, campaign_id)


def messages_of(settings, config, campaign_id, status=None):
    from tasks.services import campaigns

    return campaigns.campaign_messages(_ctx(settings), config, campaign_id, status)
