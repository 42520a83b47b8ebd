"""Campaign audiences: who is worth a contact, by expected profit, and who is held out.

Expected profit of contacting a customer, over the lifetime horizon:
    P(churn) x value retained x acceptance - contact cost - acceptance x offer cost
where the value retained is the customer's lifetime value (the value role's revenue over the
horizon); every accepter is paid the offer, those who would have stayed anyway included. A
table without a value role ranks by risk and has no profit curve.

Ranked by uplift instead (candidates carry `expected_uplift`, an uplift model's rise in the
probability of staying when contacted, measured against a holdout):
    expected uplift x value retained - contact cost - acceptance x offer cost
so sure things and lost causes (uplift near 0) and sleeping dogs (below 0) fall to the end.

The holdout is drawn within each risk segment: customers are ordered by a stable hash of
(campaign id, customer id) and the first `share` of each segment (rounded half up) is held
out, so shares are exact per stratum and the draw is reproducible.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from configs.vocabulary import TARGET_SEGMENTS
from tasks.core.errors import ConflictError, InvalidInputError
from tasks.i18n import N_

HOLDOUT, TREATED = "holdout", "treated"
UPLIFT = "expected_uplift"
UPLIFT_RANKING = "uplift"
RANKINGS = {  # ranking -> what it ranks by, in business words
    "risk": "churn risk",
    "profit": "expected profit",
    UPLIFT_RANKING: "expected uplift",
}


@dataclass(frozen=True)
class Offer:
    """An offer of the catalogue: what a contact costs and how often it is taken."""

    name: str
    cost_per_acceptance: float
    cost_per_contact: float
    acceptance_rate: float
    channels: tuple[str, ...]


@dataclass(frozen=True)
class ProfitCurve:
    """Cumulative expected profit of contacting the best `size` candidates, size = 0..n."""

    sizes: np.ndarray
    profit: np.ndarray

    @property
    def best_size(self) -> int:
        return int(self.sizes[int(np.argmax(self.profit))])

    @property
    def best_profit(self) -> float:
        return float(self.profit.max())


def expected_profit(candidates: pd.DataFrame, offer: Offer) -> np.ndarray:
    """Per candidate (churn_probability or expected_uplift, and lifetime_value): the expected
    profit of a contact (see the module docstring)."""
    value = np.nan_to_num(candidates["lifetime_value"].to_numpy(dtype=float))
    accept = offer.acceptance_rate
    if UPLIFT in candidates:
        gain = candidates[UPLIFT].to_numpy(dtype=float) * value
    else:
        gain = candidates["churn_probability"].to_numpy(dtype=float) * value * accept
    return gain - offer.cost_per_contact - accept * offer.cost_per_acceptance


def rank_candidates(
    candidates: pd.DataFrame, offer: Offer, by_value: bool, rank: str | None = None
) -> pd.DataFrame:
    """Candidates best first, with `expected_profit` (NaN without a value role) and `rank`
    (1 = contacted first); ties by customer id. `rank` (see RANKINGS): "risk" by churn
    probability alone (the profit still computed with a value role), "profit" by expected
    profit, "uplift" by expected profit from uplift (by uplift without a value role); None:
    uplift when the candidates carry it, else profit with a value role, else risk."""
    ranked = candidates.copy()
    rank = rank or default_ranking(UPLIFT in candidates, by_value)
    score = UPLIFT if rank == UPLIFT_RANKING else "churn_probability"
    if score not in candidates:
        raise ValueError("ranking by uplift needs the candidates' expected uplift")
    ranked["expected_profit"] = expected_profit(candidates, offer) if by_value else np.nan
    keys = ["expected_profit", score] if by_value and rank != "risk" else [score]
    ids = ranked["customer_id"].to_numpy(dtype=str)
    id_order = np.empty(len(ids), dtype=np.int64)
    id_order[np.argsort(ids, kind="stable")] = np.arange(len(ids))
    descending = [-ranked[key].to_numpy(dtype=float) for key in reversed(keys)]
    ranked = ranked.iloc[np.lexsort([id_order, *descending])]  # missing figures last
    ranked["rank"] = np.arange(1, len(ranked) + 1)
    return ranked.reset_index(drop=True)


def default_ranking(has_uplift: bool, by_value: bool) -> str:
    """The ranking when none is chosen: uplift when known, else profit, else risk."""
    return UPLIFT_RANKING if has_uplift else "profit" if by_value else "risk"


def without_customers(candidates: pd.DataFrame, ids: Iterable[str]) -> pd.DataFrame:
    """The candidates but these customers (e.g. contacted too recently)."""
    return candidates[~candidates["customer_id"].astype(str).isin(set(ids))]


def profit_curve(ranked: pd.DataFrame) -> ProfitCurve:
    """The profit of contacting the first k ranked candidates, for every k (k = 0 included)."""
    gains = np.nan_to_num(ranked["expected_profit"].to_numpy(dtype=float))
    return ProfitCurve(np.arange(len(gains) + 1), np.concatenate([[0.0], np.cumsum(gains)]))


def choose_audience(ranked: pd.DataFrame, limit: int | None, by_value: bool) -> pd.DataFrame:
    """The contacted audience: the first `limit` ranked candidates, else (with a value role)
    the size that maximises expected profit, else everyone matched."""
    if limit is None and by_value:
        limit = profit_curve(ranked).best_size
    chosen = ranked.head(limit) if limit is not None else ranked
    if chosen.empty:
        raise ConflictError("the audience matches no one: widen the filter or raise the limit")
    return chosen


def holdout_order(campaign_id: int, customer_ids: pd.Series) -> np.ndarray:
    """A stable pseudo-random key per customer of one campaign (the same on every run)."""
    prefix = f"{campaign_id}:".encode()
    return np.array(
        [
            int.from_bytes(hashlib.sha256(prefix + str(c).encode()).digest()[:8], "big")
            for c in customer_ids.tolist()
        ],
        dtype=np.uint64,
    )


def check_holdout_share(share: float) -> None:
    if not 0.0 < share <= 0.5:
        raise InvalidInputError(N_("holdout share %(share)s is outside (0, 0.5]"), share=share)


def assign_holdout(audience: pd.DataFrame, campaign_id: int, share: float) -> pd.Series:
    """`holdout` or `treated` per audience row: within each risk segment the `share` of
    customers first in the stable hash order is held out (round(share x n), half up)."""
    check_holdout_share(share)
    key = holdout_order(campaign_id, audience["customer_id"])
    groups = pd.Series(TREATED, index=audience.index, dtype=object)
    for _, rows in audience.groupby("risk_segment", sort=True).groups.items():
        positions = audience.index.get_indexer(rows)
        ordered = positions[np.argsort(key[positions], kind="stable")]
        held = int(np.floor(share * len(ordered) + 0.5))
        groups.iloc[ordered[:held]] = HOLDOUT
    return groups


@dataclass(frozen=True)
class AudienceFilter:
    """Which current scores a campaign may contact; every given condition must hold."""

    risk_segments: tuple[str, ...] = TARGET_SEGMENTS
    min_probability: float | None = None
    max_probability: float | None = None
    segment_values: tuple[str, ...] | None = None
    min_lifetime_value: float | None = None
    limit: int | None = None  # None: the profit-maximising size (or everyone, by risk)


def select_candidates(scores: pd.DataFrame, wanted: AudienceFilter) -> pd.DataFrame:
    """The current scores that pass the filter (customer_id, churn_probability, risk_segment,
    segment_value, lifetime_value, ...)."""
    keep = scores["risk_segment"].isin(wanted.risk_segments).to_numpy()
    probability = scores["churn_probability"].to_numpy(dtype=float)
    if wanted.min_probability is not None:
        keep &= probability >= wanted.min_probability
    if wanted.max_probability is not None:
        keep &= probability <= wanted.max_probability
    if wanted.segment_values is not None:
        keep &= scores["segment_value"].isin(wanted.segment_values).to_numpy()
    if wanted.min_lifetime_value is not None:
        value = scores["lifetime_value"].to_numpy(dtype=float)
        keep &= np.nan_to_num(value, nan=-np.inf) >= wanted.min_lifetime_value
    return scores.loc[keep].reset_index(drop=True)
