"""The campaign page's steps as use cases, whatever the door: the report stored when the
outcomes change and read as stored by the list and the page, approval with its quote and
the four-eyes rule, messages edited (checked like a model's answer), written again, a
customer excluded, a draft cancelled, the SMS and audience exports, and schedules in the
past refused."""

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
from tasks.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
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


def test_a_schedule_in_the_past_is_refused_and_nothing_stored(state):
    ctx, config = state
    before = len(campaigns.list_campaigns(ctx, config))
    past = datetime.now(UTC) - timedelta(hours=2)
    with pytest.raises(campaigns.PastScheduleError, match=r"scheduled_at: .* is in the past"):
        _draft(ctx, config, "too late", scheduled_at=past)
    assert len(campaigns.list_campaigns(ctx, config)) == before
    later = _draft(ctx, config, "on time", scheduled_at=datetime.now(UTC) + timedelta(days=1))
    assert later.scheduled_at is not None
    naive = (datetime.now(UTC) - timedelta(days=3)).replace(tzinfo=None)  # read as UTC
    with pytest.raises(ConflictError, match="in the past"):  # a conflict with the clock: 409
        _draft(ctx, config, "naive", scheduled_at=naive)


def _written(ctx, config, name, **extra):
    made = _draft(ctx, config, name, **extra)
    campaigns.generate_messages(ctx, config, made.id)
    return made


def test_approval_names_the_count_and_the_cost_and_refuses_a_stale_count(state):
    ctx, config = state
    made = _written(ctx, config, "quoted")
    quote = campaigns.approval_quote(ctx, config, made.id)
    drafts = campaigns.campaign_messages(ctx, config, made.id, "draft")
    offer = config.campaigns.offers["loyalty-discount"]
    assert quote.messages == len(drafts) > 0 and quote.currency == "USD"
    assert quote.contact_cost == pytest.approx(len(drafts) * offer.cost_per_contact)
    expected = quote.customers * offer.acceptance_rate * offer.cost_per_acceptance
    assert quote.expected_offer_cost == pytest.approx(expected)
    assert quote.cost == pytest.approx(quote.contact_cost + quote.expected_offer_cost)
    stale = campaigns.ApproveCampaign(made.id, "checker@example.test", True, quote.messages + 1)
    with pytest.raises(ConflictError, match="confirm again"):
        campaigns.approve_campaign(ctx, config, stale)
    assert campaigns.get_campaign(ctx, config, made.id).status == "draft"
    right = campaigns.ApproveCampaign(made.id, "checker@example.test", True, quote.messages)
    assert campaigns.approve_campaign(ctx, config, right) == quote.messages


def test_the_four_eyes_rule_needs_another_person(state):
    from tasks.core.errors import SecondApproverError

    ctx, config = state
    strict = config.model_copy(
        update={"campaigns": config.campaigns.model_copy(update={"require_second_approver": True})}
    )
    made = _written(ctx, strict, "four eyes")
    same = campaigns.ApproveCampaign(made.id, "Maker@example.test")  # its creator
    machine = campaigns.ApproveCampaign(made.id, "nightly-token", person=False)
    for refused, reason in ((same, "another person must approve"), (machine, "not an API")):
        with pytest.raises(SecondApproverError, match=reason):
            campaigns.approve_campaign(ctx, strict, refused)
    assert issubclass(SecondApproverError, ForbiddenError)
    assert campaigns.get_campaign(ctx, strict, made.id).status == "draft"
    quote = campaigns.approval_quote(ctx, strict, made.id)
    assert quote.second_approver and quote.created_by == "maker@example.test"
    other = campaigns.ApproveCampaign(made.id, "checker@example.test")
    assert campaigns.approve_campaign(ctx, strict, other) == quote.messages
    view = campaigns.get_campaign(ctx, strict, made.id)
    assert view.status == "approved" and view.approved_by == "checker@example.test"


def _first_draft(ctx, config, campaign_id, channel="email"):
    drafts = campaigns.campaign_messages(ctx, config, campaign_id, "draft")
    row = drafts[drafts["channel"] == channel].iloc[0]
    return campaigns.MessageKey(campaign_id, row["customer_id"], channel)


