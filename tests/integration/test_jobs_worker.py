"""The jobs worker runs a campaign's background work from the durable table: it writes the
messages of a campaign as soon as it is created (through the local OpenAI-compatible
server), sends it through a real SMTP server when a person says "send now" or its time
comes, and stops after the batch in flight when a person stops it; the rest waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from configs.schema import load_config
from configs.settings import Settings
from data.contacts import generate_contacts
from tasks.adapters import db
from tasks.adapters import jobs as queue
from tasks.core.audience import AudienceFilter
from tasks.services import campaigns
from tasks.services.campaigns import offer_of
from tasks.services.context import Context
from tasks.services.jobs.worker import Worker
from tests.integration.campaign_seed import approve, create_campaign, import_contacts, seed_scores
from tests.integration.smtp_server import Recorder, smtp_server
from tests.llm_server import LLMServer

REPO = Path(__file__).resolve().parents[2]
IDS = [f"J{i:03d}" for i in range(40)]


@pytest.fixture
def world(tmp_path):
    config = load_config(REPO / "configs" / "telco.yaml")
    env = {
        "state_dir": tmp_path,
        "smtp_host": "127.0.0.1",
        "smtp_security": "none",
        "secret_key": "a-test-signing-key-of-32-chars!!",
        "public_url": "https://retain.example.test",
        "mail_from": "RetainAI <offers@example.test>",
        "send_batch_size": 6,
        "message_batch_size": 4,
    }
    with db.connected(Settings(**env)) as engine:
        db.upgrade(engine)
        seed_scores(engine, IDS, seed=5, low=0.7, high=0.9)
    import_contacts(
        Settings(**env), config, generate_contacts(IDS, seed=5).assign(consent_email=True)
    )
    return env, config


def _create(settings, config, name: str, scheduled_at=None) -> int:
    offer = offer_of(config, "loyalty-discount", ["email"])
    wanted = AudienceFilter(risk_segments=("high",), limit=22)
    return create_campaign(
        settings, config, name, offer, ["email"], wanted, 0.1, "t", scheduled_at
    )["id"]


def test_a_new_campaign_has_its_messages_written_by_the_worker(world):
    env, config = world
    with LLMServer() as server:
        settings = Settings(
            **env, llm_base_url=server.base_url, llm_api_key="k", llm_price_prompt_per_1k=0.5
        )
        ctx = Context(settings)
        campaign_id = _create(settings, config, "written")
        before = campaigns.campaign_progress(ctx, config, campaign_id)
        assert before.work == "writing" and before.job_state == "queued" and before.written == 0
        worker = Worker(ctx, config)
        assert worker.run_once() and not worker.run_once()
    after = campaigns.campaign_progress(ctx, config, campaign_id)
    assert after.job_state == "done" and not after.active
    assert after.written == after.planned == 20 and after.fallbacks == 0  # 22 minus 2 held out
    asked = len(server.requests)  # identical prompts are asked once
    assert 1 <= asked <= 20 and after.cost == pytest.approx(asked * 0.05)
    job = queue.latest(ctx.engine, f"campaign:{campaign_id}")
    assert job["progress"]["messages"] == 20 and job["attempts"] == 1
    assert job["progress"]["prompts_asked"] == asked


class StopAfterFirst(Recorder):
    """Stops the campaign (as its page's button does) when the first message arrives."""

    ctx = None
    campaign = None

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if len(self.received) == 1:
            campaigns.stop_sending(self.ctx, self.config, self.campaign)
        return reply


def test_send_now_stop_sending_and_send_the_rest_later(world):
    env, config = world
    recorder = StopAfterFirst()
    with smtp_server(recorder) as port:
        settings = Settings(**env, smtp_port=port)
        ctx = Context(settings)
        worker = Worker(ctx, config)
        campaign_id = _create(settings, config, "stopped")
        assert worker.run_once()  # written by the templates (no key)
        approve(settings, config, campaign_id, "analyst")
        recorder.ctx, recorder.config, recorder.campaign = ctx, config, campaign_id

        launched = campaigns.send_now(ctx, config, campaigns.SendNow(campaign_id, "analyst"))
        assert launched.door == "jobs" and launched.new
        assert campaigns.campaign_progress(ctx, config, campaign_id).work == "sending"
        assert worker.run_once()
        stopped = campaigns.campaign_progress(ctx, config, campaign_id)
        assert stopped.status == "stopped" and stopped.job_state == "cancelled"
        assert stopped.sent == 6 == len(recorder.received) and stopped.waiting == 14
        assert worker.queue_due_sends() == []  # a stopped campaign is not due

        campaigns.send_now(ctx, config, campaigns.SendNow(campaign_id, "analyst"))
        assert worker.run_once()
    done = campaigns.campaign_progress(ctx, config, campaign_id)
    assert done.status == "sent" and done.job_state == "done"
    assert done.sent == 20 == len(recorder.received) and done.waiting == done.unknown == 0
    assert (settings.reports_dir / "campaigns" / str(campaign_id) / "report.json").exists()


class ShutDownAfterFirst(Recorder):
    """Stops the worker (as `retainai serve` stopping does) when the first message arrives."""

    worker = None

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if len(self.received) == 1:
            self.worker.stopping.set()
        return reply


def test_a_worker_shutting_down_mid_send_leaves_the_rest_to_the_next(world):
    env, config = world
    recorder = ShutDownAfterFirst()
    with smtp_server(recorder) as port:
        settings = Settings(**env, smtp_port=port)
        ctx = Context(settings)
        campaign_id = _create(settings, config, "shutdown")
        assert Worker(ctx, config).run_once()
        approve(settings, config, campaign_id, "analyst")
        campaigns.send_now(ctx, config, campaigns.SendNow(campaign_id, "analyst"))
        recorder.worker = Worker(ctx, config)
        assert recorder.worker.run_once()
        cut = campaigns.campaign_progress(ctx, config, campaign_id)
        assert cut.status == "sending" and cut.job_state == "queued" and cut.sent == 6
        assert Worker(ctx, config).run_once()  # the next worker takes the job again
    done = campaigns.campaign_progress(ctx, config, campaign_id)
    assert done.status == "sent" and done.sent == 20 == len(recorder.received)
    assert queue.latest(ctx.engine, f"campaign:{campaign_id}")["attempts"] == 1


def test_the_worker_sends_a_campaign_when_its_time_comes_and_records_a_failure(world):
    env, config = world
    soon = datetime.now(UTC) + timedelta(hours=1)
    settings = Settings(**env, smtp_port=1, smtp_password="hunter2-secret")  # nothing listens
    ctx = Context(settings)
    worker = Worker(ctx, config)
    campaign_id = _create(settings, config, "scheduled", scheduled_at=soon)
    assert worker.run_once()
    approve(settings, config, campaign_id, "analyst")
    assert worker.queue_due_sends() == []  # not yet
    with db.connected(settings) as engine, engine.begin() as connection:
        connection.exec_driver_sql(
            f"UPDATE campaigns SET scheduled_at = '2026-01-01 00:00:00' WHERE id = {campaign_id}"
        )
    assert worker.queue_due_sends() == [campaign_id]
    assert worker.run_once()
    failed = campaigns.campaign_progress(ctx, config, campaign_id)
    assert failed.job_state == "failed" and failed.error and "hunter2" not in failed.error
    assert worker.queue_due_sends() == []  # a failed send waits before it is tried again


def test_a_writing_run_on_the_prefect_server_keeps_its_page_waiting_until_written(world):
    """With a Prefect server the writing is a flow run (no job in the table): the campaign's
    own marks tell its page the messages are being written, until the run has written them."""
    import threading
    from http.server import HTTPServer

    from tasks.services.campaigns.background import still_writing
    from tasks.services.campaigns.views import stored_campaign
    from tests.unit.test_jobs_launcher import Prefect

    env, config = world
    server = HTTPServer(("127.0.0.1", 0), Prefect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/api"
        settings = Settings(**env, prefect_api_url=url)
        campaign_id = _create(settings, config, "on the prefect server")
    finally:
        server.shutdown()
    ctx = Context(settings)
    assert Prefect.seen[-1][2]["parameters"] == {"campaign_id": campaign_id}
    assert queue.latest(ctx.engine, f"campaign:{campaign_id}") is None  # a flow run, no job
    waiting = campaigns.campaign_progress(ctx, config, campaign_id)
    assert waiting.work == "writing" and waiting.active and waiting.job_state is None
    assert waiting.written == 0 and waiting.currency == config.dataset.currency
    campaigns.generate_messages(Context(Settings(**env)), config, campaign_id)  # the flow run
    done = campaigns.campaign_progress(ctx, config, campaign_id)
    assert not done.active and done.work is None and done.written == done.planned == 20
    later = datetime.now(UTC) + timedelta(hours=7)  # a run killed without a word: not forever
    stored = stored_campaign(ctx.engine, config, campaign_id)
    stored["totals"] = {**stored["totals"], "writing_ended": None}
    assert still_writing(stored) and not still_writing(stored, later)
