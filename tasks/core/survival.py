"""Survival analysis: a Cox model kept as plain numbers for scoring, and lifetimes from it.

lifelines is imported only by the fitting functions: a stored SurvivalModel scores without it.
lifelines 0.30.3 accepts zero durations (CoxPHFitter, KaplanMeierFitter), so tenure 0 is used as is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from configs.schema import Lifetime, RunConfig
from tasks.core.cox_design import as_categories, collinear_columns, encode, encoding
from tasks.core.kaplan_meier import (  # noqa: F401  (importable from here)
    KM_COLUMNS,
    kaplan_meier_figure,
    kaplan_meier_table,
    median_survival,
)

if TYPE_CHECKING:
    from lifelines import CoxPHFitter

BLOCK_CELLS = 2_000_000  # expected_lifetime scores rows in blocks of this many row-months
_DURATION, _EVENT = "_duration", "_event"
_SUMMARY_KEYS = ("coef", "exp(coef)", "exp(coef) lower 95%", "exp(coef) upper 95%", "p")
_MAX_LOG = 700.0  # |beta . x| cap: exp() stays finite and non-zero (no inf * 0 = nan)
TAIL_MONTHS = 12  # the tail hazard is the mean baseline hazard of this many last months


@dataclass(frozen=True)
class HazardRatio:
    """One encoded covariate's Cox coefficient, hazard ratio with 95% CI, and p-value."""

    covariate: str
    coef: float
    hazard_ratio: float
    ci_lower: float
    ci_upper: float
    p: float


@dataclass(frozen=True)
class SurvivalModel:
    """A fitted Cox model: S(u|x) = exp(-H0(u) * exp(beta . x)) with x the encoded covariates.

    Categoricals are one-hot with the first (config) category as baseline; unknown values
    encode as the baseline. Numerics are (value - mean) / std; missing numbers as the mean.
    H0 is stored at months 0..last_month (the last observed duration); past it H0 grows by
    `tail_hazard` per month (a constant hazard), so survival keeps falling."""

    duration_column: str
    value_column: str | None  # revenue per month; None: no lifetime value
    categories: dict[str, tuple[str, ...]]  # per categorical covariate, config order
    scaling: dict[str, tuple[float, float]]  # per numeric covariate: training mean, std
    coefficients: dict[str, float]  # per encoded column: "Contract=Two year", "MonthlyCharges"
    baseline_cumulative_hazard: tuple[float, ...]  # H0 at months 0..last_month (x = 0)
    tail_hazard: float  # baseline hazard per month past last_month
    dropped: dict[str, str]  # encoded column left out of the fit -> the combination it equals
    concordance: float  # training concordance index
    hazard_ratios: tuple[HazardRatio, ...]  # numeric hazard ratios are per standard deviation

    @property
    def last_month(self) -> int:
        return len(self.baseline_cumulative_hazard) - 1

    def cumulative_hazard(self, months: Any) -> np.ndarray:
        """H0 at whole months >= 0, extended linearly by the tail hazard past last_month."""
        months = np.asarray(months, dtype=np.intp)
        grid = np.asarray(self.baseline_cumulative_hazard)
        past = np.maximum(months - self.last_month, 0)
        return grid[np.minimum(months, self.last_month)] + self.tail_hazard * past

    def predict_log_hazard(self, frame: pd.DataFrame) -> np.ndarray:
        """beta . x per row (vectorised lookups; no one-hot matrix is built)."""
        missing = [c for c in [*self.categories, *self.scaling] if c not in frame.columns]
        if missing:
            raise ValueError(f"survival covariates missing from the frame: {missing}")
        total = np.zeros(len(frame))
        for name, cats in self.categories.items():
            codes = pd.Categorical(as_categories(frame[name]), categories=list(cats)).codes
            coefs = [0.0, *(self.coefficients.get(f"{name}={c}", 0.0) for c in cats[1:]), 0.0]
            total += np.asarray(coefs)[codes]  # code -1 (unknown or missing) picks the last 0
        for name, (mean, std) in self.scaling.items():
            values = (frame[name].to_numpy(dtype=float) - mean) / std
            total += self.coefficients.get(name, 0.0) * np.nan_to_num(values, nan=0.0)
        return total

    def predict_survival(self, frame: pd.DataFrame, months: Any = None) -> np.ndarray:
        """S(m|x) at `months` (default 0..last_month), one row per frame row (not conditional)."""
        months = np.arange(self.last_month + 1) if months is None else months
        hazard = np.exp(np.clip(self.predict_log_hazard(frame), -_MAX_LOG, _MAX_LOG))
        return np.exp(-hazard[:, None] * self.cumulative_hazard(months)[None, :])

    def hazard_ratio_table(self) -> pd.DataFrame:
        """covariate, coef, hazard_ratio, ci_lower, ci_upper, p: one row per fitted column."""
        columns = ["covariate", "coef", "hazard_ratio", "ci_lower", "ci_upper", "p"]
        return pd.DataFrame([asdict(h) for h in self.hazard_ratios], columns=columns)

    def dropped_table(self) -> pd.DataFrame:
        """covariate, duplicates: the encoded columns left out as linear combinations."""
        rows = list(self.dropped.items())
        return pd.DataFrame(rows, columns=["covariate", "duplicates"])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values; `from_dict` restores an equal model."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SurvivalModel:
        """Also reads models saved before the tail existed (`baseline_survival` held flat past
        the last observed month): the grid ends where S0 last changed, the tail is refitted."""
        if "baseline_survival" in data:
            data = _from_survival_layout(data)
        return cls(
            duration_column=data["duration_column"],
            value_column=data["value_column"],
            categories={k: tuple(v) for k, v in data["categories"].items()},
            scaling={k: (float(v[0]), float(v[1])) for k, v in data["scaling"].items()},
            coefficients={k: float(v) for k, v in data["coefficients"].items()},
            baseline_cumulative_hazard=tuple(float(v) for v in data["baseline_cumulative_hazard"]),
            tail_hazard=float(data["tail_hazard"]),
            dropped={str(k): str(v) for k, v in data["dropped"].items()},
            concordance=float(data["concordance"]),
            hazard_ratios=tuple(HazardRatio(**h) for h in data["hazard_ratios"]),
        )


