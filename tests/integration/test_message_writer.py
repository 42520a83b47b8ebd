"""The OpenAI message writer against a local chat-completions server, through the real SDK."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from pathlib import Path

import pytest

from configs.schema import load_config
from configs.settings import Settings
from tasks.adapters.llm import MessageRequest, OpenAIMessageWriter
from tasks.core.messages import Offer, build_facts, sms_body_limit
from tests.llm_server import EMAIL, LLMServer, Reply, answer

REPO = Path(__file__).resolve().parents[2]
CONFIG = load_config(REPO / "configs" / "telco.yaml")
REASONS = [
    {"feature": "Contract", "value": "Month-to-month", "contribution": 0.8},
    {"feature": "TotalCharges", "value": 3046.05, "contribution": 0.3},
]
CUSTOMER = {
    "customer_id": "7590-VHVEG",
    "email": "jane.doe@example.com",
    "risk_segment": "high",
    "segment_value": "Month-to-month",
    "monthly_value": 104.35,
    "tenure": 3,
    "top_reasons": json.dumps(REASONS),
}
FACTS = build_facts(CUSTOMER, CONFIG, Offer("a free month", "One month at no charge."))
BACKOFF = 0.01


def settings(server: LLMServer | None, **changes) -> Settings:
    values = {
        "llm_base_url": server.base_url if server else "http://127.0.0.1:9/v1",
        "llm_api_key": "local-key",
        "llm_model": "local-model",
        "llm_timeout_seconds": 2.0,
        "llm_max_attempts": 3,
        "llm_backoff_seconds": BACKOFF,
        "llm_concurrency": 2,
        "llm_price_prompt_per_1k": 0.5,
        "llm_price_completion_per_1k": 1.5,
        **changes,
    }
    return Settings(**values)


def distinct(i: int):
    """Facts of the i-th customer, so that no two prompts are the same (each is asked)."""
    return dataclasses.replace(FACTS, tenure_band=f"{i}-{i + 1} months")


def write(config: Settings, count: int = 1, channel: str = "email", delays=None, facts=distinct):
    """Write `count` messages; retry delays are recorded in `delays` (and slept for real)."""

    async def sleep(seconds: float) -> None:
        if delays is not None:
            delays.append(seconds)
        await asyncio.sleep(seconds)

    async def run():
        async with OpenAIMessageWriter(config, sleep=sleep, jitter=lambda: 0.5) as writer:
            requests = [MessageRequest(facts(i), channel, key=f"c{i}") for i in range(count)]
            return writer, await writer.write_batch(requests)

    return asyncio.run(run())


def test_success_path_records_version_tokens_and_cost():
    with LLMServer() as server:
        _, (result,) = write(settings(server))
    assert result.path == "llm" and result.reason is None
    assert result.message.subject == EMAIL["subject"]
    assert result.prompt_version == "retention-email-v1" and result.template_version is None
    assert (result.prompt_tokens, result.completion_tokens, result.attempts) == (100, 40, 1)
    assert result.cost == pytest.approx(100 / 1000 * 0.5 + 40 / 1000 * 1.5)
    (request,) = server.requests
    assert request["model"] == "local-model"
    sent = json.dumps(request)
    assert "Month-to-month" in sent
    for private in ("7590", "VHVEG", "jane.doe", "104.35", "3046", "local-key"):
        assert private not in sent


def test_sms_answer_within_the_limit():
    with LLMServer(answer(body="Stay with us: a free month is yours.")) as server:
        _, (result,) = write(settings(server), channel="sms")
    assert result.path == "llm" and result.prompt_version == "retention-sms-v1"
    assert len(result.message.body) <= sms_body_limit()


def test_429_and_5xx_are_retried_with_growing_backoff():
    delays: list[float] = []
    with LLMServer() as server:
        server.then(Reply(status=429), Reply(status=503))
        _, (result,) = write(settings(server), delays=delays)
    assert result.path == "llm" and result.attempts == 3
    assert delays == pytest.approx([0.75 * BACKOFF, 1.5 * BACKOFF])  # equal jitter at 0.5
    gaps = [b - a for a, b in zip(server.arrivals, server.arrivals[1:], strict=False)]
    assert all(gap >= delay for gap, delay in zip(gaps, delays, strict=True))


def test_retry_after_is_waited_at_least():
    delays: list[float] = []
    with LLMServer() as server:
        server.then(Reply(status=429, headers={"retry-after": "0.2"}))
        _, (result,) = write(settings(server), delays=delays)
    assert result.path == "llm" and delays == [pytest.approx(0.2)]


def test_a_timeout_is_retried():
    with LLMServer() as server:
        server.then(Reply(content=json.dumps(EMAIL), delay=1.0))
        _, (result,) = write(settings(server, llm_timeout_seconds=0.2))
    assert result.path == "llm" and result.attempts == 2


def test_invalid_answer_once_then_valid():
    with LLMServer() as server:
        server.then(Reply(content="Dear customer, stay!"))
        _, (result,) = write(settings(server))
    assert result.path == "llm-retry" and result.attempts == 2
    assert (result.prompt_tokens, result.completion_tokens) == (200, 80)
    second = server.requests[1]["messages"]
    assert second[-2] == {"role": "assistant", "content": "Dear customer, stay!"}
    assert "not JSON" in second[-1]["content"]


def test_invalid_answer_twice_falls_back_to_the_template():
    with LLMServer(answer(subject="Hi [Name]", body="x", call_to_action="Go")) as server:
        _, (result,) = write(settings(server))
    assert result.path == "template" and result.reason.startswith("invalid-answer")
    assert result.prompt_version == "retention-email-v1"
    assert result.template_version == "fallback-email-v1" and result.attempts == 2
    assert "a free month" in result.message.body and result.cost > 0


def test_permanent_failure_falls_back_without_retrying():
    with LLMServer(Reply(status=400)) as server:
        _, (result,) = write(settings(server))
    assert result.path == "template" and result.reason == "provider-error: HTTP 400"
    assert result.attempts == 1 and len(server.requests) == 1


def test_a_refused_key_stops_calling_for_the_rest():
    with LLMServer(Reply(status=401)) as server:
        _, results = write(settings(server, llm_concurrency=1), count=4)
    assert len(server.requests) == 1
    assert {r.reason for r in results} == {"provider-error: HTTP 401"}
    assert [r.attempts for r in results] == [1, 0, 0, 0]
    assert [r.prompt_version for r in results] == ["retention-email-v1", None, None, None]


def test_transient_failures_exhaust_the_attempts_then_fall_back():
    with LLMServer(Reply(status=500)) as server:
        _, (result,) = write(settings(server))
    assert result.path == "template" and result.attempts == 3 == len(server.requests)
    assert result.reason == "provider-unavailable: HTTP 500 after 3 attempts"


def test_without_a_key_the_templates_write_everything():
    with LLMServer() as server:
        writer, results = write(settings(server, llm_api_key=None), count=3)
    assert not server.requests and writer.spent == 0
    assert {(r.path, r.reason, r.prompt_version) for r in results} == {("template", "no-key", None)}


def test_budget_stops_calling_the_provider():
    with LLMServer() as server:  # every call costs 0.11
        writer, results = write(settings(server, llm_budget=0.25, llm_concurrency=1), count=5)
    assert [r.path for r in results] == ["llm"] * 3 + ["template"] * 2
    assert {r.reason for r in results[3:]} == {"budget"}
    assert all(r.attempts == 0 and r.prompt_version is None for r in results[3:])
    assert len(server.requests) == 3 and writer.spent == pytest.approx(0.33)


def test_concurrency_never_above_the_limit_and_results_in_order():
    with LLMServer(answer(delay=0.05, **EMAIL)) as server:
        _, results = write(settings(server, llm_concurrency=3), count=12)
    assert server.max_in_flight == 3
    assert [r.key for r in results] == [f"c{i}" for i in range(12)]
    assert {r.path for r in results} == {"llm"}


def test_no_key_or_prompt_in_the_logs(caplog):
    caplog.set_level(logging.DEBUG, logger="tasks.adapters.llm")
    with LLMServer() as server:
        server.then(Reply(status=500), answer(**EMAIL), Reply(status=400))
        config = settings(server, llm_concurrency=1)
        _, results = write(config, count=2)
    assert [(r.key, r.path) for r in results] == [("c0", "llm"), ("c1", "template")]
    assert "local-key" not in caplog.text and "Month-to-month" not in caplog.text
    assert "local-key" not in repr(config)


def test_identical_prompts_are_asked_once_and_their_answer_reused():
    """12 customers with 3 distinct sets of facts: 3 calls, 9 answers reused at no cost; a
    French customer with the same facts is another prompt (its own language)."""
    french = dataclasses.replace(distinct(0), language="fr")

    def facts(i: int):
        return french if i == 12 else distinct(i % 3)

    with LLMServer() as server:
        writer, results = write(settings(server, llm_concurrency=4), count=13, facts=facts)
    assert len(server.requests) == 4 and (writer.asked, writer.reused) == (4, 9)
    assert [r.key for r in results] == [f"c{i}" for i in range(13)]
    assert {r.message for r in results[:12]} == {results[0].message}
    assert sum(r.attempts for r in results) == 4 and sum(r.cost > 0 for r in results) == 4
    assert sum(r.prompt_tokens for r in results) == 4 * 100
    assert all(r.path == "llm" for r in results)
    assert results[12].prompt_version == "retention-email-v1.fr"
    assert sum("en français" in json.dumps(r, ensure_ascii=False) for r in server.requests) == 1
