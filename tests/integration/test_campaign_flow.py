"""A campaign from current scores to delivered email: audience and holdout first, messages by
template without a key, approval, an outbox that never sends twice."""

from __future__ import annotations

from email import message_from_bytes
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from configs.schema import load_config
from configs.settings import Settings
from data.contacts import generate_contacts
from tasks.adapters import campaign_store as store
from tasks.adapters import db
from tasks.adapters.campaign_candidates import candidates
from tasks.core.audience import HOLDOUT, AudienceFilter
from tasks.core.errors import ConflictError, InvalidInputError
from tasks.services.campaigns import CampaignDraft, offer_of, preview_audience
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


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    folder = tmp_path_factory.mktemp("campaign")
    settings = Settings(
        state_dir=folder,
        secret_key="a-test-signing-key-of-32-chars!!",
        public_url="https://retain.example.test",
        mail_from="RetainAI <offers@example.test>",
    )
    config = load_config(REPO / "configs" / "telco.yaml")
    ids = [f"C{i:04d}" for i in range(300)]
    with db.connected(settings) as engine:
        db.upgrade(engine)
        seed_scores(engine, ids)
    contacts = generate_contacts(ids, seed=1).astype({"consent_email": str})
    contacts.loc[0, "email"] = ""  # one customer has no address
    import_contacts(settings, config, contacts)
    return settings, config


def test_a_campaign_runs_end_to_end_and_never_sends_twice(state, tmp_path):
    settings, config = state
    offer = offer_of(config, "loyalty-discount", ["email"])
    wanted = AudienceFilter(risk_segments=("high", "medium"))
    campaign = create_campaign(
        settings, config, "winback", offer, ["email"], wanted, 0.1, "analyst"
    )
    with db.connected(settings) as engine:
        members = store.audience(engine, campaign["id"])
    assert (members["expected_profit"] > 0).all()  # the profit-maximising size
    held = members[members["arm"] == HOLDOUT]
    for segment, rows in members.groupby("risk_segment"):
        assert (held["risk_segment"] == segment).sum() == int(np.floor(0.1 * len(rows) + 0.5))

    totals = generate_messages(settings, config, campaign["id"])
    again = generate_messages(settings, config, campaign["id"])  # a rerun writes nothing new
    with db.connected(settings) as engine:
        messages = store.messages(engine, campaign["id"])
    assert totals["messages"] == again["messages"] == len(messages)
    assert not set(messages["customer_id"]) & set(held["customer_id"])  # no holdout message
    assert messages["path"].str.startswith("template").all()  # no key: templates wrote them
    assert messages.set_index(["customer_id", "channel"]).index.is_unique

    with pytest.raises(ConflictError, match="not approved"):
        send_campaign(settings, config, campaign["id"], outbox=tmp_path / "outbox")
    approved = approve(settings, config, campaign["id"], "analyst")
    assert approved == len(messages)
    counts = send_campaign(settings, config, campaign["id"], outbox=tmp_path / "outbox")
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert counts["sent"] == len(files) == len(messages)
    mail = message_from_bytes(files[0].read_bytes())
    assert mail["List-Unsubscribe"].startswith("<https://retain.example.test/unsubscribe/")
    resent = send_campaign(settings, config, campaign["id"], outbox=tmp_path / "outbox")
    assert resent.get("sent", 0) == 0 and len(list((tmp_path / "outbox").glob("*.eml"))) == len(
        files
    )


def test_a_message_caught_sending_by_a_crash_becomes_unknown(state, tmp_path):
    settings, config = state
    offer = offer_of(config, "loyalty-discount", ["email"])
    campaign = create_campaign(
        settings,
        config,
        "crash",
        offer,
        ["email"],
        AudienceFilter(risk_segments=("high",), limit=20),
        0.1,
        "a",
    )
    generate_messages(settings, config, campaign["id"])
    approve(settings, config, campaign["id"], "analyst")
    with db.connected(settings) as engine:
        first = store.messages(engine, campaign["id"]).iloc[0]
        key = [(first["customer_id"], "email")]
        store.move_messages(engine, campaign["id"], key, "approved", "sending")  # then it died
    counts = send_campaign(settings, config, campaign["id"], outbox=tmp_path / "out")
    assert counts["unknown"] == 1
    with db.connected(settings) as engine:
        assert store.messages(engine, campaign["id"], "unknown")["customer_id"].tolist() == [
            first["customer_id"]
        ]
    retried = send_campaign(
        settings, config, campaign["id"], retry_unknown=True, outbox=tmp_path / "out"
    )
    assert retried["sent"] == 1


