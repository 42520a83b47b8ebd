"""Message facts, prompts, answer checks and fallback templates (no provider involved)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from configs.schema import load_config
from tasks.core.errors import ConfigError
from tasks.core.message_facts import Reason, churn_reasons
from tasks.core.messages import (
    EMAIL_BODY_MAX,
    SMS_MAX_CHARS,
    SMS_OPT_OUT,
    InvalidAnswerError,
    MessageFacts,
    Offer,
    build_facts,
    build_prompt,
    fallback_message,
    parse_answer,
    readable,
    sms_body_limit,
    tenure_band,
)
from tasks.core.prompts import MessageTemplates, load_templates

REPO = Path(__file__).resolve().parents[2]
CONFIG = load_config(REPO / "configs" / "telco.yaml")
TEMPLATES = load_templates(REPO / "configs" / "prompts")
OFFER = Offer("a free month", "One month at no charge when you renew for a year.")
REASONS = [
    {"feature": "customerID", "value": "7590-VHVEG", "contribution": 0.9},
    {"feature": "Contract", "value": "Month-to-month", "contribution": 0.8},
    {"feature": "MonthlyCharges", "value": 104.35, "contribution": 0.4},
    {"feature": "TotalCharges", "value": 3046.05, "contribution": 0.3},
    {"feature": "tenure_band", "value": "0-6", "contribution": 0.2},
    {"feature": "TechSupport", "value": "Yes", "contribution": -0.1},
    {"feature": "PaymentMethod", "value": "jane.doe@example.com", "contribution": 0.05},
]
CUSTOMER = {
    "customer_id": "7590-VHVEG",
    "name": "Jane Doe",
    "email": "jane.doe@example.com",
    "phone": "+1 555 0100",
    "risk_segment": "high",
    "churn_probability": 0.83,
    "monthly_value": 104.35,
    "lifetime_value": 1234.56,
    "segment_value": "Month-to-month",
    "tenure": 3,
    "top_reasons": json.dumps(REASONS),
}
PRIVATE = ["7590", "VHVEG", "Jane", "Doe", "jane.doe", "555", "104.35", "3046", "1234", "0.83"]


def facts(**changes) -> MessageFacts:
    return build_facts({**CUSTOMER, **changes}, CONFIG, OFFER)


def test_readable_splits_camel_case_and_underscores():
    assert readable("MonthlyCharges") == "monthly charges"
    assert readable("tenure_band") == "tenure band"
    assert readable("PaperlessBilling") == "paperless billing"
    assert readable("customerID") == "customer ID"


def test_facts_carry_segment_tenure_and_reasons_in_plain_words():
    found = facts()
    assert (found.risk_segment, found.segment_name, found.segment_value) == (
        "high",
        "contract",
        "Month-to-month",
    )
    assert found.tenure_band == "0-6 months"
    phrases = [r.phrase for r in found.reasons]
    assert phrases[0] == "Contract: Month-to-month (raises risk)"
    assert "monthly charges" not in " ".join(phrases).lower()  # the value role is never a reason
    assert len(found.reasons) == CONFIG.model.top_reasons


def test_facts_never_carry_identifiers_contacts_or_charges():
    found = facts()
    everything = json.dumps(found.as_context()) + repr(found)
    for text in PRIVATE:
        assert text not in everything
    every_reason = churn_reasons(json.dumps(REASONS), CONFIG)  # no limit
    assert every_reason[-1] == Reason("Payment method", None, True)  # not an allowed value
    shown = repr(every_reason).lower()
    assert "customer" not in shown and "monthly charges" not in shown


def test_numeric_reasons_keep_the_direction_but_not_the_number():
    found = build_facts({**CUSTOMER, "top_reasons": REASONS[3:6]}, CONFIG, OFFER)
    assert [r.phrase for r in found.reasons] == [
        "Total charges (raises risk)",
        "Tenure: 0-6 months (raises risk)",  # a band, read as its business column
        "Tech support: Yes (lowers risk)",
    ]


def test_message_reasons_merge_a_column_and_show_its_band_never_its_number():
    merged = [
        {"feature": "tenure", "value": 1.0, "contribution": 0.5},
        {"feature": "log_tenure", "value": 0.693147, "contribution": 0.3},
        {"feature": "SeniorCitizen", "value": 1, "contribution": 0.1},
    ]
    found = churn_reasons(merged, CONFIG)
    assert [r.phrase for r in found] == [
        "Tenure: 0-6 months (raises risk)",
        "Senior citizen: Yes (raises risk)",
    ]


def test_tenure_band_from_months_from_reasons_or_absent():
    assert tenure_band(30, [0, 6, 12, 24, 48, 1000]) == "24-48 months"
    assert tenure_band(72, [0, 6, 12, 24, 48, 1000]) == "48+ months"
    assert tenure_band(0) == "0-6 months" and tenure_band(5000) == "48+ months"
    last_band = [{"feature": "tenure_band", "value": "48-1000", "contribution": 0.1}]
    assert facts(tenure=None, top_reasons=last_band).tenure_band == "48+ months"
    assert facts(tenure=None).tenure_band == "0-6 months"  # read from the tenure_band reason
    no_band = build_facts({**CUSTOMER, "tenure": None, "top_reasons": "[]"}, CONFIG, OFFER)
    assert no_band.tenure_band is None and no_band.reasons == ()


def test_unknown_segment_value_and_risk_segment():
    assert facts(segment_value="Jane's plan").segment_value is None
    with pytest.raises(ValueError, match="risk_segment"):
        facts(risk_segment="extreme")


def test_prompt_is_system_and_user_and_carries_no_private_data():
    for channel in ("email", "sms"):
        messages = build_prompt(facts(), channel, TEMPLATES)
        assert [m["role"] for m in messages] == ["system", "user"]
        text = json.dumps(messages)
        assert "Month-to-month" in text and "a free month" in text
        for private in PRIVATE:
            assert private not in text
    sms = build_prompt(facts(), "sms", TEMPLATES)[0]["content"]
    assert f"at most {sms_body_limit()} characters" in sms


def test_parse_a_valid_email_answer_even_in_a_code_fence():
    text = json.dumps({"subject": "Hi", "body": "Stay with us.", "call_to_action": "Claim"})
    draft = parse_answer(f"```json\n{text}\n```", "email")
    assert (draft.subject, draft.body, draft.call_to_action) == ("Hi", "Stay with us.", "Claim")


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("Sure! Here is your e-mail", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"subject": "Hi", "body": "x"}), "call_to_action is missing"),
        (json.dumps({"subject": "", "body": "x", "call_to_action": "Go"}), "subject is missing"),
        (json.dumps({"subject": "x" * 121, "body": "x", "call_to_action": "Go"}), "121"),
        (json.dumps({"subject": "x", "body": "x" * 2001, "call_to_action": "Go"}), "2001"),
        (json.dumps({"subject": "x", "body": "x", "call_to_action": "x" * 81}), "81"),
        (json.dumps({"subject": "Hi [Name]", "body": "x", "call_to_action": "Go"}), "placeholder"),
        (json.dumps({"subject": "x", "body": 12, "call_to_action": "Go"}), "body is missing"),
    ],
)
def test_invalid_email_answers_raise_a_typed_error(answer, problem):
    with pytest.raises(InvalidAnswerError, match=problem):
        parse_answer(answer, "email")


def test_sms_length_counts_the_opt_out_text():
    limit = sms_body_limit()
    assert limit == SMS_MAX_CHARS - len(SMS_OPT_OUT)
    fits = parse_answer(json.dumps({"body": "x" * limit}), "sms")
    assert fits.subject is None and len(fits.body + SMS_OPT_OUT) == SMS_MAX_CHARS
    with pytest.raises(InvalidAnswerError, match="more than"):
        parse_answer(json.dumps({"body": "x" * (limit + 1)}), "sms")
    longer_opt_out = " Text STOP to end these messages, free of charge."
    with pytest.raises(InvalidAnswerError):
        parse_answer(json.dumps({"body": "x" * limit}), "sms", opt_out=longer_opt_out)


@pytest.mark.parametrize("segment", ["high", "medium", "low"])
def test_fallbacks_differ_by_risk_segment_and_fit_their_channel(segment):
    email = fallback_message(facts(risk_segment=segment), "email", TEMPLATES)
    sms = fallback_message(facts(risk_segment=segment), "sms", TEMPLATES)
    assert email.subject and email.call_to_action and len(email.body) <= EMAIL_BODY_MAX
    assert "a free month" in email.body and "Month-to-month" in email.body
    assert len(sms.body + SMS_OPT_OUT) <= SMS_MAX_CHARS and "\n" not in sms.body
    for private in PRIVATE:
        assert private not in email.body + email.subject + sms.body


def test_fallbacks_adapt_to_segment_value():
    subjects = {
        s: fallback_message(facts(risk_segment=s), "email", TEMPLATES)
        for s in ("high", "medium", "low")
    }
    assert len({m.subject for m in subjects.values()}) == 3
    two_year = fallback_message(facts(segment_value="Two year"), "sms", TEMPLATES)
    assert "Two year contract" in two_year.body
    no_segment = fallback_message(facts(segment_value=None), "sms", TEMPLATES)
    assert "contract" not in no_segment.body


def test_long_offers_are_shortened_to_fit_an_sms():
    wordy = Offer("a loyalty bundle " * 6, "Details " * 40)
    found = build_facts(CUSTOMER, CONFIG, wordy)
    sms = fallback_message(found, "sms", TEMPLATES)
    assert len(sms.body) <= sms_body_limit() and sms.body.endswith("…")


def test_templates_are_sandboxed_and_versioned():
    assert TEMPLATES.stem("retention", "email") == "retention-email-v1"
    assert TEMPLATES.stem("fallback", "sms") == "fallback-sms-v1"
    sources = {
        "retention-email-v1": "{% block user %}{{ offer_name.__class__.__mro__ }}{% endblock %}",
        "retention-sms-v1": "{% block user %}x{% endblock %}",
        "fallback-email-v1": "{% block body %}x{% endblock %}",
        "fallback-sms-v1": "{% block body %}x{% endblock %}",
    }
    unsafe = MessageTemplates(sources)
    with pytest.raises(Exception, match="unsafe"):
        build_prompt(facts(), "email", unsafe)
    with pytest.raises(ConfigError, match="fallback-sms"):
        MessageTemplates({k: v for k, v in sources.items() if k != "fallback-sms-v1"})
    with pytest.raises(ConfigError, match="missing"):
        load_templates(REPO / "configs" / "prompts", prompt_version="v99")


def test_prompts_carry_tenure_plan_and_reasons_in_business_words_in_the_customers_language():
    english = build_prompt(facts(), "email", TEMPLATES)[1]["content"]
    assert "Customer for: 0-6 months." in english
    assert "Current contract: Month-to-month." in english
    assert "What may make this customer leave:\n- Contract: Month-to-month" in english
    keeps = build_facts({**CUSTOMER, "top_reasons": REASONS[5:6]}, CONFIG, OFFER)
    kept = build_prompt(keeps, "email", TEMPLATES)[1]["content"]
    assert "What keeps this customer with us:\n- Tech support: Yes" in kept
    assert "churn risk)" not in english  # the model's wording stays out of the reasons
    french = build_facts({**CUSTOMER}, CONFIG, OFFER, language="fr")
    system, user = (m["content"] for m in build_prompt(french, "email", TEMPLATES))
    assert "en français" in system and "Client depuis : 0-6 months." in user
    assert "Ce qui pourrait le faire partir :\n- Contract: Month-to-month" in user
    for private in PRIVATE:
        assert private not in system + user
    assert TEMPLATES.stem("retention", "email", "fr") == "retention-email-v1.fr"
    assert TEMPLATES.stem("retention", "email", "de") == "retention-email-v1"  # none: English


def test_the_tenure_band_is_read_from_the_duration_reason_without_its_number():
    reasons = [{"feature": "tenure", "value": 30, "contribution": -0.2}]
    found = build_facts({**CUSTOMER, "tenure": None, "top_reasons": reasons}, CONFIG, OFFER)
    assert found.tenure_band == "24-48 months"
    assert "30" not in json.dumps(found.as_context())


def test_fallbacks_leave_the_greeting_to_the_sender_and_speak_french():
    english = fallback_message(facts(), "email", TEMPLATES)
    assert not english.body.startswith("Hello") and "a free month" in english.subject
    french = fallback_message(build_facts(CUSTOMER, CONFIG, OFFER, "fr"), "email", TEMPLATES)
    assert french.subject == "Avant de décider : a free month vous attend"
    assert french.call_to_action == "Profiter de l'offre"
    sms = fallback_message(build_facts(CUSTOMER, CONFIG, OFFER, "fr"), "sms", TEMPLATES)
    assert "espace client" in sms.body and len(sms.body) <= sms_body_limit()
