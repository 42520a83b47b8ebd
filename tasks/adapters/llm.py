"""Retention messages written through an OpenAI-compatible chat-completions API.

One `write_batch` call writes a whole batch: a few workers (RETAINAI_LLM_CONCURRENCY) take
requests in turn and an asyncio.Semaphore of the same size bounds the requests in flight
across every batch of the writer. The SDK's own retries are off (max_retries=0): 429, 408,
5xx, timeouts, dropped connections and answers that are not a well-formed chat completion (a
proxy's error page with status 200, JSON of another shape) are retried here with exponential
backoff and jitter, at most RETAINAI_LLM_MAX_ATTEMPTS calls per answer; every other error is
permanent. An answer that is not a valid message (see `parse_answer`: control characters
included) is asked for once more; a second invalid answer, a permanent failure, a missing key
or a spent budget hands the message to the fallback template. Every result says which path
wrote it, the prompt version, tokens and cost. The budget is checked before every call, so the
calls already in flight when it runs out (at most the concurrency) may pass it by their own
cost. Keys and prompts are never logged.

Identical prompts are asked once per writer: a prompt carries no identifier, name or address
(the sender adds the greeting and footer), so customers with the same facts share one answer.
The later requests wait for the first one's answer and reuse it (no call, no cost; counted in
`reused`); when the provider gave none (the template wrote it), the next of them asks again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence

import openai
from openai.types.chat import ChatCompletion

from configs.settings import Settings
from tasks.adapters.llm_replies import completion_text as _completion_text
from tasks.adapters.llm_replies import retry_after as _retry_after
from tasks.adapters.llm_replies import tokens as _tokens
from tasks.adapters.message_writer import (  # noqa: F401  (the port, importable from here)
    MessageRequest,
    MessageWriter,
    WrittenMessage,
    _BudgetSpent,
    _ProviderFailed,
    _Tally,
)
from tasks.core.messages import (
    SMS_OPT_OUT,
    DraftMessage,
    InvalidAnswerError,
    build_prompt,
    fallback_message,
    parse_answer,
)
from tasks.core.prompts import MessageTemplates, load_templates

log = logging.getLogger(__name__)
TRANSIENT_STATUS = frozenset({408, 429})  # and every 5xx
REFUSED_STATUS = frozenset({401, 403, 404})  # key or model wrong: no later call can succeed
MALFORMED = "not a chat completion"  # a 200 whose body is not one: retried like a 5xx
RETRY_PROMPT = (
    "That answer cannot be used: {error}. Answer again with only the JSON object, "
    "following every rule above."
)


class OpenAIMessageWriter:
    """A `MessageWriter` over the OpenAI SDK; the budget and spend belong to one writer."""

    def __init__(
        self,
        settings: Settings,
        templates: MessageTemplates | None = None,
        *,
        opt_out: str = SMS_OPT_OUT,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ):
        self.templates = templates or load_templates(
            settings.prompts_dir, settings.prompt_version, settings.fallback_version
        )
        self.model = settings.llm_model
        self.opt_out = opt_out
        self.max_attempts = settings.llm_max_attempts
        self.concurrency = settings.llm_concurrency
        self.budget = settings.llm_budget
        self.backoff = settings.llm_backoff_seconds
        self.backoff_max = settings.llm_backoff_max_seconds
        self.prices = (settings.llm_price_prompt_per_1k, settings.llm_price_completion_per_1k)
        self.spent = 0.0
        self._sleep, self._jitter = sleep, jitter
        self._semaphore = asyncio.Semaphore(self.concurrency)
        self._refused: str | None = None
        self._answers: dict[str, asyncio.Future[WrittenMessage]] = {}
        self.asked = 0  # distinct prompts asked of the provider
        self.reused = 0  # messages that reused the answer to an identical prompt
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
        self._client = (
            openai.AsyncOpenAI(
                base_url=settings.llm_base_url,
                api_key=key,
                timeout=settings.llm_timeout_seconds,
                max_retries=0,
            )
            if key
            else None
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()

    async def __aenter__(self) -> OpenAIMessageWriter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def write_batch(self, requests: Sequence[MessageRequest]) -> list[WrittenMessage]:
        results: list[WrittenMessage | None] = [None] * len(requests)
        pending = iter(enumerate(requests))

        async def work() -> None:
            for index, request in pending:  # the workers share one iterator
                results[index] = await self._write(request)

        await asyncio.gather(*(work() for _ in range(min(self.concurrency, len(requests)))))
        written = [r for r in results if r is not None]
        paths = Counter(r.path for r in written)
        log.info(
            "wrote %d messages %s; %d prompts asked, %d answers reused; spent %.4f",
            *(len(written), dict(paths), self.asked, self.reused, self.spent),
        )
        return written

    async def _write(self, request: MessageRequest) -> WrittenMessage:
        if self._client is None:
            return self._template(request, "no-key", None, _Tally())
        messages = build_prompt(request.facts, request.channel, self.templates, self.opt_out)
        key = json.dumps([request.channel, messages], sort_keys=True)
        while (pending := self._answers.get(key)) is not None:  # the same prompt was asked
            first = await asyncio.shield(pending)
            if first.path != "template":  # the provider's answer: reused, without a call
                self.reused += 1
                return dataclasses.replace(
                    first,
                    key=request.key,
                    prompt_tokens=0,
                    completion_tokens=0,
                    cost=0.0,
                    attempts=0,
                )
            if self._answers.get(key) is pending:  # no answer came: this request asks again
                break
        answer = self._answers[key] = asyncio.get_running_loop().create_future()
        self.asked += 1
        try:
            written = await self._ask(request, messages)
        except BaseException as error:
            if self._answers.get(key) is answer:
                del self._answers[key]  # a later request asks again
            answer.set_exception(error)
            answer.exception()  # retrieved: no "never retrieved" warning when none waits
            raise
        answer.set_result(written)
        return written

    async def _ask(self, request: MessageRequest, messages: list[dict[str, str]]):
        channel, tally = request.channel, _Tally()
        stem = self.templates.stem("retention", channel, request.facts.language)
        try:
            text = await self._complete(messages, tally)
            try:
                return self._done(request, parse_answer(text, channel, self.opt_out), "llm", tally)
            except InvalidAnswerError as error:
                first = error
            retry = [
                *messages,
                {"role": "assistant", "content": text},
                {"role": "user", "content": RETRY_PROMPT.format(error=first)},
            ]
            text = await self._complete(retry, tally)
            try:
                draft = parse_answer(text, channel, self.opt_out)
            except InvalidAnswerError as error:
                return self._template(request, f"invalid-answer: {error}", stem, tally)
            return self._done(request, draft, "llm-retry", tally)
        except _BudgetSpent:
            return self._template(request, "budget", stem if tally.attempts else None, tally)
        except _ProviderFailed as failure:  # no prompt version when nothing was sent
            return self._template(request, str(failure), stem if tally.attempts else None, tally)

    def _done(self, request, draft: DraftMessage, path: str, tally: _Tally) -> WrittenMessage:
        stem = self.templates.stem("retention", request.channel, request.facts.language)
        language = request.facts.language
        return WrittenMessage(
            request.key, draft, path, None, stem, None, **vars(tally), language=language
        )

    def _template(self, request, reason: str, stem: str | None, tally: _Tally) -> WrittenMessage:
        draft = fallback_message(request.facts, request.channel, self.templates, self.opt_out)
        fallback = self.templates.stem("fallback", request.channel, request.facts.language)
        return WrittenMessage(
            request.key,
            draft,
            "template",
            reason,
            stem,
            fallback,
            **vars(tally),
            language=request.facts.language,
        )

    async def _complete(self, messages: list[dict[str, str]], tally: _Tally) -> str:
        """The answer's text, after at most `max_attempts` calls (transient errors retried)."""
        problem = ""
        for attempt in range(1, self.max_attempts + 1):
            wait = None
            async with self._semaphore:
                if self._refused:
                    raise _ProviderFailed(self._refused)
                if self.budget is not None and self.spent >= self.budget:
                    raise _BudgetSpent
                tally.attempts += 1
                try:
                    response = await self._client.chat.completions.create(  # type: ignore[union-attr]
                        model=self.model, messages=messages
                    )
                except openai.APIConnectionError as error:  # timeouts included
                    timed_out = isinstance(error, openai.APITimeoutError)
                    problem = "timeout" if timed_out else "connection failed"
                except openai.APIStatusError as error:
                    status = error.status_code
                    problem = f"HTTP {status}"
                    if status not in TRANSIENT_STATUS and status < 500:
                        if status in REFUSED_STATUS:
                            self._refused = f"provider-error: {problem}"
                        log.warning("provider refused a request: %s", problem)
                        raise _ProviderFailed(f"provider-error: {problem}") from None
                    wait = _retry_after(error)
                except openai.APIError as error:
                    raise _ProviderFailed(f"provider-error: {type(error).__name__}") from None
                except ValueError:  # a JSON content type over a body that is not JSON
                    problem = MALFORMED
                else:
                    text = _completion_text(response)
                    if text is not None:
                        self._account(response, tally)
                        return text
                    problem = MALFORMED
            if attempt < self.max_attempts:
                await self._sleep(self._delay(attempt, wait))
        log.warning("provider unavailable after %d attempts: %s", self.max_attempts, problem)
        raise _ProviderFailed(f"provider-unavailable: {problem} after {self.max_attempts} attempts")

    def _account(self, response: ChatCompletion, tally: _Tally) -> None:
        usage = getattr(response, "usage", None)
        prompt, completion = _tokens(usage, "prompt_tokens"), _tokens(usage, "completion_tokens")
        cost = prompt / 1000 * self.prices[0] + completion / 1000 * self.prices[1]
        tally.prompt_tokens += prompt
        tally.completion_tokens += completion
        tally.cost += cost
        self.spent += cost

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with equal jitter: half the step fixed, half random; a server's
        Retry-After (capped) is waited at least."""
        step = min(self.backoff_max, self.backoff * 2 ** (attempt - 1))
        delay = step / 2 + self._jitter() * step / 2
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_max))
        return delay
