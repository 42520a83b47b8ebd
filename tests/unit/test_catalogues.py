"""The catalogues are complete: every string the pages, emails and errors may show (extracted
from the source now, as `make messages` does) has a French translation with the same
placeholders, and no French entry is left in English but the few words that are the same in
both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tasks import i18n
from tasks.i18n.extraction import KEYWORDS, extract, placeholders

REPO = Path(__file__).resolve().parents[2]
# French entries allowed to equal their English source: words spelled the same in French,
# names of products, units and codes
SAME_IN_FRENCH = frozenset({"Audience", "Champion", "Challenger", "Messages", "Segment", "Version"})


@pytest.fixture(scope="module")
def source():
    return {m.id: m for m in extract() if m.id}


@pytest.fixture(scope="module", params=[lang for lang in i18n.LANGUAGES if lang != "en"])
def catalogue(request):
    with i18n.catalogue_path(request.param).open("rb") as handle:
        return read_po(handle, locale=request.param)


def _translated(message) -> bool:
    """Whether an entry has its translation (every form of a plural one)."""
    string = message.string
    return all(string) if isinstance(string, tuple) else bool(string)


def _pairs(message) -> list[tuple[str, str]]:
    """(English, translation) of an entry: a plural one's singular with its first form, its
    plural with each other form."""
    if not isinstance(message.id, tuple):
        return [(message.id, message.string)]
    singular, many = message.id
    first, *others = message.string
    return [(singular, first), *((many, other) for other in others)]


def _where(message) -> str:
    return ", ".join(f"{path}:{line}" for path, line in message.locations[:2])


def test_the_extraction_finds_pages_errors_and_stored_words(source):
    assert len(source) > 250
    for expected in ("Log out", "Not found", "wrong email or password", "viewer", "Churn rate"):
        assert expected in source, expected
    assert "Campaign %(id)s" in source and "95%% interval" in source
    # a template's plural: its singular and plural forms
    assert ("%(num)s customer matches", "%(num)s customers match") in source


def test_every_string_has_a_translation(source, catalogue):
    missing = [
        f"{message_id!r} ({_where(message)})"
        for message_id, message in source.items()
        if not (catalogue.get(message_id) and _translated(catalogue.get(message_id)))
    ]
    assert not missing, (
        f"{len(missing)} strings lack a {catalogue.locale} translation (run `make messages`,"
        " then fill in the msgstr):\n" + "\n".join(missing)
    )


def test_no_translation_is_left_in_english(source, catalogue):
    same = [
        repr(m.id)
        for m in catalogue
        if m.id and m.string == m.id and m.id in source and m.id not in SAME_IN_FRENCH
    ]
    assert not same, f"{catalogue.locale} entries equal to their English source:\n" + "\n".join(
        same
    )


def test_translations_keep_the_placeholders(catalogue):
    wrong = [
        f"{english!r}: {placeholders(english)} != {placeholders(french)}"
        for m in catalogue
        if m.id
        for english, french in _pairs(m)
        if french and placeholders(english) != placeholders(french)
    ]
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_translations_format_with_the_values_of_their_source(catalogue):
    """Filled in as the code fills the English text (a template's `_()` always formats, so a
    literal percent sign is `%%` in both)."""
    broken = []
    for english, french in (pair for m in catalogue if m.id for pair in _pairs(m)):
        if not (french and "%" in english):
            continue
        values = {name: "x" for name in re.findall(r"%\((\w+)\)", english)}
        try:
            french % values
        except (KeyError, TypeError, ValueError) as error:
            broken.append(f"{english!r}: {error}")
    assert not broken, "translations that do not format:\n" + "\n".join(broken)


def test_the_placeholder_check_itself():
    assert placeholders("%(n)s rows, 95%% interval") == ["ns"]
    assert placeholders("%(email)r is %s") == ["emailr", "s"]
    assert placeholders("%(n)s lignes") != placeholders("%(m)s lignes")


def test_make_messages_uses_the_same_keywords_as_the_tests():
    recipe = (REPO / "Makefile").read_text().split("\nmessages:", 1)[1].split("\n\n", 1)[0]
    given = set(re.findall(r"-k (\S+)", recipe))
    expected = {
        name if spec is None else f"{name}:{','.join(map(str, spec))}"
        for name, spec in KEYWORDS.items()
    }
    assert given == expected
