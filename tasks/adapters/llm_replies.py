"""What a chat-completions reply holds: its text (None when the body is not a chat
completion), its token counts, and a refusal's Retry-After."""

from __future__ import annotations

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessage
from openai.types.chat.chat_completion import Choice


def completion_text(response: object) -> str | None:
    """The text of a well-formed chat completion ("" when its message has none, as for a
    refusal); None when the body is not a chat completion: the SDK hands back a text page as
    a str and JSON of any shape as an unchecked model."""
    choices = getattr(response, "choices", None) if isinstance(response, ChatCompletion) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Choice):
        return None
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    if not isinstance(message, ChatCompletionMessage) or not isinstance(content, str | None):
        return None
    return content or ""


def tokens(usage: object, name: str) -> int:
    value = getattr(usage, name, 0)
    return value if isinstance(value, int) and value > 0 else 0


def retry_after(error: openai.APIStatusError) -> float | None:
    value = error.response.headers.get("retry-after") if error.response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
