"""Who may get a message on which channel, and why the others do not."""

from __future__ import annotations

import pandas as pd

from tasks.core.contacts import reachable

PEOPLE = pd.DataFrame(
    {
        "customer_id": ["A", "B", "C", "D", "E"],
        "email": ["a@x.test", "", "c@x.test", "d@x.test", "e@x.test"],
        "phone": ["+1", "+2", None, "+4", "+5"],
        "consent_email": [True, True, True, False, True],
        "consent_sms": [True, True, True, True, False],
    }
).set_index("customer_id")
BLOCKED = pd.DataFrame({"customer_id": ["E", "A"], "channel": ["all", "sms"]})


def test_pairs_in_audience_order_and_reasons_in_precedence():
    treated = pd.Series(["E", "Z", "D", "C", "B", "A"])
    pairs, skipped = reachable(treated, ["email", "sms"], PEOPLE, BLOCKED)
    assert list(pairs.itertuples(index=False, name=None)) == [
        ("D", "sms"),
        ("C", "email"),
        ("B", "sms"),
        ("A", "email"),
    ]
    assert skipped == {
        "no contact": 2,  # Z on both channels
        "no email address": 1,  # B
        "no sms address": 1,  # C
        "no email consent": 1,  # D
        "no sms consent": 1,  # E: consent is checked before the suppression
        "suppressed": 2,  # E by email ("all"), A by sms
    }


def test_nobody_reachable_gives_an_empty_frame_with_its_columns():
    pairs, skipped = reachable(pd.Series(["Q"]), ["email"], PEOPLE, BLOCKED.iloc[:0])
    assert pairs.empty and list(pairs.columns) == ["customer_id", "channel"]
    assert skipped == {"no contact": 1}


def test_the_contacts_language_is_one_we_write_in_or_blank():
    import pytest

    from tasks.core.contacts import contact_rows
    from tasks.core.errors import InvalidInputError

    raw = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C"],
            "first_name": ["Ada", "Ben", None],
            "consent_email": ["yes", "no", "yes"],
            "consent_sms": ["no", "no", "yes"],
            "language": ["FR-ca", "", "en"],
        }
    )
    rows = contact_rows(raw, "telco")
    assert [r["language"] for r in rows] == ["fr", None, "en"]
    without = contact_rows(raw.drop(columns="language"), "telco")
    assert all(r["language"] is None for r in without)
    with pytest.raises(InvalidInputError, match=r"language must be one of en, fr.*'de'"):
        contact_rows(raw.assign(language=["fr", "de", None]), "telco")
