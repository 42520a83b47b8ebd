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


def test_how_a_message_was_written_and_its_offer_read_in_the_page_language():
    from jinja2 import Environment

    from configs.schema import load_config
    from serving.web.render import offer_name_filter, written_by_filter

    env = Environment(autoescape=True)
    env.filters.update(written_by=written_by_filter, offer_name=offer_name_filter)
    offers = load_config("configs/telco.yaml").campaigns.offers
    template = env.from_string("{{ path|written_by }} / {{ offer|offer_name }}")
    shown = template.render(path="template: no-key", offer="loyalty-discount", offers=offers)
    assert shown == "template (no language model key) / Loyalty discount"
    french = template.render(path="edited", offer="loyalty-discount", offers=offers, lang="fr")
    assert french == "modifié / Remise fidélité"
    fallback = template.render(path="template: HTTP 500", offer="gone", offers=offers, lang="fr")
    assert fallback == "modèle de message (HTTP 500) / gone"  # as recorded, not hidden


def test_moments_and_signed_changes_follow_the_language():
    from datetime import datetime

    from tasks.i18n.formatting import format_moment, format_signed

    assert format_moment(datetime(2026, 12, 7, 22, 30), "en") == "Dec 7, 2026 10:30\u202fPM"
    assert format_moment("2026-12-07T22:30:00+02:00", "fr") == "7 déc. 2026 22:30"
    assert format_signed(3.24, "fr", 1) == "+3,2"
    assert format_signed(-1234, "en") == "-1,234" and format_signed(0, "en") == "0"


def test_a_typed_error_is_translated_before_its_values_are_filled_in():
    from tasks.core.errors import NotFoundError, TooManyAttemptsError

    error = NotFoundError("no user %(id)s", id=7)
    assert str(error) == "no user 7" and error.template == "no user %(id)s"
    assert i18n.translate_error(error, "fr") == "aucun utilisateur 7"
    assert i18n.translate_error(error, "en") == "no user 7"
    waiting = TooManyAttemptsError(
        "too many wrong passwords: try again in %(n)s minutes", 900, n=15
    )
    assert waiting.retry_after == 900
    assert i18n.translate_error(waiting, "fr").endswith("réessayez dans 15 minutes")
    plain = NotFoundError("an English text of its own, 100% as is")
    assert i18n.translate_error(plain, "fr") == str(plain)


def test_stored_words_among_an_errors_values_are_translated():
    from tasks.core.errors import ConflictError

    error = ConflictError("campaign %(id)s is %(status)s: nothing to approve", id=3, status="sent")
    assert str(error) == "campaign 3 is sent: nothing to approve"
    assert i18n.translate_error(error, "fr") == (
        "la campagne 3 est au statut envoyé : rien à approuver"
    )


def test_a_stored_method_code_reads_as_its_name_in_the_page_language():
    from jinja2 import Environment

    from serving.web.render import word_filter

    env = Environment(autoescape=True)
    env.filters["word"] = word_filter
    template = env.from_string("{{ method|word }}")
    assert template.render(method="newcombe_hybrid_score", lang="en") == (
        "Newcombe&#39;s hybrid score interval"
    )
    assert template.render(method="fisher_exact", lang="fr") == "test exact de Fisher"
    assert template.render(method="Month-to-month", lang="fr") == "Month-to-month"


def test_a_campaign_service_error_keeps_english_and_reads_in_french():
    from pathlib import Path

    import pytest

    from configs.schema import load_config
    from tasks.core.audience import check_holdout_share
    from tasks.core.errors import ConflictError, InvalidInputError
    from tasks.services.campaigns.rules import offer_of

    config = load_config(Path(__file__).resolve().parents[2] / "configs" / "telco.yaml")
    name = next(n for n, spec in config.campaigns.offers.items() if "sms" not in spec.channels)
    with pytest.raises(ConflictError) as refused:
        offer_of(config, name, ["sms"])
    allowed = config.campaigns.offers[name].channels
    assert str(refused.value) == f"offer {name!r} may use {allowed}, not ['sms']"
    assert i18n.translate_error(refused.value, "fr") == (
        f"l'offre {name!r} peut utiliser {allowed}, pas ['sms']"
    )
    with pytest.raises(InvalidInputError) as share:
        check_holdout_share(0.9)
    assert str(share.value) == "holdout share 0.9 is outside (0, 0.5]"
    assert i18n.translate_error(share.value, "fr") == (
        "la part du groupe témoin 0,9 est hors de l'intervalle (0, 0,5]"
    )


