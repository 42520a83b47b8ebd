"""Unsubscribe tokens: who unsubscribes from which campaign, signed so nobody can forge one.

A token is `<payload>.<signature>`, both URL-safe base64 without padding. The payload is the
JSON `[campaign_id, customer_id, issued_at]`; the signature is HMAC-SHA256 over a purpose label
and the payload, so a token signed for another use of the same key never reads as this one.
The payload is signed, not encrypted: anyone holding the link can read the two ids.

The same tokens, signed for the purpose OFFER, carry the customer to an offer's page (the
call-to-action link of a campaign email): the page checks them with `read_token(...,
purpose=OFFER)`, and an offer token never unsubscribes anyone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from datetime import timedelta
from urllib.parse import quote, urlsplit

from tasks.core.errors import ConfigError, UnsubscribeTokenError, UnsubscribeTokenExpiredError

Id = int | str

PURPOSE = b"retainai/unsubscribe/v1\x00"
OFFER = b"retainai/offer/v1\x00"
MIN_SECRET_BYTES = 16
MAX_TOKEN_CHARS = 1024
PATH = "unsubscribe"


def _key(secret: str | bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else bytes(secret)
    if len(key) < MIN_SECRET_BYTES:
        raise ConfigError(f"the secret key must have at least {MIN_SECRET_BYTES} characters")
    return key


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: bytes, payload: str, purpose: bytes = PURPOSE) -> bytes:
    return hmac.new(key, purpose + payload.encode("ascii"), hashlib.sha256).digest()


def _check_id(value: object, what: str) -> Id:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"{what} must be an int or a str, not {type(value).__name__}")
    if isinstance(value, str) and not value:
        raise ValueError(f"{what} must not be empty")
    return value


def make_token(
    secret: str | bytes,
    campaign_id: Id,
    customer_id: Id,
    *,
    issued_at: float | None = None,
    purpose: bytes = PURPOSE,
) -> str:
    """A signed, URL-safe token naming the campaign and the customer (for `purpose`)."""
    ids = [_check_id(campaign_id, "campaign_id"), _check_id(customer_id, "customer_id")]
    stamp = int(time.time() if issued_at is None else issued_at)
    payload = _b64(json.dumps([*ids, stamp], separators=(",", ":")).encode())
    return f"{payload}.{_b64(_signature(_key(secret), payload, purpose))}"


def read_token(
    secret: str | bytes,
    token: str,
    *,
    max_age: float | timedelta | None = None,
    now: float | None = None,
    purpose: bytes = PURPOSE,
) -> tuple[Id, Id]:
    """(campaign_id, customer_id) of a token we signed; UnsubscribeTokenError otherwise.

    `max_age` (seconds or a timedelta) refuses older tokens with UnsubscribeTokenExpiredError,
    checked only after the signature, so an expiry never vouches for a forged token.
    """
    key = _key(secret)
    if (
        not isinstance(token, str)
        or not token.isascii()
        or len(token) > MAX_TOKEN_CHARS
        or token.count(".") != 1
    ):
        raise UnsubscribeTokenError("the unsubscribe token is malformed")
    payload, signature = token.split(".")
    expected = _b64(
        _signature(key, payload, purpose)
    )  # compared as text: one encoding per signature
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise UnsubscribeTokenError("the unsubscribe token's signature does not match")
    try:
        campaign_id, customer_id, issued_at = json.loads(_unb64(payload))
        ids = (_check_id(campaign_id, "campaign_id"), _check_id(customer_id, "customer_id"))
        if isinstance(issued_at, bool) or not isinstance(issued_at, int):
            raise TypeError("issued_at")
    except (binascii.Error, ValueError, TypeError):  # also JSON and unpacking errors
        raise UnsubscribeTokenError("the unsubscribe token's content is malformed") from None
    if max_age is not None:
        limit = max_age.total_seconds() if isinstance(max_age, timedelta) else float(max_age)
        age = (time.time() if now is None else now) - issued_at
        if age > limit:
            raise UnsubscribeTokenExpiredError(
                f"the unsubscribe token is {int(age)} s old, more than {int(limit)} s"
            )
    return ids


def unsubscribe_url(base_url: str, token: str) -> str:
    """The public link that unsubscribes: `<base_url>/unsubscribe/<token>`."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"the public URL must be an http(s) URL, not {base_url!r}")
    if parts.query or parts.fragment:
        raise ConfigError("the public URL must not have a query or a fragment")
    return f"{base_url.rstrip('/')}/{PATH}/{quote(token, safe='')}"


def offer_url(template: str, token: str, campaign_id: Id, customer_id: Id) -> str:
    """An offer's link (`OfferSpec.call_to_action_url`) for one customer: `{token}` (an OFFER
    token), `{campaign}` and `{customer}` filled in, each URL-quoted."""
    return template.format(
        token=quote(token, safe=""),
        campaign=quote(str(campaign_id), safe=""),
        customer=quote(str(customer_id), safe=""),
    )
