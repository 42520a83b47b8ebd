"""Numbers, money and dates written the way a reader of each language expects (Babel)."""

from __future__ import annotations

from datetime import date, datetime

from babel import dates, numbers

from tasks.i18n import locale_of

MISSING = "\u2013"  # an en dash where there is no value


def format_number(value: float | int | None, language: str, digits: int = 0) -> str:
    if value is None:
        return MISSING
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return numbers.format_decimal(value, format=pattern, locale=locale_of(language))


def format_percent(value: float | None, language: str, digits: int = 1) -> str:
    """`value` is a share (0.125 -> 12.5 %)."""
    if value is None:
        return MISSING
    locale = locale_of(language)
    pattern = locale.percent_formats[None].pattern.split(";")[0]
    if digits:
        pattern = pattern.replace("0", "0." + "0" * digits, 1)
    return numbers.format_percent(value, format=pattern, locale=locale)


def format_money(value: float | None, currency: str, language: str, digits: int = 0) -> str:
    if value is None:
        return MISSING
    locale = locale_of(language)
    pattern = locale.currency_formats["standard"].pattern
    pattern = pattern.replace(".00", "." + "0" * digits if digits else "")
    return numbers.format_currency(
        round(value, digits), currency, format=pattern, locale=locale, currency_digits=False
    )


def format_date(value: date | datetime | str | None, language: str) -> str:
    if value is None or value == "":
        return MISSING
    if isinstance(value, str):
        value = (
            datetime.fromisoformat(value)
            if "T" in value or " " in value
            else date.fromisoformat(value)
        )
    if isinstance(value, datetime):
        return dates.format_datetime(value, format="medium", locale=locale_of(language))
    return dates.format_date(value, format="medium", locale=locale_of(language))


def format_moment(value: datetime | str | None, language: str) -> str:
    """A date and time to the minute ('Dec 7, 2026, 10:30 PM', '7 déc. 2026, 22:30')."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    locale = locale_of(language)
    moment = dates.format_date(value, format="medium", locale=locale)
    clock = dates.format_time(value, format="short", locale=locale)
    return f"{moment} {clock}"


def format_signed(value: float | int | None, language: str, digits: int = 0) -> str:
    """A change with its sign: +3.2, -1,5, 0."""
    if value is None:
        return MISSING
    shown = format_number(value, language, digits)
    return "+" + shown if value > 0 and not shown.startswith("+") else shown
