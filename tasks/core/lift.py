"""The lift a retention campaign causes, measured against its randomised holdout.

Retention lift is the treated retention rate minus the holdout retention rate. Its interval is
Newcombe's hybrid score interval (Newcombe 1998, method 10), built from the Wilson score
interval of each rate: it keeps close to nominal coverage for small groups and rates near 0 or
1, where the Wald interval does not. The two-sided p-value is the pooled two-proportion z-test
when every expected cell count is at least 5, else Fisher's exact test.

Revenue retained net of costs has a percentile bootstrap interval; see `revenue_interval`.
Every function exists in a vectorised form over many campaigns (`lift_intervals`,
`revenue_intervals`) that runs the same formulas on arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

NEWCOMBE = "newcombe_hybrid_score"
POOLED_Z = "pooled_two_proportion_z"
FISHER = "fisher_exact"
BOOTSTRAP = "percentile_bootstrap"
MIN_EXPECTED = 5.0  # smallest expected cell count for the z-test; below it Fisher's exact test
_BLOCK = 1 << 21  # resampled customers drawn at once by the bootstrap (bounds memory)


@dataclass(frozen=True)
class LiftEstimate:
    """Treated minus holdout retention rate with its interval and p-value."""

    treated_rate: float
    holdout_rate: float
    lift: float  # treated_rate - holdout_rate
    low: float
    high: float
    level: float
    p_value: float  # two-sided, H0: equal retention rates
    method: str  # the interval: NEWCOMBE
    test: str  # the p-value: POOLED_Z or FISHER
    treated_n: int
    holdout_n: int


@dataclass(frozen=True)
class LiftArrays:
    """`lift_intervals` per campaign: the same figures as LiftEstimate, as arrays."""

    treated_rate: np.ndarray
    holdout_rate: np.ndarray
    lift: np.ndarray
    low: np.ndarray
    high: np.ndarray
    p_value: np.ndarray  # pooled two-proportion z-test
    level: float
    method: str = NEWCOMBE
    test: str = POOLED_Z


@dataclass(frozen=True)
class RevenueEstimate:
    """Net incremental revenue of a campaign with a percentile bootstrap interval."""

    net_revenue: float  # incremental revenue - offer costs - contact costs
    low: float
    high: float
    level: float
    lift: float  # treated minus holdout retention rate
    incremental_revenue: float  # lift x treated customers' value over the horizon
    offer_costs: float  # cost per accepted offer x accepters
    contact_costs: float  # cost per contact x contacts
    resamples: int
    method: str = BOOTSTRAP


@dataclass(frozen=True)
class RevenueArrays:
    """`revenue_intervals` per campaign."""

    net_revenue: np.ndarray
    low: np.ndarray
    high: np.ndarray
    level: float
    resamples: int
    method: str = BOOTSTRAP


def _z(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    return float(stats.norm.ppf(0.5 + level / 2.0))


def wilson_interval(successes: Any, n: Any, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of successes / n (arrays broadcast; n > 0 is the caller's check).

    (2x + z^2 -/+ z sqrt(z^2 + 4x(n - x)/n)) / (2(n + z^2)), z the two-sided normal quantile."""
    x, n = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    z = _z(level)
    half = z * np.sqrt(z * z + 4.0 * x * (n - x) / n)
    denominator = 2.0 * (n + z * z)
    low = np.clip((2.0 * x + z * z - half) / denominator, 0.0, 1.0)
    high = np.clip((2.0 * x + z * z + half) / denominator, 0.0, 1.0)
    return low, high


def _check_counts(retained: np.ndarray, n: np.ndarray, group: str) -> None:
    if np.any(n <= 0):
        raise ValueError(f"the {group} group is empty: a lift needs customers in both groups")
    if np.any(retained < 0) or np.any(retained > n):
        raise ValueError(f"{group} retained counts must lie between 0 and the group size")
    if np.any(retained != np.round(retained)) or np.any(n != np.round(n)):
        raise ValueError(f"{group} counts must be whole numbers")


