"""Versioned message templates: LLM prompts and fallback messages, rendered in a sandbox.

Files are named `<kind>-<channel>-<version>.j2` (e.g. `retention-email-v1.j2`,
`fallback-sms-v1.j2`), a French variant `<kind>-<channel>-<version>.fr.j2`; the stem is the
version recorded with every message. Templates are
the project's own files (never uploaded by users), rendered by Jinja2's SandboxedEnvironment
with undefined variables as errors. Each template defines named blocks: prompts `system` and
`user`, fallbacks `subject` (email only), `body` and `call_to_action` (email only). Output
is plain text (a prompt or the text of a message), so it is not HTML-escaped; a template
whose name contains `.html` would be.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import DictLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from tasks.core.errors import ConfigError

KINDS = ("retention", "fallback")
# the message formats written (each channel writes one: tasks/adapters/deliverers.py)
FORMATS = ("email", "sms")
# the languages a template may be written in; English, the source language, is required
LANGUAGES = ("en", "fr")
_NAME = re.compile(r"^(retention|fallback)-(email|sms)-(v[0-9]+)(?:\.(fr))?$")


@dataclass(frozen=True)
class TemplateName:
    kind: str  # retention (an LLM prompt) | fallback (a message written without the LLM)
    channel: str  # email | sms
    version: str  # v1, v2, ...
    language: str = "en"  # a French variant's stem ends in ".fr": retention-email-v1.fr

    @property
    def stem(self) -> str:
        suffix = "" if self.language == "en" else f".{self.language}"
        return f"{self.kind}-{self.channel}-{self.version}{suffix}"

    @classmethod
    def parse(cls, stem: str) -> TemplateName:
        found = _NAME.match(stem)
        if not found:
            raise ConfigError(f"template name {stem!r} is not <kind>-<channel>-v<N>[.fr]")
        kind, channel, version, language = found.groups()
        return cls(kind, channel, version, language or "en")


def _autoescape(name: str | None) -> bool:
    return name is not None and ".html" in name


class MessageTemplates:
    """One prompt and one fallback template per channel and language, compiled once; English
    is required, another language falls back to it where it has no template of its own."""

    def __init__(self, sources: Mapping[str, str]):
        """`sources`: template stem -> Jinja2 text, one retention and one fallback per channel
        in English, and optionally per channel in other languages."""
        self.names = {name: TemplateName.parse(name) for name in sources}
        self._env = SandboxedEnvironment(
            loader=DictLoader(dict(sources)),
            undefined=StrictUndefined,
            autoescape=_autoescape,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._by_role: dict[tuple[str, str, str], str] = {}
        for stem, name in self.names.items():
            key = (name.kind, name.channel, name.language)
            if key in self._by_role:
                raise ConfigError(f"two {name.kind} templates for {name.channel}")
            self._by_role[key] = stem
            try:
                self._env.get_template(stem)
            except TemplateError as error:
                raise ConfigError(f"template {stem} does not compile: {error}") from error
        missing = [f"{k}-{c}" for k in KINDS for c in FORMATS if (k, c, "en") not in self._by_role]
        if missing:
            raise ConfigError(f"no template for {', '.join(missing)}")

    def stem(self, kind: str, channel: str, language: str = "en") -> str:
        """The versioned name of the kind's template for a channel in `language` (English
        when it has none), e.g. 'retention-sms-v1' or 'retention-sms-v1.fr'."""
        return self._by_role.get((kind, channel, language)) or self._by_role[(kind, channel, "en")]

    def render(
        self,
        kind: str,
        channel: str,
        block: str,
        context: Mapping[str, Any],
        language: str = "en",
    ) -> str:
        """One block of the channel's template; '' when the template has no such block."""
        template = self._env.get_template(self.stem(kind, channel, language))
        if block not in template.blocks:
            return ""
        return "".join(template.blocks[block](template.new_context(dict(context))))


def load_templates(
    folder: Path, prompt_version: str = "v1", fallback_version: str = "v1"
) -> MessageTemplates:
    """The retention prompts of `prompt_version` and fallbacks of `fallback_version`, in
    English (required) and in every other language whose file is there."""
    sources = {}
    for kind, version in (("retention", prompt_version), ("fallback", fallback_version)):
        for channel in FORMATS:
            for language in LANGUAGES:
                stem = TemplateName(kind, channel, version, language).stem
                path = Path(folder) / f"{stem}.j2"
                if path.is_file():
                    sources[stem] = path.read_text(encoding="utf-8")
                elif language == "en":
                    raise ConfigError(f"template file {path} is missing")
    return MessageTemplates(sources)