@pytest.mark.parametrize(
    ("offer", "channels", "error", "message"),
    [
        ("free-phone", ["email"], InvalidInputError, "unknown offer"),
        ("contract-upgrade", ["sms"], ConflictError, "may use"),
    ],
)
def test_bad_campaign_input_is_refused_before_anything_is_stored(
    state, offer, channels, error, message
):
    _, config = state
    with pytest.raises(error, match=message):
        offer_of(config, offer, channels)


def test_an_audience_of_no_one_and_a_bad_holdout_share(state):
    settings, config = state
    offer = offer_of(config, "loyalty-discount", ["email"])
    with pytest.raises(ConflictError, match="matches no one"):
        create_campaign(
            settings,
            config,
            "none",
            offer,
            ["email"],
            AudienceFilter(min_probability=0.99, max_probability=0.991),
            0.1,
            "a",
        )
    with db.connected(settings) as engine:
        before = len(store.list_campaigns(engine, "telco"))
    with pytest.raises(InvalidInputError, match="outside"):
        create_campaign(settings, config, "share", offer, ["email"], AudienceFilter(), 0.7, "a")
    with db.connected(settings) as engine:
        assert len(store.list_campaigns(engine, "telco")) == before


def test_contacts_with_bad_consents_are_refused(state):
    settings, config = state
    bad = pd.DataFrame({"customer_id": ["X"], "consent_email": ["perhaps"], "consent_sms": ["no"]})
    with pytest.raises(InvalidInputError, match="consent_email must be yes/no"):
        import_contacts(settings, config, bad)


def test_events_and_the_report_against_a_hand_computation(state):
    from tasks.core.lift import lift_interval
    from tests.integration.campaign_seed import record_events, report_campaign

    settings, config = state
    offer = offer_of(config, "loyalty-discount", ["email"])
    campaign = create_campaign(
        settings,
        config,
        "measured",
        offer,
        ["email"],
        AudienceFilter(risk_segments=("high", "medium", "low"), limit=200),
        0.25,
        "a",
    )
    with db.connected(settings) as engine:
        members = store.audience(engine, campaign["id"])
    rng = np.random.default_rng(3)
    treated = members["arm"] != HOLDOUT
    stays = rng.random(len(members)) < np.where(treated, 0.8, 0.6)
    events = pd.DataFrame(
        {"customer_id": members["customer_id"], "event": np.where(stays, "retained", "churned")}
    )
    accepted = members.loc[treated, "customer_id"].head(10)
    events = pd.concat([events, pd.DataFrame({"customer_id": accepted, "event": "accepted"})])
    assert record_events(settings, config, campaign["id"], events) == len(events)
    assert record_events(settings, config, campaign["id"], events) == 0  # idempotent per event key
    with pytest.raises(ConflictError, match="not in campaign"):
        record_events(
            settings,
            config,
            campaign["id"],
            pd.DataFrame({"customer_id": ["nobody"], "event": ["retained"]}),
        )
    with pytest.raises(InvalidInputError, match="unknown events"):
        record_events(
            settings,
            config,
            campaign["id"],
            pd.DataFrame({"customer_id": [members["customer_id"][0]], "event": ["teleported"]}),
        )
    report = report_campaign(settings, config, campaign["id"])
    expected = lift_interval(
        int(stays[treated].sum()),
        int(treated.sum()),
        int(stays[~treated].sum()),
        int((~treated).sum()),
    )
    assert report["lift"]["lift"] == pytest.approx(expected.lift)
    assert (report["lift"]["low"], report["lift"]["high"]) == pytest.approx(
        (expected.low, expected.high)
    )
    assert report["lift"]["method"] == "newcombe_hybrid_score"
    assert report["accepted"] == 10
    revenue = report["revenue"]
    assert revenue["low"] <= revenue["net_revenue"] <= revenue["high"]
    saved = report["revenue_saved"]  # the same resamples, before the costs
    assert saved["value"] == pytest.approx(revenue["incremental_revenue"])
    assert saved["low"] <= saved["value"] <= saved["high"]
    # every resample's net is its revenue saved less the costs (offer costs are >= 0)
    assert revenue["low"] <= saved["low"] - revenue["contact_costs"] + 1e-6
    assert revenue["high"] <= saved["high"] - revenue["contact_costs"] + 1e-6
    assert report["currency"] == "USD"


