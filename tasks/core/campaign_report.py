"""A campaign's report: what it sent, what was accepted, and the retention lift it caused
against its randomised holdout, each figure with its interval and method named.

Outcome events are long rows (customer_id, event): delivered, opened, clicked, accepted, and
at the campaign's horizon retained or churned. Customers with neither outcome are counted as
not yet known and left out of the lift.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from configs.campaigns import OfferSpec
from tasks.core.audience import HOLDOUT, TREATED
from tasks.core.errors import ConflictError, InvalidInputError
from tasks.core.lift import lift_interval, revenue_interval
from tasks.i18n import N_

EVENTS = ("delivered", "opened", "clicked", "accepted", "retained", "churned")


def event_rows(raw: pd.DataFrame, campaign_id: int, members: pd.Series) -> list[dict[str, Any]]:
    """Validated event rows of one campaign: customer_id, event, occurred_at and an event key
    (given, else customer:event), refusing unknown events and customers outside the audience."""
    missing = [c for c in ("customer_id", "event") if c not in raw.columns]
    if missing:
        raise InvalidInputError(N_("events lack columns %(missing)s"), missing=", ".join(missing))
    ids = raw["customer_id"].astype(str).str.strip()
    kinds = raw["event"].astype(str).str.strip().str.lower()
    unknown = sorted(set(kinds) - set(EVENTS))
    if unknown:
        raise InvalidInputError(
            N_("unknown events %(unknown)s; known: %(known)s"),
            unknown=", ".join(unknown[:5]),
            known=", ".join(EVENTS),
        )
    outsiders = sorted(set(ids) - set(members.astype(str)))
    if outsiders:
        raise ConflictError(
            N_("customers not in campaign %(id)s: %(customers)s"),
            id=campaign_id,
            customers=", ".join(outsiders[:5]),
        )
    when = pd.to_datetime(raw["occurred_at"], utc=True) if "occurred_at" in raw else None
    keys = raw["event_key"].astype(str) if "event_key" in raw else ids + ":" + kinds
    now = pd.Timestamp.now(tz="UTC")
    return [
        {
            "campaign_id": campaign_id,
            "customer_id": i,
            "event": k,
            "event_key": key,
            "occurred_at": (when.iloc[n] if when is not None else now).to_pydatetime(),
        }
        for n, (i, k, key) in enumerate(zip(ids, kinds, keys, strict=True))
    ]


def campaign_report(
    members: pd.DataFrame,
    events: pd.DataFrame,
    messages: pd.DataFrame,
    offer: OfferSpec,
    seed: int = 0,
) -> dict[str, Any]:
    """Counts, retention treated vs holdout, the lift with Newcombe's interval and p-value,
    revenue retained (saved) and net of offer and contact costs, each with a bootstrap
    interval, and what writing the messages cost."""
    has = {kind: set(events.loc[events["event"] == kind, "customer_id"]) for kind in EVENTS}
    arms = {arm: members[members["arm"] == arm] for arm in (TREATED, HOLDOUT)}
    known = has["retained"] | has["churned"]
    sent = messages[messages["status"] == "sent"] if len(messages) else messages
    report: dict[str, Any] = {
        "audience": len(members),
        "treated": len(arms[TREATED]),
        "holdout": len(arms[HOLDOUT]),
        "messages_sent": len(sent),
        "customers_contacted": int(sent["customer_id"].nunique()) if len(sent) else 0,
        **{kind: len(has[kind] & set(arms[TREATED]["customer_id"])) for kind in EVENTS[:4]},
        "generation_cost": round(float(messages["cost"].sum()), 6) if len(messages) else 0.0,
        "generation_tokens": int((messages["prompt_tokens"] + messages["completion_tokens"]).sum())
        if len(messages)
        else 0,
    }
    outcome = {arm: rows[rows["customer_id"].isin(known)] for arm, rows in arms.items()}
    retained = {
        arm: rows["customer_id"].isin(has["retained"]).to_numpy() for arm, rows in outcome.items()
    }
    report["outcomes_known"] = {arm: len(rows) for arm, rows in outcome.items()}
    if min(len(rows) for rows in outcome.values()) == 0:
        report["lift"] = report["revenue"] = report["revenue_saved"] = None
        report["note"] = "no retained/churned outcomes yet in both arms: nothing to measure"
        return report
    lift = lift_interval(
        int(retained[TREATED].sum()),
        len(retained[TREATED]),
        int(retained[HOLDOUT].sum()),
        len(retained[HOLDOUT]),
    )
    report["lift"] = asdict(lift)
    values = outcome[TREATED]["lifetime_value"].to_numpy(dtype=float)
    if np.isnan(values).all():
        report["revenue"] = report["revenue_saved"] = None  # no value role: no revenue
        return report
    accepted = outcome[TREATED]["customer_id"].isin(has["accepted"]).to_numpy()
    revenue = revenue_interval(
        retained[TREATED],
        np.nan_to_num(values),
        retained[HOLDOUT],
        accepted,
        offer.cost_per_acceptance,
        offer.cost_per_contact,
        seed=seed,
    )
    report["revenue"] = asdict(revenue)
    saved = revenue_interval(  # the same resamples (same seed), no costs: revenue saved
        retained[TREATED],
        np.nan_to_num(values),
        retained[HOLDOUT],
        accepted,
        0.0,
        0.0,
        seed=seed,
    )
    report["revenue_saved"] = {
        "value": saved.incremental_revenue,
        "low": saved.low,
        "high": saved.high,
        "level": saved.level,
        "method": saved.method,
    }
    return report
