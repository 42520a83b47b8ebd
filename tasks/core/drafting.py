"""Draft a run config for a churn table: column types and rules, business roles, survival
covariates and modest model grids, each with the reason it was chosen (see profiling.py)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from tasks.core.profiling import (
    BLANK_SHARE,
    FLAG_VALUES,
    LEAK_AUC,
    LEAK_NAME,
    MAX_CATEGORIES,
    QUARANTINE_SHARE,
    CategoricalGuess,
    ColumnStats,
    Draft,
    Guess,
    NumericGuess,
    blank_rule,
    category_values,
    churn_flags,
    column_stats,
    leak_auc,
    numeric_guess,
    pick_id,
    profile_target,
)

# name hints, most telling first
DURATION_NAMES = (
    "tenure",
    "duration",
    r"month(?!ly)",
    r"account_?age|age_?of_?account",
    "lifetime",
    "since",
)
VALUE_NAME = re.compile(r"charge|fee|price|revenue|spend|amount|arpu|mrr|bill")
MONTHLY_NAME = re.compile(r"month|mrr|arpu")
NOT_MONTHLY_NAME = re.compile(r"annual|year|week|daily|day")
CUMULATIVE_NAME = re.compile(r"total|cumulative|lifetime|to_?date|sum|ltv")
SEGMENT_NAME = re.compile(r"contract|plan|package|tier|segment|subscription|membership|bundle")
GROUP_NAME = re.compile(r"region|country|market|type|category|class|level|group|cohort|industry")
SEGMENT_VALUES = (2, 8)
SURVIVAL_CATEGORIES = 4  # categoricals with at most this many values may be covariates
SURVIVAL_MAX = 8

MODEL = {
    "cv_folds": 5,
    "test_size": 0.2,
    "seed": 42,
    "n_jobs": 2,
    "families": {
        "logistic_regression": {"grid": {"C": [0.1, 0.3, 1.0, 3.0]}},
        "lightgbm": {
            "grid": {
                "learning_rate": [0.05],
                "n_estimators": [100, 300],
                "num_leaves": [8, 16],
                "min_child_samples": [20],
                "colsample_bytree": [0.5],
                "subsample": [0.8],
                "subsample_freq": [1],
            }
        },
        "blend": {"grid": {"weight": [0.3, 0.5, 0.7]}},
    },
}


def draft_config(frame: pd.DataFrame, target: str, name: str, source: str = "") -> Draft:
    """Profile `frame` (raw text or typed columns) into a config draft for `target`."""
    from tasks.core.errors import ProfilingError
    from tasks.core.profiling import NAME

    if not NAME.match(name):
        raise ProfilingError(f"dataset name {name!r} must match {NAME.pattern}")
    target_guess = profile_target(frame, target)
    churned = churn_flags(frame, target_guess)
    columns = [column_stats(frame[c], str(c)) for c in frame.columns if c != target]
    draft = Draft(name, len(frame), source, pick_id(columns), target_guess)
    quarantined: list[tuple[ColumnStats, str]] = []
    for stats in columns:
        if stats.name == draft.id_column.value:
            continue
        reason = _left_out(stats, churned)
        if reason:
            draft.left_out[stats.name] = reason
        elif _is_numeric(stats):
            blank, why = blank_rule(stats, columns) if stats.blank.any() else (None, "")
            kind = "numbers" if stats.all_numbers else "numbers with a little text"
            guess = numeric_guess(stats, blank, f"{kind}, {stats.distinct} distinct values")
            draft.numeric[stats.name] = _with(guess, why)
            if stats.unparseable.any() or (stats.blank.any() and blank is None):
                quarantined.append((stats, "numeric"))
        else:
            values = category_values(stats)
            what = "numbers with only" if stats.all_numbers else "text with"
            why = f"{what} {len(values)} distinct values: categorical, all seen values allowed"
            draft.categorical[stats.name] = CategoricalGuess(values, why)
            if stats.blank.any():
                quarantined.append((stats, "categorical"))
    for name, guess in list(draft.numeric.items()):
        if guess.blank and guess.blank["when_column"] not in draft.numeric:
            del draft.numeric[name]
            draft.left_out[name] = (
                f"blank only where {guess.blank['when_column']} is 0, but that column is left out"
            )
    _limit_quarantine(draft, quarantined)
    draft.roles = _roles(draft, {s.name: s for s in columns})
    draft.segment_hint = _segment_hint(draft)
    draft.survival = _survival(draft, {s.name: s for s in columns}, churned)
    draft.model = MODEL
    return draft


def _with(guess: NumericGuess, why: str) -> NumericGuess:
    if not why:
        return guess
    return NumericGuess(guess.min, guess.max, guess.integer, guess.blank, f"{guess.reason}; {why}")


def _is_numeric(stats: ColumnStats) -> bool:
    if stats.numbers.nunique() <= FLAG_VALUES:
        return False
    return stats.all_numbers or stats.unparseable.mean() <= BLANK_SHARE


def _left_out(stats: ColumnStats, churned: np.ndarray) -> str | None:
    if LEAK_NAME.search(stats.name.lower()):
        return (
            "named like a cost of retention or an outcome of churn (refund, cancellation, "
            "churn date or reason): not known before a customer churns"
        )
    if stats.distinct <= 1:
        return "a single value (or always blank): carries no signal"
    auc = leak_auc(stats, churned)
    if auc > LEAK_AUC:
        return (
            f"alone separates the labels (ROC-AUC {auc:.3f}): near-deterministic of the target, "
            "most likely recorded after the outcome"
        )
    numeric = stats.all_numbers or stats.unparseable.mean() <= BLANK_SHARE
    if not numeric and stats.distinct > MAX_CATEGORIES:
        return (
            f"text with {stats.distinct} distinct values that are not numbers: too many for "
            "categories and not the id"
        )
    return None


def _limit_quarantine(draft: Draft, pending: list[tuple[ColumnStats, str]]) -> None:
    """Columns with blanks (or text in numbers) quarantine those rows; keep them while the
    rows they quarantine together stay few, leave the worst ones out."""
    union = np.zeros(draft.rows, dtype=bool)
    for stats, kind in sorted(pending, key=lambda p: (p[0].blank | p[0].unparseable).sum()):
        rows = stats.unparseable.copy()
        if stats.name not in draft.numeric or draft.numeric[stats.name].blank is None:
            rows |= stats.blank
        share, together = rows.mean(), (union | rows).mean()
        section = draft.numeric if kind == "numeric" else draft.categorical
        if stats.name not in section:
            continue
        if share > BLANK_SHARE or together > QUARANTINE_SHARE:
            del section[stats.name]
            draft.left_out[stats.name] = (
                f"blank or unreadable in {share:.1%} of rows, too many to quarantine: fill them "
                "upstream (or add a blank rule) and list the column by hand"
            )
            continue
        union |= rows
        guess = section[stats.name]
        note = f"blank or unreadable in {int(rows.sum())} rows: those rows are quarantined"
        if kind == "numeric":
            section[stats.name] = _with(guess, note)
        else:
            section[stats.name] = CategoricalGuess(guess.values, f"{guess.reason}; {note}")


def _correlation(a: pd.Series, b: pd.Series) -> float:
    both = a.notna() & b.notna()
    if both.sum() < 3 or a[both].std() == 0 or b[both].std() == 0:
        return 0.0
    return float(np.corrcoef(a[both], b[both])[0, 1])


def _roles(draft: Draft, stats: dict[str, ColumnStats]) -> dict[str, Guess]:
    duration = None
    for pattern in DURATION_NAMES:
        found = [
            name
            for name, guess in draft.numeric.items()
            if re.search(pattern, name.lower())
            and not VALUE_NAME.search(name.lower())
            and guess.integer
            and guess.min == 0
        ]
        if found:
            duration = found[0]
            break
    roles = {
        "duration": Guess(
            duration,
            "whole, non-negative numbers named like a duration: months as a customer "
            "(check the unit is months); enables survival curves and remaining lifetime"
            if duration
            else "no whole non-negative column named like tenure/months/duration: "
            "no survival curves or lifetime figures",
        )
    }
    roles["value"] = _value_role(draft, stats, duration)
    roles["segment"] = _segment_role(draft)
    return roles


def _value_role(draft: Draft, stats: dict[str, ColumnStats], duration: str | None) -> Guess:
    names = [
        n
        for n, g in draft.numeric.items()
        if VALUE_NAME.search(n.lower()) and g.min == 0 and n != duration
    ]
    per_month, cumulative = [], []
    for name in names:
        others = [stats[o].numbers for o in names if o != name]
        span = stats[duration].numbers if duration else None
        product = span is not None and any(
            _correlation(stats[name].numbers, span * other) > 0.95 for other in others
        )
        if CUMULATIVE_NAME.search(name.lower()) or product:
            cumulative.append(name)
        elif not NOT_MONTHLY_NAME.search(name.lower()):
            per_month.append(name)
    per_month.sort(key=lambda n: not MONTHLY_NAME.search(n.lower()))
    totals = f"; cumulative totals ({', '.join(cumulative)}) stay features but are not the value"
    totals *= bool(cumulative)
    if not per_month:
        return Guess(
            None,
            "no non-negative column named like a charge/fee/price per month"
            + totals
            + ": no revenue at risk or lifetime value",
        )
    return Guess(
        per_month[0],
        "named like a charge per month and never negative: revenue per customer per month "
        "(revenue at risk, lifetime value); it stays a feature" + totals,
    )


def _segment_role(draft: Draft) -> Guess:
    low, high = SEGMENT_VALUES
    fits = [(len(g.values), n) for n, g in draft.categorical.items()]
    fits = [(k, n) for k, n in fits if low <= k <= high]
    named = [n for _, n in fits if SEGMENT_NAME.search(n.lower())]
    if named:
        return Guess(
            named[0],
            f"named like a contract/plan/tier with {low}-{high} values: the breakdown of KPIs "
            "and curves",
        )
    groups = sorted((k, n) for k, n in fits if GROUP_NAME.search(n.lower()))
    if groups:
        return Guess(groups[0][1], "the lowest-cardinality column named like a customer group")
    return Guess(None, "no categorical named like a contract/plan/tier/segment")


def _segment_hint(draft: Draft) -> str | None:
    if draft.roles["segment"].value is not None:
        return None
    low, high = SEGMENT_VALUES
    fits = [(len(g.values), n) for n, g in draft.categorical.items() if low < len(g.values) <= high]
    return min(fits)[1] if fits else None


def _survival(draft: Draft, stats: dict[str, ColumnStats], churned: np.ndarray) -> Guess:
    duration = draft.roles["duration"].value
    if duration is None:
        return Guess(None, "left out: no duration column")
    segment = draft.roles["segment"].value
    spread = {}
    for name, guess in draft.categorical.items():
        if name != segment and len(guess.values) <= SURVIVAL_CATEGORIES:
            rates = pd.Series(churned).groupby(stats[name].text.to_numpy()).mean()
            spread[name] = float(rates.max() - rates.min())
    categorical = sorted(spread, key=lambda n: -spread[n])[:5]
    numeric = [
        n
        for n in draft.numeric
        if n != duration
        and abs(_correlation(stats[n].numbers, stats[duration].numbers)) < 0.7
        and draft.numeric[n].blank is None
    ][:3]
    covariates = ([segment] if segment else []) + categorical + numeric
    covariates = covariates[:SURVIVAL_MAX]
    if not covariates:
        return Guess(None, "left out: no covariate besides the duration")
    return Guess(
        covariates,
        "Cox model for expected remaining lifetime: the segment, the low-cardinality "
        "categoricals whose churn rates differ most, and numbers not derived from the "
        f"duration ({duration} itself and columns correlated with it are left out)",
    )
