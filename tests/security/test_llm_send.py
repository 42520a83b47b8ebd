"""Sending a campaign whose stored messages include some that cannot become an email (a subject
with a line break, as an unchecked answer once wrote, a body with no text): each fails alone
with its reason, nothing is injected, and the others go out through the real SMTP server."""

from __future__ import annotations

from email import message_from_bytes
from pathlib import Path

import sqlalchemy as sa

from configs.schema import load_config
from configs.settings import Settings
from data.contacts import generate_contacts
from tasks.adapters import campaign_store as store
from tasks.adapters import db
from tasks.adapters.campaign_tables import campaign_messages
from tasks.core.audience import AudienceFilter
from tasks.services.campaigns import offer_of
from tests.integration.campaign_seed import (
    approve,
    create_campaign,
    generate_messages,
    import_contacts,
    seed_scores,
    send_campaign,
)
from tests.integration.smtp_server import Recorder, smtp_server

REPO = Path(__file__).resolve().parents[2]
INJECTED = "Offer\r\nBcc: x@evil.example"


def test_a_message_that_cannot_be_built_fails_alone(postgres_url, tmp_path):
    text = (REPO / "configs" / "telco.yaml").read_text().replace("name: telco", "name: sendsafe", 1)
    (tmp_path / "sendsafe.yaml").write_text(text)
    config = load_config(tmp_path / "sendsafe.yaml")
    env = {
        "state_dir": tmp_path,
        "database_url": postgres_url,
        "smtp_host": "127.0.0.1",
        "smtp_security": "none",
        "secret_key": "a-test-signing-key-of-32-chars!!",
        "public_url": "https://retain.example.test",
        "mail_from": "RetainAI <offers@example.test>",
        "send_batch_size": 4,
    }
    ids = [f"S{i:03d}" for i in range(20)]
    with db.connected(Settings(**env)) as engine:
        db.upgrade(engine)
        seed_scores(engine, ids, "sendsafe", seed=4, low=0.7, high=0.9)
    import_contacts(
        Settings(**env), config, generate_contacts(ids, seed=4).assign(consent_email=True)
    )
    offer = offer_of(config, "loyalty-discount", ["email"])
    wanted = AudienceFilter(risk_segments=("high",), limit=12)
    recorder = Recorder()
    with smtp_server(recorder) as port:
        settings = Settings(**env, smtp_port=port)
        campaign = create_campaign(
            settings, config, "unsendable", offer, ["email"], wanted, 0.1, "t"
        )["id"]
        generate_messages(settings, config, campaign)
        with db.connected(settings) as engine:
            first, second = store.messages(engine, campaign)["customer_id"].iloc[[1, 5]]
            with engine.begin() as connection:
                for customer, change in ((first, {"subject": INJECTED}), (second, {"body": " "})):
                    connection.execute(
                        sa.update(campaign_messages)
                        .where(
                            campaign_messages.c.campaign_id == campaign,
                            campaign_messages.c.customer_id == customer,
                        )
                        .values(**change, call_to_action="")
                    )
        approve(settings, config, campaign, "analyst")
        counts = send_campaign(settings, config, campaign)
    with db.connected(settings) as engine:
        messages = store.messages(engine, campaign).set_index("customer_id")
        status = store.get_campaign(engine, campaign)["status"]
    total = len(messages)
    assert counts["sent"] == total - 2 == len(recorder.received) and counts["failed"] == 2
    assert status == "sent"
    assert messages["status"].drop([first, second]).eq("sent").all()
    assert messages.loc[[first, second], "status"].eq("failed").all()
    assert "carriage return" in messages.loc[first, "error"]
    assert "no text" in messages.loc[second, "error"]
    for received in recorder.received:
        assert "x@evil.example" not in received.rcpt_tos
        assert message_from_bytes(received.content)["Bcc"] is None