def lift_intervals(
    treated_retained: Any,
    treated_n: Any,
    holdout_retained: Any,
    holdout_n: Any,
    level: float = 0.95,
) -> LiftArrays:
    """Newcombe hybrid score intervals and pooled z-test p-values for many campaigns at once.

    With p1, p2 the rates and (l1, u1), (l2, u2) their Wilson intervals, the lift p1 - p2 has
    low = p1 - p2 - sqrt((p1 - l1)^2 + (u2 - p2)^2) and
    high = p1 - p2 + sqrt((u1 - p1)^2 + (p2 - l2)^2).
    The z-test: z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)), p the pooled rate; p-value 1
    when both groups are all retained or all lost (no variation, no evidence of a difference).
    A group of size 0 raises ValueError; zero retained customers is a valid count."""
    x1, n1 = np.asarray(treated_retained, dtype=float), np.asarray(treated_n, dtype=float)
    x2, n2 = np.asarray(holdout_retained, dtype=float), np.asarray(holdout_n, dtype=float)
    _check_counts(x1, n1, "treated")
    _check_counts(x2, n2, "holdout")
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, level)
    l2, u2 = wilson_interval(x2, n2, level)
    lift = p1 - p2
    low = lift - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = lift + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    pooled = (x1 + x2) / (n1 + n2)
    spread = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(spread > 0, lift / spread, 0.0)
    p_value = 2.0 * stats.norm.sf(np.abs(z))
    return LiftArrays(p1, p2, lift, low, high, p_value, float(level))


def lift_interval(
    treated_retained: int,
    treated_n: int,
    holdout_retained: int,
    holdout_n: int,
    level: float = 0.95,
) -> LiftEstimate:
    """The retention lift of one campaign: Newcombe interval, z-test or Fisher p-value.

    Fisher's exact test replaces the z-test when any expected count of the 2 x 2 table
    (retained / lost by group under equal rates) is below MIN_EXPECTED."""
    found = lift_intervals(treated_retained, treated_n, holdout_retained, holdout_n, level)
    x1, n1, x2, n2 = (int(v) for v in (treated_retained, treated_n, holdout_retained, holdout_n))
    pooled = (x1 + x2) / (n1 + n2)
    expected = min(n1, n2) * min(pooled, 1.0 - pooled)
    p_value, test = float(found.p_value), POOLED_Z
    if expected < MIN_EXPECTED:
        table = [[x1, n1 - x1], [x2, n2 - x2]]
        p_value, test = float(stats.fisher_exact(table).pvalue), FISHER
    return LiftEstimate(
        treated_rate=float(found.treated_rate),
        holdout_rate=float(found.holdout_rate),
        lift=float(found.lift),
        low=float(found.low),
        high=float(found.high),
        level=float(level),
        p_value=min(p_value, 1.0),
        method=NEWCOMBE,
        test=test,
        treated_n=n1,
        holdout_n=n2,
    )


def _as_rows(values: Any, name: str, dtype: type) -> np.ndarray:
    array = np.asarray(values, dtype=dtype)
    if array.ndim != 2:
        raise ValueError(f"{name} must be one row of customers per campaign")
    return array


