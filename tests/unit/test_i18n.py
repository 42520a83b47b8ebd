"""The language a page is written in, and numbers, money and dates per language."""

from datetime import date

from tasks import i18n
from tasks.i18n.formatting import format_date, format_money, format_number, format_percent


def test_language_is_the_users_then_the_default_then_the_browsers():
    assert i18n.choose_language("fr", "en", "en-GB") == "fr"
    assert i18n.choose_language(None, "fr", "en-GB") == "fr"
    assert i18n.choose_language(None, None, "de-DE, fr-CA;q=0.8, en;q=0.5") == "fr"
    assert i18n.choose_language(None, None, "en;q=0.2, fr;q=0.9") == "fr"
    assert i18n.choose_language("de", None, "de") == "en"


def test_french_catalogue_translates_and_english_is_the_source():
    assert i18n.gettext("fr", "Log out") == "Se déconnecter"
    assert i18n.gettext("en", "Log out") == "Log out"


def test_numbers_money_and_dates_follow_the_language():
    assert format_number(12345.678, "en", 1) == "12,345.7"
    assert format_number(12345.678, "fr", 1) == "12\u202f345,7"
    assert format_percent(0.121, "fr") == "12,1\u00a0%"
    assert format_money(100190.4, "EUR", "en") == "€100,190"
    assert format_money(-5930, "EUR", "fr") == "-5\u202f930\u00a0€"
    assert format_date(date(2026, 12, 7), "fr") == "7 déc. 2026"
    assert format_date("2026-12-07", "en") == "Dec 7, 2026"


def test_the_money_filter_takes_the_currency_before_the_page_language():
    from jinja2 import Environment

    from serving.web.render import money_filter

    env = Environment(autoescape=True)
    env.filters["money"] = money_filter
    template = env.from_string("{{ amount|money(currency) }} {{ cost|money(currency, 2) }}")
    shown = template.render(amount=100190.4, cost=0.5, currency="EUR", lang="fr")
    assert shown == "100\u202f190\u00a0€ 0,50\u00a0€"
    assert template.render(amount=-5930, cost=1, currency="USD", lang="en") == "-$5,930 $1.00"
