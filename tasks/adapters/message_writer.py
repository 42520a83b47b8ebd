"""The message writer's port: one message asked for, one message written and how, and what
a writer implements (tasks/adapters/llm.py over an OpenAI-compatible API)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from tasks.core.messages import Channel, DraftMessage, MessageFacts


@dataclass(frozen=True)
class MessageRequest:
    """One message to write; `key` is the caller's reference (never sent to the provider)."""

    facts: MessageFacts
    channel: Channel
    key: str = ""


@dataclass(frozen=True)
class WrittenMessage:
    key: str
    message: DraftMessage
    path: str  # "llm" | "llm-retry" (valid on the second answer) | "template"
    reason: str | None  # why the template wrote it: no-key, budget, invalid-answer: ..., ...
    prompt_version: str | None  # the prompt sent, e.g. "retention-email-v1"; None: no call
    template_version: str | None  # the fallback that wrote it, e.g. "fallback-email-v1"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    attempts: int = 0  # provider calls made for this message
    language: str = "en"  # the language it is written in


class MessageWriter(Protocol):
    async def write_batch(self, requests: Sequence[MessageRequest]) -> list[WrittenMessage]:
        """One result per request, in request order; never raises for a provider's failure."""
        ...


class _ProviderFailed(Exception):
    """No answer from the provider for this message; the text is the recorded reason."""


class _BudgetSpent(Exception):
    pass


@dataclass
class _Tally:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    attempts: int = 0
