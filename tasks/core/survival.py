"""Survival analysis: Kaplan-Meier curves and a Cox model kept as plain numbers for scoring.

lifelines is imported only by the fitting functions: a stored SurvivalModel scores without it.
lifelines 0.30.3 accepts zero durations (CoxPHFitter, KaplanMeierFitter), so tenure 0 is used as is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from configs.schema import Lifetime, RunConfig
from tasks.core.coercion import as_text

if TYPE_CHECKING:
    from lifelines import CoxPHFitter
    from matplotlib.figure import Figure

KM_COLUMNS = ["group", "timeline", "survival", "ci_lower", "ci_upper", "at_risk"]
BLOCK_ROWS = 50_000  # rows per block in expected_lifetime: a block x max_months float matrix
_DURATION, _EVENT = "_duration", "_event"
_SUMMARY_KEYS = ("coef", "exp(coef)", "exp(coef) lower 95%", "exp(coef) upper 95%", "p")
_MAX_LOG = 700.0  # |beta . x| cap: exp() stays finite and non-zero (no inf * 0 = nan)


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
    """A fitted Cox model: S(u|x) = S0(u) ** exp(beta . x) with x the encoded covariates.

    Categoricals are one-hot with the first (config) category as baseline; unknown values
    encode as the baseline. Numerics are (value - mean) / std; missing numbers as the mean."""

    tenure_column: str
    monthly_charges_column: str
    categories: dict[str, tuple[str, ...]]  # per categorical covariate, config order
    scaling: dict[str, tuple[float, float]]  # per numeric covariate: training mean, std
    coefficients: dict[str, float]  # per encoded column: "Contract=Two year", "MonthlyCharges"
    baseline_survival: tuple[float, ...]  # S0 at months 0..max_months (x = 0), a step function
    concordance: float  # training concordance index
    hazard_ratios: tuple[HazardRatio, ...]  # numeric hazard ratios are per standard deviation

    @property
    def max_months(self) -> int:
        return len(self.baseline_survival) - 1

    def predict_log_hazard(self, frame: pd.DataFrame) -> np.ndarray:
        """beta . x per row (vectorised lookups; no one-hot matrix is built)."""
        missing = [c for c in [*self.categories, *self.scaling] if c not in frame.columns]
        if missing:
            raise ValueError(f"survival covariates missing from the frame: {missing}")
        total = np.zeros(len(frame))
        for name, cats in self.categories.items():
            codes = pd.Categorical(_as_categories(frame[name]), categories=list(cats)).codes
            coefs = [0.0, *(self.coefficients.get(f"{name}={c}", 0.0) for c in cats[1:]), 0.0]
            total += np.asarray(coefs)[codes]  # code -1 (unknown or missing) picks the last 0
        for name, (mean, std) in self.scaling.items():
            values = (frame[name].to_numpy(dtype=float) - mean) / std
            total += self.coefficients.get(name, 0.0) * np.nan_to_num(values, nan=0.0)
        return total

    def predict_survival(self, frame: pd.DataFrame) -> np.ndarray:
        """S(m|x) at months m = 0..max_months, one row per frame row (not conditional)."""
        hazard = np.exp(np.clip(self.predict_log_hazard(frame), -_MAX_LOG, _MAX_LOG))
        return np.asarray(self.baseline_survival)[None, :] ** hazard[:, None]

    def hazard_ratio_table(self) -> pd.DataFrame:
        """covariate, coef, hazard_ratio, ci_lower, ci_upper, p: one row per encoded column."""
        columns = ["covariate", "coef", "hazard_ratio", "ci_lower", "ci_upper", "p"]
        return pd.DataFrame([asdict(h) for h in self.hazard_ratios], columns=columns)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values; `from_dict` restores an equal model."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SurvivalModel:
        return cls(
            tenure_column=data["tenure_column"],
            monthly_charges_column=data["monthly_charges_column"],
            categories={k: tuple(v) for k, v in data["categories"].items()},
            scaling={k: (float(v[0]), float(v[1])) for k, v in data["scaling"].items()},
            coefficients={k: float(v) for k, v in data["coefficients"].items()},
            baseline_survival=tuple(float(v) for v in data["baseline_survival"]),
            concordance=float(data["concordance"]),
            hazard_ratios=tuple(HazardRatio(**h) for h in data["hazard_ratios"]),
        )


def kaplan_meier_table(durations: Any, events: Any, groups: Any = None) -> pd.DataFrame:
    """KM survival with 95% CIs (lifelines' exponential Greenwood) and numbers at risk at each
    time lifelines reports (0 and every observed duration), per group in sorted order."""
    from lifelines import KaplanMeierFitter

    durations = np.asarray(durations, dtype=float)
    events = np.asarray(events).astype(bool)
    labels = np.full(len(durations), "all", dtype=object) if groups is None else np.asarray(groups)
    parts = []
    for group in sorted(pd.unique(labels), key=str):
        rows = labels == group
        km = KaplanMeierFitter().fit(durations[rows], events[rows])
        ci = km.confidence_interval_survival_function_
        parts.append(
            pd.DataFrame(
                {
                    "group": group,
                    "timeline": km.survival_function_.index.to_numpy(dtype=float),
                    "survival": km.survival_function_.iloc[:, 0].to_numpy(),
                    "ci_lower": ci.iloc[:, 0].to_numpy(),
                    "ci_upper": ci.iloc[:, 1].to_numpy(),
                    "at_risk": km.event_table["at_risk"].loc[km.timeline].to_numpy(dtype=int),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=KM_COLUMNS)


def median_survival(table: pd.DataFrame) -> dict[Any, float | None]:
    """Per group of a KM table, the first time survival is <= 0.5 (lifelines' definition).

    None when the curve never falls to 0.5 (lifelines says inf): the median is not observed."""
    medians: dict[Any, float | None] = {}
    for group, rows in table.groupby("group", sort=False):
        below = rows["timeline"][rows["survival"] <= 0.5]
        medians[group] = float(below.iloc[0]) if len(below) else None
    return medians


def kaplan_meier_figure(table: pd.DataFrame, title: str) -> Figure:
    """Step survival curves with shaded 95% CI bands, one per group of a KM table."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.5, 4.5), dpi=100)
    axes = figure.add_subplot()
    for group, rows in table.groupby("group", sort=False):
        line = axes.step(rows["timeline"], rows["survival"], where="post", label=str(group))[0]
        axes.fill_between(
            rows["timeline"], rows["ci_lower"], rows["ci_upper"], step="post", alpha=0.2,
            color=line.get_color(), linewidth=0,
        )  # fmt: skip
    axes.set_title(title)
    axes.set_xlabel("months")
    axes.set_ylabel("share still a customer")
    axes.set_ylim(0, 1.02)
    axes.legend(loc="lower left")
    return figure


def fit_cox_fitter(frame: pd.DataFrame, config: RunConfig) -> tuple[CoxPHFitter, pd.DataFrame]:
    """The lifelines CoxPHFitter on the encoded covariates, and the design frame it was fitted on.

    Design columns with no variance (e.g. a category absent from training) are left out."""
    from lifelines import CoxPHFitter

    data = config.dataset
    categories, scaling = _encoding(frame, config)
    design = _encode(frame, categories, scaling)
    design = design.loc[:, design.std(ddof=0) > 0]
    design[_DURATION] = frame[data.roles.duration].to_numpy(dtype=float)
    design[_EVENT] = (frame[data.target.column] == data.target.positive).to_numpy()
    fitter = CoxPHFitter(penalizer=config.survival.penalizer)
    fitter.fit(design, duration_col=_DURATION, event_col=_EVENT)
    return fitter, design


def fit_survival_model(frame: pd.DataFrame, config: RunConfig) -> SurvivalModel:
    """Fit the configured Cox model (duration = tenure, event = churned) and keep its numbers.

    S0 is Breslow's baseline re-based to x = 0 on months 0..max_months; past the last observed
    time it holds its last value, so expected lifetimes are restricted means up to max_months."""
    fitter, design = fit_cox_fitter(frame, config)
    categories, scaling = _encoding(frame, config)
    coefs = fitter.params_
    months = np.arange(config.survival.max_months + 1)
    cumulative = fitter.baseline_cumulative_hazard_.iloc[:, 0]
    at = np.searchsorted(cumulative.index.to_numpy(dtype=float), months, side="right") - 1
    hazard = np.where(at >= 0, cumulative.to_numpy()[np.maximum(at, 0)], 0.0)
    hazard *= np.exp(-float(coefs @ design[coefs.index].mean()))  # lifelines centres x at its mean
    summary = fitter.summary
    ratios = tuple(
        HazardRatio(str(name), *(float(row[k]) for k in _SUMMARY_KEYS))
        for name, row in summary.iterrows()
    )
    return SurvivalModel(
        tenure_column=config.dataset.roles.duration,
        monthly_charges_column=config.dataset.roles.value,
        categories=categories,
        scaling=scaling,
        coefficients={str(k): float(v) for k, v in coefs.items()},
        baseline_survival=tuple(float(v) for v in np.exp(-hazard)),
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
    model: SurvivalModel, frame: pd.DataFrame, lifetime_cfg: Lifetime, block_rows: int = BLOCK_ROWS
) -> pd.DataFrame:
    """Per row, given survival to tenure t: restricted mean remaining months, the sum of
    S(t+m|x)/S(t|x) for m = 1..max(max_months - t, 1), and lifetime value, the sum of
    monthly_charges * that ratio / (1 + r)**m with r = (1 + annual_rate)**(1/12) - 1.

    Tenure is floored onto the month grid (missing reads as 0); vectorised in row blocks."""
    top = model.max_months
    log_s0 = np.log(np.maximum(np.asarray(model.baseline_survival), np.finfo(float).tiny))
    # window[t, m-1] = H0(t+m) - H0(t) with H0 = -log S0 held flat past top; inf past the horizon
    t_grid, m_grid = np.arange(top + 1)[:, None], np.arange(1, top + 1)[None, :]
    window = log_s0[t_grid] - log_s0[np.minimum(t_grid + m_grid, top)]
    window[m_grid > np.maximum(top - t_grid, 1)] = np.inf
    rate = (1.0 + lifetime_cfg.annual_discount_rate) ** (1.0 / 12.0) - 1.0
    weights = np.column_stack([np.ones(top), (1.0 + rate) ** -np.arange(1.0, top + 1)])

    tenure = np.nan_to_num(frame[model.tenure_column].to_numpy(dtype=float), nan=0.0)
    start = np.clip(np.floor(tenure), 0, top).astype(np.intp)
    hazard = np.exp(np.clip(model.predict_log_hazard(frame), -_MAX_LOG, _MAX_LOG))
    sums = np.empty((len(frame), 2))
    for lo in range(0, len(frame), block_rows):
        hi = min(lo + block_rows, len(frame))
        block = window[start[lo:hi]]  # rows x months
        block *= -hazard[lo:hi, None]
        np.exp(block, out=block)
        sums[lo:hi] = block @ weights
    monthly = frame[model.monthly_charges_column].to_numpy(dtype=float)
    return pd.DataFrame(
        {"expected_remaining_months": sums[:, 0], "lifetime_value": monthly * sums[:, 1]},
        index=frame.index,
    )


def _encoding(
    frame: pd.DataFrame, config: RunConfig
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[float, float]]]:
    """Categories (config order) per categorical covariate; training mean and std per numeric."""
    categories: dict[str, tuple[str, ...]] = {}
    scaling: dict[str, tuple[float, float]] = {}
    for name in config.survival.covariates:
        if name in config.dataset.categorical:
            categories[name] = tuple(config.dataset.categorical[name])
        else:
            values = frame[name].to_numpy(dtype=float)
            std = float(np.nanstd(values, ddof=1)) if np.isfinite(values).sum() > 1 else 0.0
            scaling[name] = (float(np.nanmean(values)), std if std > 0 else 1.0)
    return categories, scaling


def _encode(
    frame: pd.DataFrame,
    categories: dict[str, tuple[str, ...]],
    scaling: dict[str, tuple[float, float]],
) -> pd.DataFrame:
    """The one-hot (first category dropped) and standardised design matrix as a frame."""
    columns: dict[str, np.ndarray] = {}
    for name, cats in categories.items():
        values = _as_categories(frame[name]).to_numpy()
        for cat in cats[1:]:
            columns[f"{name}={cat}"] = (values == cat).astype(float)
    for name, (mean, std) in scaling.items():
        columns[name] = (frame[name].to_numpy(dtype=float) - mean) / std
    return pd.DataFrame(columns, index=frame.index)


def _as_categories(series: pd.Series) -> pd.Series:
    """Text values to match category names; already-text columns pass through untouched."""
    if ptypes.is_object_dtype(series) or ptypes.is_string_dtype(series):
        return series
    return as_text(series)
