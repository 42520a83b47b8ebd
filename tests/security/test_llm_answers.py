"""Answers a provider should never give, through the real SDK and the local chat-completions
server: a body that is not a chat completion is a provider error (retried, then the template),
an answer with control characters is refused (the template writes the message), and a
campaign's generation goes on whatever one answer is."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest

from configs.schema import load_config
from configs.settings import Settings
from data.contacts import generate_contacts
from tasks.adapters import campaign_store as store
from tasks.adapters import db
from tasks.adapters.llm import MessageRequest, OpenAIMessageWriter
from tasks.core.audience import AudienceFilter
from tasks.core.messages import InvalidAnswerError, Offer, build_facts, parse_answer
from tasks.services.campaigns import offer_of
from tests.integration.campaign_seed import (
    create_campaign,
    generate_messages,
    import_contacts,
    seed_scores,
)
from tests.llm_server import EMAIL, LLMServer, Reply, answer

REPO = Path(__file__).resolve().parents[2]
CONFIG = load_config(REPO / "configs" / "telco.yaml")
CUSTOMER = {
    "customer_id": "C1",
    "risk_segment": "high",
    "segment_value": "Month-to-month",
    "monthly_value": 80.0,
    "tenure": 3,
    "top_reasons": "[]",
}
FACTS = build_facts(CUSTOMER, CONFIG, Offer("a free month", "One month at no charge."))
PROXY_PAGE = Reply(raw="<html>502 Bad Gateway</html>", content_type="text/plain")
INJECTED = {**EMAIL, "subject": "Offer\r\nBcc: x@evil.example"}


def _settings(server: LLMServer, **changes) -> Settings:
    return Settings(
        llm_base_url=server.base_url,
        llm_api_key="k",
        llm_max_attempts=3,
        llm_backoff_seconds=0.0,
        llm_timeout_seconds=5.0,
        **changes,
    )


def _write(settings: Settings, count: int = 1):
    async def run():
        async with OpenAIMessageWriter(settings) as writer:
            requests = [  # no two prompts the same: each is asked
                MessageRequest(replace(FACTS, tenure_band=f"{i}-{i + 1} months"), "email", f"c{i}")
                for i in range(count)
            ]
            return await writer.write_batch(requests)

    return asyncio.run(run())


@pytest.mark.parametrize(
    "bad",
    [
        PROXY_PAGE,
        Reply(raw='{"error": "upstream down"}'),  # JSON, but no choices
        Reply(raw="<html>not json</html>"),  # says JSON, is not
        Reply(raw='["a", "list"]'),
        Reply(raw='{"choices": [{"message": {"content": 42}}]}'),
    ],
    ids=["text-page", "json-without-choices", "not-json", "json-list", "content-not-text"],
)
def test_an_answer_that_is_not_a_chat_completion_is_retried_then_templated(bad):
    with LLMServer(default=bad) as server:
        (result,) = _write(_settings(server))
    assert len(server.requests) == 3  # every attempt made, none fatal
    assert result.path == "template" and result.attempts == 3
    assert "not a chat completion" in result.reason and result.reason.startswith("provider")
    assert result.message.subject  # the fallback template wrote it


def test_a_good_answer_after_a_malformed_one_is_used():
    with LLMServer() as server:
        server.then(PROXY_PAGE)
        (result,) = _write(_settings(server))
    assert result.path == "llm" and result.attempts == 2
    assert result.message.subject == EMAIL["subject"]


@pytest.mark.parametrize(
    "fields, problem",
    [
        (INJECTED, "subject contains a control character"),
        ({**EMAIL, "call_to_action": "Go\nnow"}, "call_to_action contains a control character"),
        ({**EMAIL, "body": "Stay\x1b[31m with us"}, "body contains a control character"),
        ({**EMAIL, "body": "Stay\r\nwith us"}, "body contains a control character"),
        ({**EMAIL, "subject": "Offer\u2028Bcc: x@evil"}, "subject contains a control character"),
    ],
)
def test_control_characters_are_refused(fields, problem):
    with pytest.raises(InvalidAnswerError, match=problem):
        parse_answer(json.dumps(fields), "email")


def test_paragraphs_of_a_body_are_kept():
    draft = parse_answer(json.dumps({**EMAIL, "body": "Stay with us.\n\nWe miss you."}), "email")
    assert draft.body == "Stay with us.\n\nWe miss you."


def test_a_subject_with_a_line_break_is_asked_again_then_templated():
    with LLMServer(default=answer(**INJECTED)) as server:
        (result,) = _write(_settings(server))
    assert len(server.requests) == 2  # the answer, then one more chance
    assert "control character" in server.requests[1]["messages"][-1]["content"]
    assert result.path == "template" and "subject contains a control character" in result.reason
    assert "\r" not in result.message.subject and "\n" not in result.message.subject


@pytest.fixture
def campaign(tmp_path):
    ids = [f"Q{i:03d}" for i in range(12)]
    base = Settings(state_dir=tmp_path)
    with db.connected(base) as engine:
        db.upgrade(engine)
        seed_scores(engine, ids, seed=7, low=0.7, high=0.9)
    import_contacts(base, CONFIG, generate_contacts(ids, seed=7).assign(consent_email=True))
    offer = offer_of(CONFIG, "loyalty-discount", ["email"])
    wanted = AudienceFilter(risk_segments=("high",), limit=12)
    found = create_campaign(base, CONFIG, "bad answers", offer, ["email"], wanted, 0.1, "t")
    return tmp_path, found["id"]


def test_a_campaign_is_written_whole_when_the_provider_answers_nonsense(campaign):
    folder, campaign_id = campaign
    with LLMServer() as server:  # one at a time: a proxy page thrice, a line break twice
        server.then(PROXY_PAGE, PROXY_PAGE, PROXY_PAGE, answer(**INJECTED), answer(**INJECTED))
        settings = _settings(server, state_dir=folder, llm_concurrency=1)
        totals = generate_messages(settings, CONFIG, campaign_id, lambda n: None)
    with db.connected(settings) as engine:
        messages = store.messages(engine, campaign_id)
    treated = totals["messages"]
    assert treated == len(messages) > 2  # every treated customer has a message
    assert totals["paths"] == {"template": 2, "llm": treated - 2}
    assert not messages["subject"].str.contains("\r|\n").any()
    reasons = set(messages["path"]) - {"llm"}  # stored whole, never cut
    assert reasons == {
        "template: provider-unavailable: not a chat completion after 3 attempts",
        "template: invalid-answer: subject contains a control character",
    }
    # every message either asked its prompt or reused the answer to the same prompt
    assert totals["prompts_asked"] + totals["answers_reused"] == treated
    assert totals["answers_reused"] > 0 and totals["prompts_asked"] < treated
