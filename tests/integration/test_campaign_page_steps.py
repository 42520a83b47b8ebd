"""The campaign page's steps as use cases, whatever the door: the report stored when the
outcomes change and read as stored by the list and the page, approval with its quote and
the four-eyes rule, messages edited (checked like a model's answer), written again, a
customer excluded, a draft cancelled, the SMS export, and schedules in the past refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from configs.schema import load_config
from configs.settings import Settings
from data.contacts import generate_contacts
from tasks.adapters import campaign_store as store
from tasks.adapters import db
from tasks.adapters.campaign_tables import campaign_events, campaign_reports
from tasks.core.audience import HOLDOUT, AudienceFilter
from tasks.core.errors import ConflictError, ForbiddenError, InvalidInputError
from tasks.services import campaigns
from tasks.services.context import Context
from tests.integration.campaign_seed import import_contacts, seed_scores

REPO = Path(__file__).resolve().parents[2]
WANTED = AudienceFilter(risk_segments=("high", "medium", "low"), limit=60)


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    folder = tmp_path_factory.mktemp("campaign-steps")
    settings = Settings(
        state_dir=folder,
        secret_key="a-test-signing-key-of-32-chars!!",
        public_url="https://retain.example.test",
        mail_from="RetainAI <offers@example.test>",
    )
    config = load_config(REPO / "configs" / "telco.yaml")
    ids = [f"S{i:04d}" for i in range(200)]
    with db.connected(settings) as engine:
        db.upgrade(engine)
        seed_scores(engine, ids, seed=5)
    import_contacts(settings, config, generate_contacts(ids, seed=2).astype({"consent_email": str}))
    return Context(settings), config


def _draft(ctx, config, name, channels=("email",), who="maker@example.test", **extra):
    draft = campaigns.CampaignDraft(
        name=name,
        created_by=who,
        offer="loyalty-discount",
        channels=tuple(channels),
        audience=WANTED,
        holdout_share=0.25,
        **extra,
    )
    return campaigns.create_campaign(ctx, config, draft)


def _outcomes(ctx, campaign_id: int) -> pd.DataFrame:
    members = store.audience(ctx.engine, campaign_id)
    treated = members["arm"] != HOLDOUT
    stays = np.random.default_rng(7).random(len(members)) < np.where(treated, 0.8, 0.5)
    events = pd.DataFrame(
        {"customer_id": members["customer_id"], "event": np.where(stays, "retained", "churned")}
    )
    accepted = pd.DataFrame({"customer_id": members.loc[treated, "customer_id"].head(5)})
    return pd.concat([events, accepted.assign(event="accepted")], ignore_index=True)


def test_the_report_is_stored_when_outcomes_change_and_read_as_stored(state):
    ctx, config = state
    made = _draft(ctx, config, "stored report")
    before = campaigns.read_report(ctx, config, made.id)
    assert before["lift"] is None and before["currency"] == "USD"
    command = campaigns.RecordOutcomes(made.id, _outcomes(ctx, made.id))
    assert campaigns.record_outcomes(ctx, config, command) > 0
    with ctx.engine.connect() as connection:
        stored = connection.execute(
            sa.select(campaign_reports).where(campaign_reports.c.campaign_id == made.id)
        ).one()
    assert stored.report["lift"] is not None and stored.events > 0
    assert stored.report["accepted"] == 5
    # a read takes the stored report: with the events gone, nothing changes until they do
    with ctx.engine.begin() as connection:
        connection.execute(campaign_events.delete().where(campaign_events.c.campaign_id == made.id))
    report = campaigns.read_report(ctx, config, made.id)
    assert report["lift"] == stored.report["lift"]
    assert report["revenue"]["low"] <= report["revenue"]["net_revenue"] <= report["revenue"]["high"]
    listed = next(c for c in campaigns.list_campaigns(ctx, config) if c.id == made.id)
    page = campaigns.get_campaign(ctx, config, made.id)
    assert listed == page and listed.lift == report["lift"] is not None
    assert listed.net_revenue == report["revenue"] and listed.accepted == 5
    again = campaigns.record_outcomes(ctx, config, command)  # the events come back: new
    assert again == len(command.events)
    assert campaigns.read_report(ctx, config, made.id)["lift"] == report["lift"]