def tail_hazard(cumulative: Any) -> float:
    """The constant monthly hazard past a cumulative hazard grid (months 0..T): its mean over
    the last TAIL_MONTHS months, or over all months if that is zero."""
    h0 = np.asarray(cumulative, dtype=float)
    last = len(h0) - 1
    span = min(TAIL_MONTHS, last)
    tail = (h0[last] - h0[last - span]) / span if span else 0.0
    if tail <= 0 and last > 0:
        tail = (h0[last] - h0[0]) / last
    return float(max(tail, 0.0))


def _from_survival_layout(data: dict[str, Any]) -> dict[str, Any]:
    """A model dict of the earlier layout (S0 on months 0..max_months) in the current one."""
    s0 = np.maximum(np.asarray(data["baseline_survival"], dtype=float), np.finfo(float).tiny)
    hazard = -np.log(s0)
    changes = np.flatnonzero(np.diff(hazard) != 0)
    grid = hazard[: int(changes[-1]) + 2 if len(changes) else 1]
    return {
        **data,
        "duration_column": data["tenure_column"],
        "value_column": data["monthly_charges_column"],
        "baseline_cumulative_hazard": [float(v) for v in grid],
        "tail_hazard": tail_hazard(grid),
        "dropped": {},
    }


def cox_design(frame: pd.DataFrame, config: RunConfig) -> tuple[pd.DataFrame, dict[str, str]]:
    """The encoded covariates the Cox model is fitted on, and the columns left out of them:
    each that is a linear combination of an intercept and earlier columns (constant columns
    included), with the combination it duplicates."""
    design = encode(frame, *encoding(frame, config))
    dropped = collinear_columns(design)
    return design.drop(columns=list(dropped)), dropped


def fit_cox_fitter(frame: pd.DataFrame, config: RunConfig) -> tuple[CoxPHFitter, pd.DataFrame]:
    """The lifelines CoxPHFitter on the reduced design (`cox_design`), and that design frame
    with the duration and event columns it was fitted on."""
    return _fit(frame, config)[:2]


def _fit(
    frame: pd.DataFrame, config: RunConfig
) -> tuple[CoxPHFitter, pd.DataFrame, dict[str, str]]:
    from lifelines import CoxPHFitter

    data = config.dataset
    design, dropped = cox_design(frame, config)
    design[_DURATION] = frame[data.roles.duration].to_numpy(dtype=float)
    design[_EVENT] = (frame[data.target.column] == data.target.positive).to_numpy()
    fitter = CoxPHFitter(penalizer=config.survival.penalizer)
    fitter.fit(design, duration_col=_DURATION, event_col=_EVENT)
    return fitter, design, dropped