def revenue_intervals(
    treated_retained: Any,
    treated_value: Any,
    holdout_retained: Any,
    treated_accepted: Any,
    offer_cost: float,
    contact_cost: float,
    *,
    level: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> RevenueArrays:
    """`revenue_interval` for many campaigns of equal group sizes: arrays campaigns x customers.

    Each resample draws the treated customers (retained, value, accepted together) with
    replacement and, independently, the holdout customers. A holdout customer carries only
    "retained", so its resampled retained count is drawn as Binomial(holdout size, holdout
    rate), which is exactly the distribution of that count under resampling. Draws are made
    in blocks of campaigns and resamples (no loop per resample); same seed, same interval."""
    retained = _as_rows(treated_retained, "treated_retained", float)
    value = _as_rows(treated_value, "treated_value", float)
    accepted = _as_rows(treated_accepted, "treated_accepted", float)
    holdout = _as_rows(holdout_retained, "holdout_retained", float)
    campaigns, n = retained.shape
    if value.shape != retained.shape or accepted.shape != retained.shape:
        raise ValueError("treated_retained, treated_value and treated_accepted differ in shape")
    if n == 0 or holdout.shape[1] == 0:
        raise ValueError("a revenue interval needs customers in both groups")
    if holdout.shape[0] != campaigns:
        raise ValueError("treated and holdout arrays hold different numbers of campaigns")
    if np.isnan(value).any():
        raise ValueError("treated customers' values are missing")
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    _z(level)  # validates level
    m = holdout.shape[1]
    contacts_cost = contact_cost * n
    holdout_rate = holdout.mean(axis=1)
    point = (retained.mean(axis=1) - holdout_rate) * value.sum(axis=1)
    point = point - offer_cost * accepted.sum(axis=1) - contacts_cost
    kept, paid = retained.astype(np.int8).ravel(), accepted.astype(np.int8).ravel()
    worth = value.ravel()
    rng = np.random.default_rng(seed)
    draws = np.empty((campaigns, resamples))
    index = np.int32 if campaigns * n < 2**31 else np.int64
    per_block = max(1, _BLOCK // n)  # (campaign, resample) pairs per block
    pairs = campaigns * resamples
    for start in range(0, pairs, per_block):
        pair = np.arange(start, min(start + per_block, pairs))
        campaign = pair // resamples
        picks = rng.integers(0, n, size=(len(pair), n), dtype=index)
        picks += (campaign * n).astype(index)[:, None]
        rate = kept[picks].sum(axis=1, dtype=np.int64) / n
        holdout_draw = rng.binomial(m, holdout_rate[campaign]) / m
        net = (rate - holdout_draw) * worth[picks].sum(axis=1)
        net -= offer_cost * paid[picks].sum(axis=1, dtype=np.int64) + contacts_cost
        draws.reshape(-1)[pair] = net
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(draws, [tail, 1.0 - tail], axis=1)
    return RevenueArrays(point, low, high, float(level), int(resamples))


def revenue_interval(
    treated_retained: Any,
    treated_value: Any,
    holdout_retained: Any,
    treated_accepted: Any,
    offer_cost: float,
    contact_cost: float,
    *,
    level: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> RevenueEstimate:
    """Revenue a campaign retained, net of offer and contact costs, with a bootstrap interval.

    Per treated customer: retained (0/1) at the horizon, value over the horizon, accepted the
    offer (0/1); per holdout customer: retained. Every treated customer was contacted once.
    incremental revenue = (treated retention rate - holdout retention rate) x the sum of the
    treated customers' values; net = incremental - offer_cost x accepters (every accepter is
    paid, retained or not) - contact_cost x contacts. The interval is the percentile bootstrap
    (`resamples` resamples, treated and holdout customers resampled independently, seeded)."""
    retained = np.asarray(treated_retained, dtype=float)
    holdout = np.asarray(holdout_retained, dtype=float)
    if retained.ndim != 1 or holdout.ndim != 1:
        raise ValueError("one campaign: pass one-dimensional arrays of customers")
    if len(retained) == 0 or len(holdout) == 0:
        raise ValueError("the treated or holdout group is empty: a lift needs both")
    value = np.asarray(treated_value, dtype=float)
    accepted = np.asarray(treated_accepted, dtype=float)
    found = revenue_intervals(
        retained[None, :],
        value[None, :],
        holdout[None, :],
        accepted[None, :],
        offer_cost,
        contact_cost,
        level=level,
        resamples=resamples,
        seed=seed,
    )
    lift = float(retained.mean() - holdout.mean())
    return RevenueEstimate(
        net_revenue=float(found.net_revenue[0]),
        low=float(found.low[0]),
        high=float(found.high[0]),
        level=float(level),
        lift=lift,
        incremental_revenue=lift * float(value.sum()),
        offer_costs=float(offer_cost * accepted.sum()),
        contact_costs=float(contact_cost * len(retained)),
        resamples=int(resamples),
    )