def test_uplift_model_is_trained_logged_and_registered(state):
    import mlflow

    from data.generate import generate_customers
    from tasks.adapters import registry
    from tasks.services.campaigns.demo import simulate_outcomes
    from tasks.services.campaigns.uplift import train_uplift

    settings, config = state
    customers = generate_customers(300, seed=8)
    with pytest.raises(ConflictError, match="no champion uplift model"):
        preview_audience(Context(settings), config, CampaignDraft(customers=customers))
    customers["customerID"] = [f"C{i:04d}" for i in range(300)]
    # every customer in the campaigns below: reachable by e-mail, and (earlier tests having
    # sent to some) no contact-frequency rule
    reachable = generate_contacts(customers["customerID"], seed=1, email_consent=1.0)
    import_contacts(settings, config, reachable.astype({"consent_email": str}))
    update = {"min_days_between_contacts": 0}
    config = config.model_copy(update={"campaigns": config.campaigns.model_copy(update=update)})
    offer = offer_of(config, "loyalty-discount", ["email"])
    everyone = AudienceFilter(risk_segments=("high", "medium", "low"), limit=300)
    campaign = create_campaign(settings, config, "uplift", offer, ["email"], everyone, 0.5, "a")
    waiting = create_campaign(settings, config, "open", offer, ["email"], everyone, 0.5, "a")
    with pytest.raises(ConflictError, match=f"campaign {waiting['id']} has no retained/churned"):
        train_uplift(settings, config, [waiting["id"]], customers, "generated")
    simulate_outcomes(Context(settings), config, campaign["id"], customers)
    with pytest.raises(InvalidInputError, match="100 campaign customers are not in the data"):
        train_uplift(settings, config, [campaign["id"]], customers.head(200), "generated")

    found = train_uplift(settings, config, [campaign["id"]], customers, "generated")
    assert found["customers"] == 300 and found["model"] == "retainai-churn-uplift"
    metrics = found["metrics"]
    assert metrics["heldout_customers"] == 90  # the 30% held out, never fitted on
    assert {
        "heldout_qini_coefficient",
        "heldout_auuc",
        "heldout_uplift_at_10pct",
        "heldout_uplift_at_20pct",
        "heldout_uplift_at_30pct",
    } <= set(metrics)
    run = mlflow.MlflowClient().get_run(found["run_id"])
    assert run.data.metrics["heldout_qini_coefficient"] == pytest.approx(
        metrics["heldout_qini_coefficient"]
    )
    assert run.data.tags["kind"] == "uplift"
    names = {a.path for a in mlflow.MlflowClient().list_artifacts(found["run_id"], "uplift")}
    assert names == {"uplift/qini_curve.png", "uplift/qini_curve.json"}
    champion = registry.version_by_alias(found["model"], registry.CHAMPION)
    assert (champion is not None) == found["champion"] == (metrics["heldout_qini_coefficient"] > 0)
    model = mlflow.sklearn.load_model(f"models:/{found['model']}/{found['version']}")
    from tasks.core.contract import validate_frame

    typed = validate_frame(customers, config, "scoring").clean
    assert model.predict(typed.assign(churn_probability=0.5, risk_segment="high")).shape == (300,)

    if not found["champion"]:  # the gate is tested above; ranking needs a champion
        registry.set_alias(found["model"], registry.CHAMPION, found["version"])
    ranked = create_campaign(
        settings,
        config,
        "by uplift",
        offer,
        ["email"],
        AudienceFilter(risk_segments=("high", "medium")),
        0.1,
        "a",
        customers=customers,
    )
    assert ranked["segment_filter"]["ranking"] == "uplift"
    assert ranked["segment_filter"]["uplift_model_version"] == str(found["version"])
    with db.connected(settings) as engine:
        members = store.audience(engine, ranked["id"]).set_index("customer_id")
        scores = candidates(engine, "telco").set_index("customer_id")
    rows = typed.set_index("customerID").loc[members.index]
    uplift = model.predict(
        rows.assign(**scores.loc[members.index, ["churn_probability", "risk_segment"]])
    )
    expected = (
        uplift * members["lifetime_value"]
        - offer.cost_per_contact
        - (offer.acceptance_rate * offer.cost_per_acceptance)
    )
    assert np.allclose(members["expected_profit"], expected)
    assert (members["expected_profit"] > 0).all()  # sleeping dogs and lost causes left out
    by_rank = members.sort_values("rank")["expected_profit"].to_numpy()
    assert (np.diff(by_rank) <= 1e-12).all()  # best expected uplift x value first
