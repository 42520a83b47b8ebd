"""The strings to translate, extracted from the source as `make messages` does (pybabel with
tasks/i18n/babel.cfg and these keywords), and the checks a catalogue must pass."""

from __future__ import annotations

import re

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from tasks.i18n import LOCALES

ROOT = LOCALES.parent.parent.parent  # the repository
MAPPING = LOCALES.parent / "babel.cfg"
# keyword -> which arguments are the message (1-based); the same `-k` options as `make messages`
# `plural(language, singular, plural, n)` in Python, `ngettext(singular, plural, n)` in a
# template (its `num=` counts as an argument: no count of arguments tells them apart)
KEYWORDS = {"_": None, "N_": None, "gettext": (2,), "plural": (2, 3), "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([sdifr%])")


def extract() -> Catalog:
    """Every message the pages, emails and errors may show, with where it is used."""
    with MAPPING.open() as handle:
        methods, options = parse_mapping_cfg(handle)
    catalogue = Catalog(project="RetainAI")
    found = extract_from_dir(ROOT, methods, options, keywords=KEYWORDS, strip_comment_tags=True)
    for filename, line, message, comments, context in found:
        catalogue.add(message, None, [(filename, line)], auto_comments=comments, context=context)
    return catalogue


def placeholders(text: str) -> list[str]:
    """The `%(name)s` / `%s` fields of a message, sorted (`%%` is a literal percent sign)."""
    return sorted(f"{name or ''}{kind}" for name, kind in PLACEHOLDER.findall(text) if kind != "%")
