"""The audience rules every door shares (tasks/services/campaigns/drafting.py): the channel's
consent, the ranking chosen, and no second contact within campaigns.min_days_between_contacts
across campaigns."""

from __future__ import annotations

from pathlib import Path

import pytest

from configs.schema import load_config
from configs.settings import Settings
from data.contacts import generate_contacts
from tasks.adapters import campaign_store as store
from tasks.adapters import db
from tasks.core.audience import TREATED, AudienceFilter
from tasks.services.campaigns import (
    CampaignDraft,
    InvalidDraftError,
    offer_of,
    preview_audience,
    rank_choices,
)
from tasks.services.context import Context
from tests.integration.campaign_seed import (
    approve,
    create_campaign,
    generate_messages,
    import_contacts,
    seed_scores,
    send_campaign,
)

REPO = Path(__file__).resolve().parents[2]
EVERYONE = AudienceFilter(risk_segments=("high", "medium", "low"), limit=100_000)


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    settings = Settings(
        state_dir=tmp_path_factory.mktemp("audience-rules"),
        secret_key="a-test-signing-key-of-32-chars!!",
        public_url="https://retain.example.test",
        mail_from="RetainAI <offers@example.test>",
    )
    config = load_config(REPO / "configs" / "telco.yaml")
    ids = [f"A{i:04d}" for i in range(200)]
    with db.connected(settings) as engine:
        db.upgrade(engine)
        seed_scores(engine, ids, seed=4)
    people = generate_contacts(ids, seed=2, email_consent=0.7, sms_consent=0.5)
    import_contacts(settings, config, people)
    return settings, config, people.set_index("customer_id")


def _preview(settings, config, channels, **changes):
    draft = CampaignDraft(
        offer="loyalty-discount", channels=tuple(channels), audience=EVERYONE, **changes
    )
    return preview_audience(Context(settings), config, draft)


def test_the_channel_changes_the_audience_by_consent(state):
    settings, config, people = state
    email = _preview(settings, config, ["email"])
    sms = _preview(settings, config, ["sms"])
    both = _preview(settings, config, ["email", "sms"])
    in_email, in_sms = set(email.ranked["customer_id"]), set(sms.ranked["customer_id"])
    assert in_email != in_sms
    assert people.loc[sorted(in_sms), "consent_sms"].all()  # no SMS without SMS consent
    assert people.loc[sorted(in_email), "consent_email"].all()
    assert in_email | in_sms == set(both.ranked["customer_id"])
    without_sms = int((~people["consent_sms"]).sum())
    assert sms.figures()["removed_unreachable"] == without_sms
    assert sms.figures()["consent_checked"] is True


def test_the_ranking_is_chosen_and_uplift_is_offered_only_with_a_champion(state):
    settings, config, _ = state
    assert rank_choices(Context(settings), config) == ["risk", "profit"]  # no uplift model
    by_risk = _preview(settings, config, ["email"], rank="risk").ranked
    by_profit = _preview(settings, config, ["email"], rank="profit").ranked
    risk = by_risk["churn_probability"].tolist()
    profit = by_profit["expected_profit"].tolist()
    assert risk == sorted(risk, reverse=True) and profit == sorted(profit, reverse=True)
    assert by_risk["customer_id"].tolist() != by_profit["customer_id"].tolist()
    assert _preview(settings, config, ["email"], rank="risk").figures()["rank"] == "risk"
    with pytest.raises(InvalidDraftError, match="Rank by: 'luck'"):
        _preview(settings, config, ["email"], rank="luck")


def test_no_customer_is_contacted_again_within_the_minimum_days(state, tmp_path):
    settings, config, _ = state
    assert config.campaigns.min_days_between_contacts == 14
    offer = offer_of(config, "loyalty-discount", ["email"])
    wanted = AudienceFilter(risk_segments=("high",), limit=15)
    first = create_campaign(settings, config, "first", offer, ["email"], wanted, 0.2, "a")
    before = _preview(settings, config, ["email"]).figures()
    assert before["removed_recently_contacted"] == 0  # drafted, not contacted yet
    generate_messages(settings, config, first["id"])
    approve(settings, config, first["id"], "analyst")
    send_campaign(settings, config, first["id"], outbox=tmp_path / "outbox")
    with db.connected(settings) as engine:
        members = store.audience(engine, first["id"])
        sent = set(store.messages(engine, first["id"], "sent")["customer_id"])
    assert sent and sent <= set(members.loc[members["arm"] == TREATED, "customer_id"])

    after = _preview(settings, config, ["email"])
    assert after.figures()["removed_recently_contacted"] == len(sent)
    assert not sent & set(after.ranked["customer_id"])
    assert after.figures()["audience"] == before["audience"] - len(sent)
    second = create_campaign(settings, config, "second", offer, ["email"], wanted, 0.2, "a")
    with db.connected(settings) as engine:
        again = set(store.audience(engine, second["id"])["customer_id"])
    assert not sent & again  # the campaign stored agrees with its preview
    held = set(members.loc[members["arm"] != TREATED, "customer_id"])
    assert held - sent  # held-out customers were not contacted: they stay eligible

    ruleless = config.model_copy(
        update={"campaigns": config.campaigns.model_copy(update={"min_days_between_contacts": 0})}
    )
    assert _preview(settings, ruleless, ["email"]).figures()["removed_recently_contacted"] == 0
