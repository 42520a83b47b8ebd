"""Translations and locale formatting shared by the pages, the emails and the campaign code.

Catalogues are plain gettext `.po` files under `tasks/i18n/locales/<lang>/LC_MESSAGES`, read
with Babel when first asked for (no compile step). A string missing from a catalogue falls back
to its English source, as gettext does; the catalogue tests fail on any such gap."""

from __future__ import annotations

import math
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def catalogue_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / "messages.po"


@cache
def translations(language: str) -> Translations:
    """The compiled catalogue of `language` (English, the source language, needs none)."""
    path = catalogue_path(language)
    if language not in LANGUAGES or language == "en" or not path.exists():
        return Translations()
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return Translations(buffer)


def gettext(language: str, message: str, **values: object) -> str:
    text = translations(language).ugettext(message)
    return text % values if values else text


def plural(language: str, singular: str, many: str, n: int, **values: object) -> str:
    """The singular or plural of a message for `n` in `language` (`%(num)s` is `n`)."""
    text = translations(language).ungettext(singular, many, n)
    return text % {"num": n, **values}


def supported(language: str | None) -> str | None:
    """`language` reduced to one we ship ('fr-CA' -> 'fr'), or None."""
    if not language:
        return None
    code = language.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The first language of an Accept-Language header that we ship, by quality."""
    if not header:
        return None
    ranked = []
    for position, part in enumerate(header.split(",")):
        code, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        ranked.append((-quality, position, code))
    for _quality, _position, code in sorted(ranked):
        if found := supported(code):
            return found
    return None


def choose_language(
    chosen: str | None, default: str | None, accept_language: str | None = None
) -> str:
    """The user's own choice, else the deployment's default, else the browser's, else English."""
    return (
        supported(chosen)
        or supported(default)
        or from_accept_language(accept_language)
        or DEFAULT_LANGUAGE
    )


class Translator:
    """`_("text", name=value)` in `language`, for code that writes words itself (a page's
    notices, a chart's titles); `language` tells it how to write numbers too."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, message: str, **values: object) -> str:
        return gettext(self.language, message, **values)


def locale_of(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LANGUAGE)


def N_(message: str) -> str:
    """Marks `message` for the catalogues where it is defined; it is translated where it is
    shown (`gettext(language, message)`, or `_(message)` in a template)."""
    return message


class Phrase:
    """A piece of a message translated on its own (a field's name, a reason): `template`
    marked with `N_` and its named values; `str()` is the English text."""

    def __init__(self, template: str, **values: object) -> None:
        self.template = template
        self.values = values

    def __str__(self) -> str:
        return self.in_language(DEFAULT_LANGUAGE)

    def __repr__(self) -> str:
        return f"Phrase({str(self)!r})"

    def in_language(self, language: str) -> str:
        text = translations(language).ugettext(self.template)
        values = words_in(language, self.values)
        try:
            return text % values if values else text
        except (KeyError, TypeError, ValueError):  # a broken catalogue entry: the English text
            return self.template % self.values if self.values else self.template


class Count(int):
    """A count in a message (rows, values), written with the reader's thousands separator
    ('2,000,000', '2 000 000'); an id stays a plain int, written as is."""

    def __str__(self) -> str:
        return f"{int(self):,}"


class Share(float):
    """A share in a message (0.125), written as a percent in the reader's way ('12.5%',
    '12,5 %')."""

    def __str__(self) -> str:
        return f"{float(self):.1%}"


def _value_in(language: str, value: object, catalogue: Translations) -> object:
    from babel import numbers

    from tasks.i18n.words import WORDS

    if isinstance(value, Phrase):
        return value.in_language(language)
    if isinstance(value, str) and value in WORDS:
        return catalogue.ugettext(value)
    if isinstance(value, Count):
        return numbers.format_decimal(int(value), format="#,##0", locale=locale_of(language))
    if isinstance(value, Share):
        pattern = locale_of(language).percent_formats[None].pattern.split(";")[0]
        pattern = pattern.replace("0", "0.0", 1)
        return numbers.format_percent(float(value), format=pattern, locale=locale_of(language))
    if isinstance(value, float) and math.isfinite(value):  # 0,5 in French; ids are ints
        return numbers.format_decimal(value, format="#,##0.######", locale=locale_of(language))
    return value


def words_in(language: str, values: dict[str, object]) -> dict[str, object]:
    """`values` in `language`: the stored words among them (a status, a role) and the
    phrases translated, the decimal numbers written with the language's separators."""
    catalogue = translations(language)
    return {key: _value_in(language, value, catalogue) for key, value in values.items()}


def translate_error(error: Exception, language: str) -> str:
    """A typed error's message in `language`: its template looked up in the catalogue, then
    filled in with its values (the English text when the catalogue lacks it)."""
    template = getattr(error, "template", None)
    if not template:
        return str(error)
    catalogue = translations(language)
    values = words_in(language, getattr(error, "values", None) or {})
    text = catalogue.ugettext(template)
    try:
        return text % values if values else text
    except (KeyError, TypeError, ValueError):  # a broken catalogue entry: the English text
        return str(error)
