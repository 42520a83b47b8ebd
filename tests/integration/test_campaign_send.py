"""Sending a campaign through a real SMTP server into the real PostgreSQL: a refused recipient
fails alone, a relay that refuses us sends nothing, and a sender killed between hand-over and
commit never sends twice (what it held becomes `unknown`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path

import pytest

from configs.errors import ConfigError
from configs.schema import load_config
from configs.settings import Settings
from data.contacts import generate_contacts
from tasks.adapters import campaign_store as store
from tasks.adapters import db
from tasks.core.audience import AudienceFilter
from tasks.services.campaigns import offer_of
from tests.integration.campaign_seed import (
    approve,
    create_campaign,
    find_due_campaigns,
    generate_messages,
    import_contacts,
    seed_scores,
    send_campaign,
)
from tests.integration.prefect_events import alert_events
from tests.integration.smtp_server import Recorder, smtp_server

REPO = Path(__file__).resolve().parents[2]
BATCH = 8


class Refusing(Recorder):
    """Refuses the listed recipients (550); may kill a process after taking `kill_after`."""

    def __init__(self, refused=(), kill_after: int | None = None):
        super().__init__()
        self.refused, self.kill_after, self.victim = set(refused), kill_after, None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 mailbox unavailable"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if self.victim is not None and len(self.received) == self.kill_after:
            os.kill(self.victim, signal.SIGKILL)  # before the sender reads our 250
        return reply


@pytest.fixture(scope="module")
def world(postgres_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("send")
    text = (REPO / "configs" / "telco.yaml").read_text().replace("name: telco", "name: mailtest", 1)
    (folder / "mailtest.yaml").write_text(text)
    config = load_config(folder / "mailtest.yaml")
    env = {
        "state_dir": folder,
        "database_url": postgres_url,
        "smtp_host": "127.0.0.1",
        "smtp_security": "none",
        "secret_key": "a-test-signing-key-of-32-chars!!",
        "public_url": "https://retain.example.test",
        "mail_from": "RetainAI <offers@example.test>",
        "send_batch_size": BATCH,
    }
    ids = [f"M{i:03d}" for i in range(60)]
    with db.connected(Settings(**env)) as engine:
        db.upgrade(engine)
        seed_scores(engine, ids, "mailtest", seed=3, low=0.7, high=0.9)
    contacts = generate_contacts(ids, seed=3).assign(consent_email=True)
    import_contacts(Settings(**env), config, contacts)
    yield env, config, folder, contacts.set_index("customer_id")["email"]
    with db.connected(Settings(**env)) as engine, engine.begin() as connection:
        mine = "(SELECT id FROM campaigns WHERE dataset = 'mailtest')"
        for table in ("campaign_events", "campaign_messages", "campaign_members"):
            connection.exec_driver_sql(f"DELETE FROM {table} WHERE campaign_id IN {mine}")
        for table in ("campaigns", "contacts", "suppressions", "customer_scores"):
            connection.exec_driver_sql(f"DELETE FROM {table} WHERE dataset = 'mailtest'")


def _approved_campaign(settings: Settings, config, name: str, size: int) -> int:
    offer = offer_of(config, "loyalty-discount", ["email"])
    wanted = AudienceFilter(risk_segments=("high",), limit=size)
    campaign = create_campaign(settings, config, name, offer, ["email"], wanted, 0.1, "t")
    generate_messages(settings, config, campaign["id"])
    approve(settings, config, campaign["id"], "analyst")
    return campaign["id"]


def _statuses(settings: Settings, campaign_id: int) -> dict[str, int]:
    with db.connected(settings) as engine:
        return store.messages(engine, campaign_id)["status"].value_counts().to_dict()


def test_a_refused_recipient_fails_alone_with_its_reason(world):
    env, config, _, emails = world
    recorder = Refusing()
    with smtp_server(recorder) as port:
        settings = Settings(**env, smtp_port=port)
        campaign = _approved_campaign(settings, config, "refusals", 20)
        with db.connected(settings) as engine:
            first = store.messages(engine, campaign).iloc[3]
        recorder.refused.add(emails[first["customer_id"]])
        assert campaign in find_due_campaigns(settings, config)
        counts = send_campaign(settings, config, campaign)
        assert campaign not in find_due_campaigns(settings, config)  # sent
    total = sum(_statuses(settings, campaign).values())
    assert counts["sent"] == total - 1 == len(recorder.received)
    assert counts["bounced"] == 1
    with db.connected(settings) as engine:
        failed = store.messages(engine, campaign, "failed")
        blocked = store.suppressed(engine, "mailtest")
    assert failed["customer_id"].tolist() == [first["customer_id"]]
    assert "550" in failed["error"].iloc[0] or "unavailable" in failed["error"].iloc[0]
    assert first["customer_id"] in set(blocked["customer_id"])  # never contacted again


def test_a_relay_that_refuses_us_sends_nothing_and_keeps_the_messages_approved(world):
    env, config, _, _ = world
    recorder = Refusing()
    recorder.mail_reply = "550 5.7.1 sender not allowed"
    with smtp_server(recorder) as port:
        settings = Settings(**env, smtp_port=port)
        campaign = _approved_campaign(settings, config, "refused-sender", 12)
        with pytest.raises(ConfigError):
            send_campaign(settings, config, campaign)
    assert set(_statuses(settings, campaign)) == {"approved"}  # none stuck in `sending`
    assert campaign in find_due_campaigns(settings, config)  # the next scheduled send


def test_a_sender_killed_mid_batch_never_sends_twice(world):
    env, config, folder, _ = world
    recorder = Refusing(kill_after=3)
    with smtp_server(recorder) as port:
        settings = Settings(**env, smtp_port=port)
        campaign = _approved_campaign(settings, config, "crash", 30)
        total = sum(_statuses(settings, campaign).values())
        child_env = {
            **os.environ,
            **{f"RETAINAI_{k.upper()}": str(v) for k, v in env.items()},
            "RETAINAI_SMTP_PORT": str(port),
        }
        command = [
            sys.executable,
            "-m",
            "flows",
            "campaign",
            "send",
            str(campaign),
            "--config",
            str(folder / "mailtest.yaml"),
        ]
        child = subprocess.Popen(command, env=child_env, cwd=REPO)
        recorder.victim = child.pid
        assert child.wait(timeout=120) == -signal.SIGKILL
        assert _statuses(settings, campaign) == {"sending": BATCH, "approved": total - BATCH}

        counts = send_campaign(settings, config, campaign)  # the next run finds the batch
        assert counts["unknown"] == BATCH and counts["sent"] == total - BATCH
        assert len(recorder.received) == 3 + total - BATCH
        addresses = [message_from_bytes(r.content)["To"] for r in recorder.received]
        assert len(set(addresses)) == len(addresses)  # nobody got a message twice

        again = send_campaign(settings, config, campaign)  # without a person's decision
        assert again.get("sent", 0) == 0 and len(recorder.received) == 3 + total - BATCH
        retried = send_campaign(settings, config, campaign, retry_unknown=True)
        assert retried["sent"] == BATCH
    assert _statuses(settings, campaign) == {"sent": total}


def test_a_send_with_failures_alerts_the_people_on_call(world, monkeypatch):
    """The send flow's outcome with a bounce becomes an alert event with its counts."""
    from flows.campaign import send_retention_campaign

    env, config, folder, emails = world
    recorder = Refusing()
    with smtp_server(recorder) as port:
        settings = Settings(**env, smtp_port=port)
        campaign = _approved_campaign(settings, config, "alerted", 10)
        with db.connected(settings) as engine:
            first = store.messages(engine, campaign).iloc[0]
        recorder.refused.add(emails[first["customer_id"]])
        for name, value in {**env, "smtp_port": port}.items():
            monkeypatch.setenv(f"RETAINAI_{name.upper()}", str(value))
        began = datetime.now(UTC)
        sent = send_retention_campaign(str(folder / "mailtest.yaml"), campaign)["sent"]
    alert = alert_events("campaign-failures", began)[0]["payload"]
    assert (alert["campaign_id"], alert["bounced"], alert["sent"]) == (campaign, 1, sent["sent"])
    assert alert["subject"] == f"RetainAI: campaign {campaign} sent with 1 failures"