def test_a_campaign_drafts_field_and_reason_read_in_french():
    from pathlib import Path

    import pytest

    from configs.schema import load_config
    from tasks.core.audience import AudienceFilter
    from tasks.services.campaigns import CampaignDraft, InvalidDraftError
    from tasks.services.campaigns.rules import checked_draft

    config = load_config(Path(__file__).resolve().parents[2] / "configs" / "telco.yaml")
    with pytest.raises(InvalidDraftError) as nameless:
        checked_draft(config, CampaignDraft())
    assert str(nameless.value) == "Campaign name: a campaign needs a name"
    assert i18n.translate_error(nameless.value, "fr") == (
        "Nom de la campagne : une campagne doit avoir un nom"
    )
    too_high = CampaignDraft(name="x", audience=AudienceFilter(min_probability=1.5))
    with pytest.raises(InvalidDraftError) as bounded:
        checked_draft(config, too_high)
    assert bounded.value.field == ("audience", "min_probability")  # the API's loc
    assert str(bounded.value) == "Lowest churn probability: 1.5 is outside [0, 1]"
    assert bounded.value.reason_in("fr") == "1,5 est hors de l'intervalle [0 ; 1]"
    assert i18n.translate_error(bounded.value, "fr") == (
        "Probabilité d'attrition minimale : 1,5 est hors de l'intervalle [0 ; 1]"
    )
    wrong = CampaignDraft(name="x", audience=AudienceFilter(risk_segments=("high", "huge")))
    with pytest.raises(InvalidDraftError) as item:
        checked_draft(config, wrong)
    assert i18n.translate_error(item.value, "fr").startswith(
        "Segments de risque, élément 2 : 'huge' ne fait pas partie de"
    )


def test_the_command_line_speaks_the_language_of_its_setting_or_locale():
    from flows.cli_common import cli_language, error_line
    from tasks.core.errors import NotFoundError

    assert cli_language({"LANG": "fr_FR.UTF-8"}) == "fr"
    assert cli_language({"LANG": "fr_FR.UTF-8", "LC_ALL": "C"}) == "en"  # LC_ALL wins
    assert cli_language({"LANG": "en_US.UTF-8", "LC_MESSAGES": "fr_CA.UTF-8"}) == "fr"
    assert cli_language({"LANG": "de_DE.UTF-8"}) == "en" and cli_language({}) == "en"
    assert cli_language({"RETAINAI_DEFAULT_LANGUAGE": "fr", "LANG": "en_GB.UTF-8"}) == "fr"
    missing = NotFoundError("no user %(id)s", id=7)
    assert error_line(missing, "fr") == "erreur : aucun utilisateur 7"
    assert error_line(missing, "en") == "error: no user 7"
    assert error_line(ValueError("plain\nsecond line"), "fr") == "erreur : plain"


def test_chart_numbers_use_the_languages_separators():
    import html
    import json
    import re

    from serving import charts

    kpis = {"segments": {"high": {"count": 1234, "share": 0.125}}}

    def spec(drawn: str) -> dict:
        return json.loads(html.unescape(re.search(r'data-chart="([^"]+)"', drawn).group(1)))

    french = spec(charts.segment_chart(kpis, _=i18n.Translator("fr")))
    assert french["layout"]["separators"] == ",\u202f"  # Babel's fr: decimal, thousands
    assert french["data"][0]["text"] == ["12,5\u00a0%"]
    english = spec(charts.segment_chart(kpis))
    assert english["layout"]["separators"] == ".," and english["data"][0]["text"] == ["12.5%"]
    curve = spec(charts.profit_chart([1, 2], [3.0, 4.0], 1500, 1200, _=i18n.Translator("fr")))
    assert [note["text"] for note in curve["layout"]["annotations"]] == [
        "optimum 1\u202f500",
        "choix 1\u202f200",
    ]


