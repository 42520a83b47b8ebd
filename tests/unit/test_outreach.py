"""Message-IDs stable per campaign, customer and channel; SMS texts that fit one SMS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tasks.core.errors import SmsExportError
from tasks.core.outreach import (
    OPT_OUT_TEXT,
    domain_of,
    due_campaigns,
    message_id,
    sms_text,
    sms_units,
)


def test_message_id_is_stable_and_distinct():
    first = message_id(7, "7590-VHVEG", "email", "retain.example")
    assert first == message_id(7, "7590-VHVEG", "email", "Retain.Example")
    assert first.startswith("<retainai.email.") and first.endswith("@retain.example>")
    assert "7590" not in first
    others = {
        message_id(8, "7590-VHVEG", "email", "retain.example"),
        message_id(7, "7590-VHVEH", "email", "retain.example"),
        message_id(7, "7590-VHVEG", "sms", "retain.example"),
        message_id("7", "7590-VHVEG", "email", "retain.example"),
    }
    assert first not in others and len(others) == 4


@pytest.mark.parametrize(("channel", "domain"), [("fax", "a.example"), ("email", "bad domain")])
def test_message_id_refuses_unknown_channels_and_domains(channel, domain):
    with pytest.raises(ValueError):
        message_id(1, 1, channel, domain)


def test_domain_of():
    assert domain_of("RetainAI <news@Retain.Example>") == "retain.example"
    with pytest.raises(ValueError):
        domain_of("nobody")


def test_sms_text_appends_the_opt_out_and_counts_as_the_network_does():
    assert sms_text("Your offer is ready.") == f"Your offer is ready. {OPT_OUT_TEXT}"
    room = 160 - len(OPT_OUT_TEXT) - 1
    assert len(sms_text("x" * room)) == 160
    with pytest.raises(SmsExportError, match="161 characters"):
        sms_text("x" * (room + 1), message_id="m1")
    assert sms_units("[€]") == (6, 160)
    with pytest.raises(SmsExportError, match="161"):
        sms_text("€" + "x" * (room - 1))  # the euro sign takes two places
    assert sms_units("Hi 😀") == (5, 70)
    with pytest.raises(SmsExportError, match="holds 70"):
        sms_text("😀 " + "x" * 60)


@pytest.mark.parametrize(("text", "opt_out"), [("  ", OPT_OUT_TEXT), ("hello", " ")])
def test_sms_text_needs_a_text_and_an_opt_out(text, opt_out):
    with pytest.raises(SmsExportError):
        sms_text(text, opt_out)


def test_due_campaigns_are_approved_or_cut_short_and_their_time_has_come():
    now = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    campaigns = [
        {"id": 5, "status": "approved", "scheduled_at": None},
        {"id": 2, "status": "approved", "scheduled_at": now - timedelta(minutes=1)},
        {"id": 3, "status": "approved", "scheduled_at": now + timedelta(minutes=1)},
        {"id": 4, "status": "draft", "scheduled_at": None},
        {"id": 6, "status": "sending", "scheduled_at": datetime(2026, 11, 30, 9, 0)},  # naive
        {"id": 7, "status": "sent", "scheduled_at": None},
    ]
    assert due_campaigns(campaigns, now) == [2, 5, 6]
