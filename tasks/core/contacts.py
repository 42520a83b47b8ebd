"""Contacts read from any source: ids canonical, consents read like labels, one clear error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tasks.core.coercion import as_text
from tasks.core.errors import InvalidInputError
from tasks.core.labels import label_key
from tasks.i18n import LANGUAGES, N_, supported

COLUMNS = (
    "customer_id",
    "first_name",
    "email",
    "phone",
    "consent_email",
    "consent_sms",
    "language",
)


def contact_rows(raw: pd.DataFrame, dataset: str) -> list[dict[str, Any]]:
    """Rows for the contacts table; consents are yes/no, true/false, 1/0 in any case; the
    optional language is a code we write in ('fr', 'fr-CA', 'EN'), stored as 'fr' or 'en',
    or blank (the table's default language)."""
    missing = [c for c in ("customer_id", "consent_email", "consent_sms") if c not in raw]
    if missing:
        raise InvalidInputError(N_("contacts lack columns %(missing)s"), missing=", ".join(missing))
    frame = pd.DataFrame({c: as_text(raw[c]) if c in raw else None for c in COLUMNS})
    if frame["customer_id"].isna().any():
        raise InvalidInputError(
            N_("%(n)s contacts have no customer_id"), n=int(frame["customer_id"].isna().sum())
        )
    repeated = frame["customer_id"].duplicated()
    if repeated.any():
        raise InvalidInputError(
            N_("customer ids repeated in contacts, e.g. %(example)r"),
            example=frame["customer_id"][repeated].iloc[0],
        )
    for column in ("consent_email", "consent_sms"):
        keys = frame[column].map(label_key)
        bad = ~keys.isin(["true", "false"])
        if bad.any():
            raise InvalidInputError(
                N_("%(column)s must be yes/no, e.g. %(example)r"),
                column=column,
                example=frame[column][bad].iloc[0],
            )
        frame[column] = keys == "true"
    given = frame["language"].notna()
    codes = frame["language"].map(lambda v: supported(v) if isinstance(v, str) else None)
    bad = given & codes.isna()
    if bad.any():
        raise InvalidInputError(
            N_("language must be one of %(allowed)s (or blank), e.g. not %(example)r"),
            allowed=", ".join(LANGUAGES),
            example=frame["language"][bad].iloc[0],
        )
    frame["language"] = codes.where(given, None)
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{"dataset": dataset, **record} for record in records]


def reachable(
    treated: pd.Series,
    channels: list[str],
    people: pd.DataFrame,
    blocked: pd.DataFrame,
    columns: Mapping[str, tuple[str, str]] | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The (customer_id, channel) pairs that may get a message, in audience order, and how
    many pairs were left out for each reason: no contact, no address, no consent, suppressed
    (checked in that order). `people` is indexed by customer_id; `blocked` has customer_id
    and channel ("all" blocks every channel); `columns` names each channel's (address,
    consent) columns (default: email for email, phone for the others; consent_<channel>)."""
    ids = pd.Index(treated.astype(str), name="customer_id")
    person = people.reindex(ids)
    known = ids.isin(people.index)
    pairs, skipped = [], {}
    for channel in channels:
        where, allowed = (columns or {}).get(
            channel, ("email" if channel == "email" else "phone", f"consent_{channel}")
        )
        address = person[where]
        consent = person[allowed].where(known, False).astype(bool).to_numpy()
        stopped = blocked.loc[blocked["channel"].isin([channel, "all"]), "customer_id"]
        reasons = {
            "no contact": ~known,
            f"no {channel} address": (address.isna() | (address.astype(str) == "")).to_numpy(),
            f"no {channel} consent": ~consent,
            "suppressed": ids.isin(stopped),
        }
        left = np.zeros(len(ids), dtype=bool)
        for reason, hit in reasons.items():
            new = hit & ~left
            if new.any():
                skipped[reason] = skipped.get(reason, 0) + int(new.sum())
            left |= new
        pairs.append(
            pd.DataFrame(
                {"customer_id": ids[~left], "channel": channel, "order": np.flatnonzero(~left)}
            )
        )
    frame = pd.concat(pairs, ignore_index=True).sort_values("order", kind="stable")
    return frame.drop(columns="order").reset_index(drop=True), skipped