def test_money_keeps_the_digits_asked_for():
    from tasks.i18n.formatting import format_money

    assert format_money(0.0123, "EUR", "fr", 4) == "0,0123\u00a0€"
    assert format_money(0.0123, "USD", "en", 4) == "$0.0123"
    assert format_money(1234.5, "EUR", "fr") == "1\u202f234\u00a0€"


def test_contacts_customer_filters_and_rollbacks_are_refused_in_french():
    import pandas as pd
    import pytest

    from tasks.core.contacts import contact_rows
    from tasks.core.errors import InvalidInputError, RegistryError
    from tasks.core.promotion import rollback_target
    from tasks.services.customers.commands import customer_filter

    bad = pd.DataFrame({"customer_id": ["C1"], "consent_email": ["maybe"], "consent_sms": ["no"]})
    with pytest.raises(InvalidInputError) as consent:
        contact_rows(bad, "telco")
    assert str(consent.value) == "consent_email must be yes/no, e.g. 'maybe'"
    assert i18n.translate_error(consent.value, "fr") == (
        "consent_email doit valoir oui/non (yes/no), par exemple pas 'maybe'"
    )
    with pytest.raises(InvalidInputError) as limit:
        customer_filter(limit=0)
    assert str(limit.value) == "limit: at least 1"
    assert i18n.translate_error(limit.value, "fr") == "limit : au moins 1"
    with pytest.raises(InvalidInputError) as unknown:
        customer_filter(colour="blue")
    assert i18n.translate_error(unknown.value, "fr") == (
        "colour : ce n'est pas un filtre de la liste des clients"
    )
    with pytest.raises(RegistryError) as none:
        rollback_target([], None)
    assert i18n.translate_error(none.value, "fr") == "il n'y a pas de champion à annuler"


def test_outcome_events_roles_and_quarantines_are_refused_in_french():
    import pandas as pd
    import pytest

    from tasks.core.campaign_report import event_rows
    from tasks.core.contract import quarantine_limit
    from tasks.core.errors import ConflictError, ForbiddenError, InvalidInputError
    from tasks.core.policy import require

    members = pd.Series(["C1", "C2"])
    odd = pd.DataFrame({"customer_id": ["C1"], "event": ["waved"]})
    with pytest.raises(InvalidInputError) as unknown:
        event_rows(odd, 4, members)
    assert i18n.translate_error(unknown.value, "fr").startswith(
        "événements inconnus waved ; connus : delivered, opened"
    )
    outside = pd.DataFrame({"customer_id": ["C9"], "event": ["retained"]})
    with pytest.raises(ConflictError) as stranger:
        event_rows(outside, 4, members)
    assert i18n.translate_error(stranger.value, "fr") == "clients absents de la campagne 4 : C9"
    with pytest.raises(ForbiddenError) as refused:
        require("viewer", "campaigns")
    assert str(refused.value) == "the viewer role may not do this (campaigns)"
    assert i18n.translate_error(refused.value, "fr") == (
        "le rôle lecteur ne permet pas de faire ceci (campaigns)"
    )
    too_many = quarantine_limit(1234, 5000, 0.05, "tenure (1234)")
    assert str(too_many).startswith("1,234 of 5,000 rows (24.7%) break row rules")
    assert i18n.translate_error(too_many, "fr").startswith(
        "1\u202f234 lignes sur 5\u202f000 (24,7\u00a0%) enfreignent les règles de ligne, "
        "au-delà de la limite de 5,0\u00a0%"
    )