def test_an_edited_message_is_checked_like_a_models_answer_and_kept_as_edited(state):
    ctx, config = state
    made = _written(ctx, config, "edited", channels=("email", "sms"))
    key = _first_draft(ctx, config, made.id)
    edit = campaigns.EditMessage(
        key, "Dear customer,\nstay with us.", "ana@example.test", "Still here", "Keep my plan"
    )
    stored = campaigns.edit_message(ctx, config, edit)
    assert (stored["subject"], stored["body"], stored["call_to_action"]) == (
        "Still here",
        "Dear customer,\nstay with us.",
        "Keep my plan",
    )
    assert stored["path"] == "edited" and stored["edited_by"] == "ana@example.test"
    assert stored["edited_at"] is not None and stored["status"] == "draft"
    wrong = {
        "subject": (edit.subject + "\nBcc: x@example.test", "subject contains a control"),
        "body": ("Hello [FIRST NAME]", "body contains a placeholder"),
        "call_to_action": ("", "call_to_action is missing or empty"),
    }
    for field, (value, reason) in wrong.items():
        bad = campaigns.EditMessage(**{**edit.__dict__, field: value})
        with pytest.raises(InvalidInputError, match=reason):
            campaigns.edit_message(ctx, config, bad)
    sms = _first_draft(ctx, config, made.id, "sms")
    with pytest.raises(InvalidInputError, match="more than"):
        campaigns.edit_message(ctx, config, campaigns.EditMessage(sms, "x" * 200, "ana"))
    assert campaigns.get_message(ctx, config, key)["body"] == "Dear customer,\nstay with us."
    # written again by the writer (templates without a key): no longer marked as edited
    fresh = campaigns.regenerate_message(ctx, config, campaigns.RegenerateMessage(key))
    assert fresh["path"].startswith("template") and fresh["edited_by"] is None
    assert fresh["subject"] != "Still here" and fresh["status"] == "draft"
    missing = campaigns.MessageKey(made.id, "NOBODY", "email")
    with pytest.raises(NotFoundError, match="no email message for NOBODY"):
        campaigns.get_message(ctx, config, missing)
    approve = campaigns.ApproveCampaign(made.id, "checker@example.test")
    campaigns.approve_campaign(ctx, config, approve)
    with pytest.raises(ConflictError, match="only a draft message can change"):
        campaigns.edit_message(ctx, config, edit)


def test_an_excluded_customer_is_never_sent_and_a_cancelled_draft_never_goes(state, tmp_path):
    ctx, config = state
    made = _written(ctx, config, "excluded")
    key = _first_draft(ctx, config, made.id)
    command = campaigns.ExcludeCustomer(made.id, key.customer_id, "ana@example.test")
    assert campaigns.exclude_customer(ctx, config, command) == 1
    assert campaigns.get_message(ctx, config, key)["status"] == "excluded"
    members = store.audience(ctx.engine, made.id)
    held = members.loc[members["arm"] == HOLDOUT, "customer_id"].iloc[0]
    with pytest.raises(NotFoundError, match="not a treated customer"):
        campaigns.exclude_customer(ctx, config, campaigns.ExcludeCustomer(made.id, held, "ana"))
    campaigns.approve_campaign(ctx, config, campaigns.ApproveCampaign(made.id, "checker"))
    sent = campaigns.send_campaign(ctx, config, campaigns.SendCampaign(made.id, outbox=tmp_path))
    assert campaigns.get_message(ctx, config, key)["status"] == "excluded"
    assert sent["sent"] == len(list(tmp_path.glob("*.eml"))) > 0
    assert not any(key.customer_id in p.read_text() for p in tmp_path.glob("*.eml"))
    with pytest.raises(ConflictError, match="no one can be excluded now"):
        campaigns.exclude_customer(ctx, config, command)
    with pytest.raises(ConflictError, match="too late to cancel"):
        campaigns.cancel_campaign(ctx, config, campaigns.CancelCampaign(made.id, "ana"))

    draft = _written(ctx, config, "cancelled")
    count = len(campaigns.campaign_messages(ctx, config, draft.id))
    cancel = campaigns.CancelCampaign(draft.id, "ana@example.test")
    assert campaigns.cancel_campaign(ctx, config, cancel) == count > 0
    assert campaigns.cancel_campaign(ctx, config, cancel) == 0  # again: nothing more
    view = campaigns.get_campaign(ctx, config, draft.id)
    assert view.status == "cancelled" and view.messages == {"cancelled": count}
    assert view.next_steps == () and draft.id not in campaigns.due_campaigns(ctx, config)
    with pytest.raises(ConflictError):
        campaigns.approve_campaign(ctx, config, campaigns.ApproveCampaign(draft.id, "checker"))


def test_the_sms_export_is_downloadable_once_sent(state):
    ctx, config = state
    made = _written(ctx, config, "sms export", channels=("sms",))
    with pytest.raises(NotFoundError, match="no SMS export yet"):
        campaigns.sms_export(ctx, config, made.id)
    campaigns.approve_campaign(ctx, config, campaigns.ApproveCampaign(made.id, "checker"))
    campaigns.send_campaign(ctx, config, campaigns.SendCampaign(made.id))
    sent = len(campaigns.campaign_messages(ctx, config, made.id, "sent"))
    found = campaigns.sms_export(ctx, config, made.id)
    lines = found.content.decode().splitlines()
    assert lines[0] == "phone,text,message_id" and found.rows == sent == len(lines) - 1 > 0
    assert found.filename == f"campaign-{made.id}-sms.csv"
    assert all("STOP" in line for line in lines[1:])


def test_the_audience_export_lists_both_arms_whose_outcomes_the_report_needs(state):
    ctx, config = state
    made = _draft(ctx, config, "audience export")
    found = campaigns.audience_export(ctx, config, made.id)
    lines = found.content.decode().split("\r\n")
    assert lines[0] == "customer_id,arm" and lines[-1] == ""
    arms = dict(line.split(",") for line in lines[1:-1])
    assert found.rows == len(arms) == made.audience and found.filename.endswith("audience.csv")
    assert sum(arm == HOLDOUT for arm in arms.values()) == made.holdout > 0
    events = pd.DataFrame({"customer_id": list(arms), "event": "retained"})
    assert campaigns.record_outcomes(ctx, config, campaigns.RecordOutcomes(made.id, events))
    with pytest.raises(NotFoundError):
        campaigns.audience_export(ctx, config, 999_999)
