"""Unsubscribe tokens: round trip, forgery and tampering refused, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tasks.core.errors import ConfigError, UnsubscribeTokenError, UnsubscribeTokenExpiredError
from tasks.core.unsubscribe import make_token, read_token, unsubscribe_url

SECRET = "a-test-secret-of-some-length"


@pytest.mark.parametrize(("campaign", "customer"), [(7, "7590-VHVEG"), (1, 42), ("c-9", "ü é")])
def test_token_round_trips_and_is_url_safe(campaign, customer):
    token = make_token(SECRET, campaign, customer)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert read_token(SECRET, token) == (campaign, customer)


def test_every_altered_character_is_refused():
    token = make_token(SECRET, 7, "7590-VHVEG", issued_at=1_700_000_000)
    for i, char in enumerate(token):
        for replacement in {"A", "B", "_", "."} - {char}:
            tampered = token[:i] + replacement + token[i + 1 :]
            with pytest.raises(UnsubscribeTokenError):
                read_token(SECRET, tampered)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "é.é", "x" * 5000, "e30.e30"])
def test_malformed_tokens_are_refused(token):
    with pytest.raises(UnsubscribeTokenError):
        read_token(SECRET, token)


def test_another_key_or_a_swapped_payload_is_refused():
    token = make_token(SECRET, 7, "alice")
    with pytest.raises(UnsubscribeTokenError, match="signature"):
        read_token("another-secret-entirely", token)
    other = make_token(SECRET, 7, "bob")
    forged = token.split(".")[0] + "." + other.split(".")[1]
    with pytest.raises(UnsubscribeTokenError):
        read_token(SECRET, forged)


def test_max_age_refuses_old_tokens_only():
    token = make_token(SECRET, 3, "carol", issued_at=1_000)
    assert read_token(SECRET, token, max_age=60, now=1_060) == (3, "carol")
    with pytest.raises(UnsubscribeTokenExpiredError):
        read_token(SECRET, token, max_age=60, now=1_061)
    with pytest.raises(UnsubscribeTokenExpiredError):
        read_token(SECRET, token, max_age=timedelta(days=1), now=1_000 + 86_401)
    assert issubclass(UnsubscribeTokenExpiredError, UnsubscribeTokenError)


def test_a_short_secret_is_a_configuration_error():
    with pytest.raises(ConfigError):
        make_token("short", 1, "x")


def test_unsubscribe_url():
    assert unsubscribe_url("https://retain.example/", "abc.def") == (
        "https://retain.example/unsubscribe/abc.def"
    )
    assert (
        unsubscribe_url("https://x.example/api", "t.s") == "https://x.example/api/unsubscribe/t.s"
    )
    for bad in ("retain.example", "ftp://x", "https://x.example/?a=1"):
        with pytest.raises(ConfigError):
            unsubscribe_url(bad, "t.s")
