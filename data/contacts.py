"""Made-up contacts for generated customers (names, addresses on a reserved domain, consents),
for demos and tests: the scores hold no addresses, and the Telco table has none."""

from __future__ import annotations

import numpy as np
import pandas as pd

FIRST_NAMES = (
    "Ada",
    "Ben",
    "Chloe",
    "Dev",
    "Elif",
    "Femi",
    "Grace",
    "Hugo",
    "Ines",
    "Jon",
    "Kai",
    "Lena",
    "Milo",
    "Nora",
    "Omar",
    "Pia",
    "Ravi",
    "Sara",
    "Tom",
    "Yuki",
)


def generate_contacts(
    customer_ids,
    seed: int,
    email_consent: float = 0.9,
    sms_consent: float = 0.6,
    french: float = 0.2,
) -> pd.DataFrame:
    """customer_id, first_name, email (at example.test, which never delivers), phone (+1 555
    numbers reserved for fiction), consent_email, consent_sms, language ('fr' for a `french`
    share, blank for the rest: the table's default); same arguments, same frame."""
    ids = pd.Series(customer_ids, dtype=object).astype(str).reset_index(drop=True)
    rng = np.random.default_rng(seed)
    names = np.array(FIRST_NAMES, dtype=object)[rng.integers(0, len(FIRST_NAMES), len(ids))]
    slug = ids.str.lower().str.replace(r"[^a-z0-9]+", "-", regex=True)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "first_name": names,
            "email": (pd.Series(names).str.lower() + "." + slug + "@example.test").to_numpy(),
            "phone": [f"+1555{n:07d}" for n in rng.integers(0, 10**7, len(ids))],
            "consent_email": rng.random(len(ids)) < email_consent,
            "consent_sms": rng.random(len(ids)) < sms_consent,
            "language": np.where(rng.random(len(ids)) < french, "fr", None),
        }
    )
