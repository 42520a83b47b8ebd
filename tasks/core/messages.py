"""Retention messages: the prompt for one customer and channel, the checked answer, and the
template-written message used without a provider.

An answer is a JSON object. Email: {"subject", "body", "call_to_action"} with 1-120, 1-2000
and 1-80 characters. SMS: {"body"}, at most `sms_body_limit(opt_out)` characters, so that the
body plus the opt-out text the caller appends fits in one 160-character SMS. No field may hold
a control character or a line separator (a body its line breaks, "\n", only): a subject with
a line break would become a header of its own.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from configs.vocabulary import Channel
from tasks.core.errors import RetainAIError
from tasks.core.message_facts import (  # noqa: F401  (the facts, importable from here)
    MessageFacts,
    Offer,
    Reason,
    build_facts,
    readable,
    tenure_band,
)
from tasks.core.prompts import FORMATS, MessageTemplates

SUBJECT_MAX = 120
EMAIL_BODY_MAX = 2000
CALL_TO_ACTION_MAX = 80
SMS_MAX_CHARS = 160  # the whole SMS, opt-out text included
SMS_OPT_OUT = " Reply STOP to opt out."
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
_PLACEHOLDER = re.compile(r"\[[A-Za-z][A-Za-z _]*\]|\{\{|\}\}|<[A-Za-z ]+>")


class InvalidAnswerError(RetainAIError):
    """A provider's answer is not a usable message (not JSON, missing or too long fields)."""


@dataclass(frozen=True)
class DraftMessage:
    """A message ready for its channel; an SMS has no subject and no separate call to action
    (the caller appends the opt-out text to its body)."""

    channel: Channel
    body: str
    subject: str | None = None
    call_to_action: str | None = None


def sms_body_limit(opt_out: str = SMS_OPT_OUT) -> int:
    """The longest SMS body that still fits one SMS once `opt_out` is appended."""
    return SMS_MAX_CHARS - len(opt_out)


def _check_channel(channel: str) -> Channel:
    if channel not in FORMATS:
        raise ValueError(f"channel {channel!r} is not one of the formats {FORMATS}")
    return channel  # type: ignore[return-value]


def _limits(channel: Channel, opt_out: str) -> dict[str, int]:
    if channel == "sms":
        return {"body": sms_body_limit(opt_out)}
    return {"subject": SUBJECT_MAX, "body": EMAIL_BODY_MAX, "call_to_action": CALL_TO_ACTION_MAX}


def build_prompt(
    facts: MessageFacts, channel: str, templates: MessageTemplates, opt_out: str = SMS_OPT_OUT
) -> list[dict[str, str]]:
    """The chat messages (system, user) asking for one customer's message on `channel`, in
    the facts' language (its prompt template, English when there is none)."""
    channel = _check_channel(channel)
    context = {**facts.as_context(), "channel": channel, "limits": _limits(channel, opt_out)}
    language = facts.language
    system = templates.render("retention", channel, "system", context, language).strip()
    user = templates.render("retention", channel, "user", context, language).strip()
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _json_object(text: str) -> dict[str, Any]:
    stripped = (text or "").strip()
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1)
    try:
        answer = json.loads(stripped)
    except json.JSONDecodeError as error:
        raise InvalidAnswerError(f"the answer is not JSON ({error.msg})") from None
    if not isinstance(answer, dict):
        raise InvalidAnswerError("the answer is not a JSON object")
    return answer


def _control(value: str, lines: bool) -> bool:
    """A control character or line separator in `value` (with `lines`, "\n" is allowed)."""
    return any(
        unicodedata.category(char) in ("Cc", "Zl", "Zp") and not (lines and char == "\n")
        for char in value
    )


def _field(answer: dict[str, Any], name: str, limit: int) -> str:
    value = answer.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidAnswerError(f"{name} is missing or empty")
    value = value.strip()
    if _control(value, lines=name == "body"):
        raise InvalidAnswerError(f"{name} contains a control character")
    if len(value) > limit:
        raise InvalidAnswerError(f"{name} has {len(value)} characters, more than {limit}")
    if _PLACEHOLDER.search(value):
        raise InvalidAnswerError(f"{name} contains a placeholder")
    return value


def parse_answer(text: str, channel: str, opt_out: str = SMS_OPT_OUT) -> DraftMessage:
    """The provider's answer as a message; InvalidAnswerError says what is wrong with it."""
    channel = _check_channel(channel)
    answer = _json_object(text)
    limits = _limits(channel, opt_out)
    fields = {name: _field(answer, name, limit) for name, limit in limits.items()}
    if channel == "sms" and "\n" in fields["body"]:
        fields["body"] = " ".join(fields["body"].split())
    return DraftMessage(channel=channel, **fields)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _paragraphs(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:-")
    return f"{cut or text[: limit - 1]}…"


def fallback_message(
    facts: MessageFacts, channel: str, templates: MessageTemplates, opt_out: str = SMS_OPT_OUT
) -> DraftMessage:
    """The channel's fallback template rendered for these facts (it adapts to the risk
    segment and the segment value); long offers are shortened to the channel's limits."""
    channel = _check_channel(channel)
    context = {**facts.as_context(), "channel": channel}
    limits = _limits(channel, opt_out)

    def block(name: str) -> str:
        return templates.render("fallback", channel, name, context, facts.language)

    if channel == "sms":
        body = _one_line(block("body"))
        if len(body) > limits["body"] and facts.offer.description:
            context["offer_description"] = ""
            body = _one_line(block("body"))
        return DraftMessage("sms", _shorten(body, limits["body"]))
    return DraftMessage(
        channel="email",
        subject=_shorten(_one_line(block("subject")), SUBJECT_MAX),
        body=_shorten(_paragraphs(block("body")), EMAIL_BODY_MAX),
        call_to_action=_shorten(_one_line(block("call_to_action")), CALL_TO_ACTION_MAX),
    )
