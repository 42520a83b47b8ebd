"""A campaign's messages written through the local OpenAI-compatible server in batches: one
writer for the campaign (its budget spans every batch), each batch stored when written, no
prompt carrying an identifier or an address, and a rerun that writes only what is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from configs.schema import load_config
from configs.settings import Settings
from data.contacts import generate_contacts
from tasks.adapters import campaign_store as store
from tasks.adapters import db
from tasks.core.audience import AudienceFilter
from tasks.services.campaigns import offer_of
from tests.integration.campaign_seed import (
    create_campaign,
    generate_messages,
    import_contacts,
    seed_scores,
)
from tests.llm_server import LLMServer

REPO = Path(__file__).resolve().parents[2]
IDS = [f"W{i:03d}" for i in range(40)]


@pytest.fixture
def campaign(tmp_path):
    config = load_config(REPO / "configs" / "telco.yaml")
    base = Settings(state_dir=tmp_path)
    with db.connected(base) as engine:
        db.upgrade(engine)
        seed_scores(engine, IDS, seed=5, low=0.7, high=0.9, distinct=True)
    contacts = generate_contacts(IDS, seed=5).assign(consent_email=True)
    import_contacts(base, config, contacts)
    offer = offer_of(config, "loyalty-discount", ["email"])
    wanted = AudienceFilter(risk_segments=("high",), limit=22)
    found = create_campaign(base, config, "batches", offer, ["email"], wanted, 0.1, "t")
    return tmp_path, config, found["id"]


def _settings(folder: Path, server: LLMServer, **changes) -> Settings:
    values = {
        "llm_concurrency": 3,
        "llm_price_prompt_per_1k": 0.5,
        "llm_price_completion_per_1k": 1.5,
        "message_batch_size": 4,
        **changes,
    }
    return Settings(state_dir=folder, llm_base_url=server.base_url, llm_api_key="k", **values)


def test_batches_are_stored_as_written_and_a_rerun_writes_only_the_missing(campaign):
    folder, config, campaign_id = campaign
    stored: list[int] = []
    with LLMServer() as server:
        settings = _settings(folder, server)
        totals = generate_messages(settings, config, campaign_id, stored.append)
        treated = totals["messages"]
        assert treated == 20 and stored == [4, 4, 4, 4, 4]  # 22 minus 2 held out, 4 a batch
        assert totals["paths"] == {"llm": 20} and len(server.requests) == 20
        assert server.max_in_flight <= 3
        assert totals["tokens"] == 20 * 140 and totals["cost"] == pytest.approx(20 * 0.11)
        prompts = json.dumps(server.requests)
        assert not any(c in prompts for c in IDS) and "@example.test" not in prompts

        with db.connected(settings) as engine, engine.begin() as connection:
            connection.exec_driver_sql(
                "DELETE FROM campaign_messages WHERE customer_id IN "
                "(SELECT customer_id FROM campaign_messages ORDER BY customer_id LIMIT 3)"
            )
        again = generate_messages(settings, config, campaign_id, stored.append)
    assert len(server.requests) == 23 and stored[-1] == 3
    assert again["messages"] == 20 and again["paths"] == {"llm": 23}  # what was ever written
    with db.connected(settings) as engine:
        messages = store.messages(engine, campaign_id)
    assert len(messages) == 20 and messages["path"].eq("llm").all()


def test_the_budget_spans_every_batch_of_the_campaign(campaign):
    folder, config, campaign_id = campaign
    with LLMServer() as server:  # every call costs 0.11
        settings = _settings(folder, server, llm_budget=0.5, llm_concurrency=1)
        totals = generate_messages(settings, config, campaign_id, lambda n: None)
    assert len(server.requests) == 5  # 0.55 spent: the fifth call found 0.44 < 0.5
    assert totals["paths"] == {"llm": 5, "template": 15}
    with db.connected(settings) as engine:
        messages = store.messages(engine, campaign_id)
    assert (messages["path"] == "template: budget").sum() == 15