def fit_survival_model(frame: pd.DataFrame, config: RunConfig) -> SurvivalModel:
    """Fit the configured Cox model (duration = tenure, event = churned) and keep its numbers.

    H0 is Breslow's baseline re-based to x = 0 on months 0..T, T the last observed duration.
    Past T the hazard is constant: the mean baseline hazard of the last TAIL_MONTHS months
    (of all observed months if that is zero), never a flat survival curve."""
    fitter, design, dropped = _fit(frame, config)
    coefs = fitter.params_
    cumulative = fitter.baseline_cumulative_hazard_.iloc[:, 0]
    times = cumulative.index.to_numpy(dtype=float)
    months = np.arange(int(np.floor(max(times.max(), 0.0))) + 1)
    at = np.searchsorted(times, months, side="right") - 1
    hazard = np.where(at >= 0, cumulative.to_numpy()[np.maximum(at, 0)], 0.0)
    hazard *= np.exp(-float(coefs @ design[coefs.index].mean()))  # lifelines centres x at its mean
    ratios = tuple(
        HazardRatio(str(name), *(float(row[k]) for k in _SUMMARY_KEYS))
        for name, row in fitter.summary.iterrows()
    )
    categories, scaling = encoding(frame, config)
    return SurvivalModel(
        duration_column=config.dataset.roles.duration,
        value_column=config.dataset.roles.value,
        categories=categories,
        scaling=scaling,
        coefficients={str(k): float(v) for k, v in coefs.items()},
        baseline_cumulative_hazard=tuple(float(v) for v in hazard),
        tail_hazard=tail_hazard(hazard),
        dropped=dropped,
        concordance=float(fitter.concordance_index_),
        hazard_ratios=ratios,
    )


def proportional_hazards_check(frame: pd.DataFrame, config: RunConfig) -> pd.DataFrame:
    """lifelines' proportional_hazard_test (rank time transform) per encoded covariate:
    covariate, test_statistic, p, and breaks_assumption (p < 0.05)."""
    from lifelines.statistics import proportional_hazard_test

    fitter, design = fit_cox_fitter(frame, config)
    result = proportional_hazard_test(fitter, design, time_transform="rank").summary
    return pd.DataFrame(
        {
            "covariate": [str(name) for name in result.index],
            "test_statistic": result["test_statistic"].to_numpy(dtype=float),
            "p": result["p"].to_numpy(dtype=float),
            "breaks_assumption": (result["p"] < 0.05).to_numpy(),
        }
    )


def expected_lifetime(
    model: SurvivalModel,
    frame: pd.DataFrame,
    lifetime_cfg: Lifetime,
    block_rows: int | None = None,
) -> pd.DataFrame:
    """Per row, given survival to its current tenure t, over H = lifetime.horizon_months:
    expected remaining months, the sum over m = 1..H of S(t+m|x) / S(t|x), and lifetime value,
    value * the sum over m = 1..H of S(t+m|x) / S(t|x) / (1 + r)**m with
    r = (1 + annual_discount_rate)**(1/12) - 1 (NaN without a value column).

    Tenure is floored to whole months (missing reads as 0) and may lie past the last observed
    month (the tail hazard applies). Vectorised in row blocks of at most BLOCK_CELLS cells."""
    top, horizon = model.last_month, lifetime_cfg.horizon_months
    # window[t, m-1] = H0(t+m) - H0(t); for t >= top it is tail * m, the same as for t = top
    base = model.cumulative_hazard(np.arange(top + horizon + 1))
    starts = np.arange(top + 1)[:, None]
    window = base[starts + np.arange(1, horizon + 1)[None, :]] - base[starts]
    rate = (1.0 + lifetime_cfg.annual_discount_rate) ** (1.0 / 12.0) - 1.0
    weights = np.column_stack([np.ones(horizon), (1.0 + rate) ** -np.arange(1.0, horizon + 1)])

    tenure = np.nan_to_num(frame[model.duration_column].to_numpy(dtype=float), nan=0.0)
    start = np.clip(np.floor(tenure), 0, top).astype(np.intp)
    hazard = np.exp(np.clip(model.predict_log_hazard(frame), -_MAX_LOG, _MAX_LOG))
    step = block_rows or max(1, BLOCK_CELLS // horizon)
    sums = np.empty((len(frame), 2))
    for lo in range(0, len(frame), step):
        hi = min(lo + step, len(frame))
        block = window[start[lo:hi]]  # rows x months
        block *= -hazard[lo:hi, None]
        np.exp(block, out=block)
        sums[lo:hi] = block @ weights
    if model.value_column is None:
        value = np.full(len(frame), np.nan)
    else:
        value = frame[model.value_column].to_numpy(dtype=float)
    return pd.DataFrame(
        {"expected_remaining_months": sums[:, 0], "lifetime_value": value * sums[:, 1]},
        index=frame.index,
    )
