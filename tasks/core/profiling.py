"""Profile a churn table into a config draft: every guess carries the reason it was made.

Columns are typed the way the contract types raw text (tasks.core.coercion), so a draft
written from a CSV, a Parquet file or a database table validates that same table.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from tasks.core.coercion import as_text, format_number, parse_numbers
from tasks.core.errors import ProfilingError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
ID_NAME = re.compile(r"id$|^id|_id|id_|customer|account|subscriber|client|member|user|uuid|key")
LEAK_NAME = re.compile(r"churn|cancel|refund|retention|terminat|winback|win_back|reason|cost")
YES_NO = {"1": "0", "true": "false", "yes": "no", "y": "n"}
STAYING_NAME = re.compile(r"stay|retain|retention|active|renew|loyal")
MAX_CATEGORIES = 50  # text with more distinct values is not a category
FLAG_VALUES = 2  # numbers with at most this many distinct values are categories (flags)
BLANK_SHARE = 0.02  # a column blank in more rows than this is left out
QUARANTINE_SHARE = 0.04  # all kept columns together may quarantine at most this share
LEAK_AUC = 0.99


@dataclass(frozen=True)
class Guess:
    """One guessed value (None: nothing qualified) and why."""

    value: Any
    reason: str


@dataclass(frozen=True)
class TargetGuess:
    column: str
    positive: str
    negative: str
    numeric: bool  # both labels are numbers: written unquoted
    reason: str


@dataclass(frozen=True)
class NumericGuess:
    min: float | None
    max: float | None
    integer: bool
    blank: dict[str, Any] | None
    reason: str

    def rule(self) -> dict[str, Any]:
        rule = {"min": self.min, "max": self.max, "integer": self.integer, "blank": self.blank}
        return {k: v for k, v in rule.items() if v is not None and v is not False}


@dataclass(frozen=True)
class CategoricalGuess:
    values: list[str]
    reason: str


@dataclass
class Draft:
    """Everything init-config proposes for one table, in table column order."""

    name: str
    rows: int
    source: str
    id_column: Guess
    target: TargetGuess
    numeric: dict[str, NumericGuess] = field(default_factory=dict)
    categorical: dict[str, CategoricalGuess] = field(default_factory=dict)
    left_out: dict[str, str] = field(default_factory=dict)
    roles: dict[str, Guess] = field(default_factory=dict)
    segment_hint: str | None = None  # lowest-cardinality categorical when no segment is named
    survival: Guess = Guess(None, "")
    model: dict[str, Any] = field(default_factory=dict)

    def config(self) -> dict[str, Any]:
        """The draft as a run config mapping (what the rendered YAML loads to)."""
        roles = {k: g.value for k, g in self.roles.items() if g.value is not None}
        dataset = {
            "name": self.name,
            "id_column": self.id_column.value,
            "target": {
                "column": self.target.column,
                "positive": self.target.positive,
                "negative": self.target.negative,
            },
            "roles": roles,
            "numeric": {k: g.rule() for k, g in self.numeric.items()},
            "categorical": {k: list(g.values) for k, g in self.categorical.items()},
        }
        config: dict[str, Any] = {"dataset": dataset, "features": [], "model": self.model}
        if self.survival.value:
            config["survival"] = {"covariates": list(self.survival.value)}
        return config


@dataclass
class ColumnStats:
    """One column as the contract reads it: text, numbers, blanks."""

    name: str
    text: pd.Series  # stripped text, NaN where blank
    numbers: pd.Series  # float64, NaN where blank or not a number
    blank: np.ndarray
    unparseable: np.ndarray
    distinct: int

    @property
    def rows(self) -> int:
        return len(self.text)

    @property
    def all_numbers(self) -> bool:
        return not self.unparseable.any() and not self.blank.all()

    @property
    def whole(self) -> bool:
        values = self.numbers.dropna()
        return bool(len(values)) and bool((values == np.round(values)).all())


def column_stats(series: pd.Series, name: str) -> ColumnStats:
    text = as_text(series)
    numbers, unparseable = parse_numbers(series)
    blank = text.isna().to_numpy()
    return ColumnStats(
        name, text, numbers, blank, unparseable.to_numpy(), int(text.nunique(dropna=True))
    )


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^k at or above `value` (0 for values <= 0)."""
    if value <= 0:
        return 0.0
    scale = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * scale >= value * (1 - 1e-12):
            return float(step * scale)
    return float(10 * scale)


def profile_target(frame: pd.DataFrame, column: str) -> TargetGuess:
    """The two labels; the minority one is the positive (churned) label."""
    if column not in frame.columns:
        near = [c for c in frame.columns if str(c).lower() == column.lower()]
        hint = f" (found {near[0]!r})" if near else ""
        raise ProfilingError(f"target column {column!r} is not in the table{hint}")
    stats = column_stats(frame[column], column)
    text = stats.text
    if stats.all_numbers:  # 1.0/0.0 and 1/0 are the same labels: write the short number
        text = stats.numbers.map(format_number, na_action="ignore")
    counts = text.value_counts()
    if len(counts) != 2:
        shown = [str(v) for v in counts.index[:6]]
        raise ProfilingError(
            f"target column {column!r} has {len(counts)} distinct labels {shown}, expected 2"
        )
    (a, count_a), (b, count_b) = counts.items()
    total = count_a + count_b
    share = {a: count_a / total, b: count_b / total}
    pair = _yes_no_pair(str(a), str(b))
    if pair is not None:  # 1/0, true/false, yes/no: the word says which label is churn
        positive, negative = pair if not STAYING_NAME.search(column.lower()) else pair[::-1]
        why = f"{positive!r} reads as churned ({share[positive]:.1%} of labelled rows)"
        if share[positive] > 0.5:
            why += f"; note the minority label is {negative!r}"
    elif count_a == count_b:
        positive, negative = b, a
        why = "the labels are equally frequent; check which one is churn"
    else:
        positive, negative = b, a
        why = f"{positive!r} is the minority label ({share[positive]:.1%} of labelled rows)"
        why += ", read as churned"
    blanks = int(stats.blank.sum())
    if blanks:
        why += f"; {blanks} rows have no label: training refuses them, drop them first"
    return TargetGuess(column, str(positive), str(negative), stats.all_numbers, why)


def _yes_no_pair(a: str, b: str) -> tuple[str, str] | None:
    """(yes, no) when the labels are 1/0, true/false, yes/no or y/n in any case."""
    for yes, no in ((a, b), (b, a)):
        if YES_NO.get(yes.lower()) == no.lower():
            return yes, no
    return None


def churn_flags(frame: pd.DataFrame, target: TargetGuess) -> np.ndarray:
    stats = column_stats(frame[target.column], target.column)
    text = stats.numbers.map(format_number, na_action="ignore") if target.numeric else stats.text
    return (text == target.positive).to_numpy()


def pick_id(columns: list[ColumnStats]) -> Guess:
    """A unique, never blank column of text or whole numbers; a name like an id first."""
    candidates = []
    for stats in columns:
        if stats.blank.any() or stats.distinct != stats.rows or stats.rows < 2:
            continue
        textual = stats.unparseable.any() or _zero_padded(stats)
        spaced = stats.text.astype(str).str.contains(r"\s").any()  # words, not codes
        if spaced or not (textual or stats.whole):
            continue
        named = bool(ID_NAME.search(stats.name.lower()))
        candidates.append((not named, not textual, stats.name, named, textual))
    if not candidates:
        return Guess(
            None,
            "no column is unique, never blank and of text or whole numbers: training works "
            "without an id, scoring needs one (add one to the table and name it here)",
        )
    _, _, name, named, textual = min(candidates, key=lambda c: c[:2])
    kind = "text" if textual else "whole numbers"
    how = "named like an id, " if named else ""
    return Guess(name, f"{how}{kind}, unique and never blank: the customer id (scoring needs one)")


def _zero_padded(stats: ColumnStats) -> bool:
    text = stats.text.dropna().astype(str)
    return bool(text.str.match(r"^0\d").any())


def category_values(stats: ColumnStats) -> list[str]:
    """Seen values as text, most frequent first; numbers as short text (1.0 -> '1')."""
    text = stats.text
    if stats.all_numbers and not _zero_padded(stats):
        text = stats.numbers.map(format_number, na_action="ignore")
    return [str(v) for v in text.value_counts(sort=True).index]


def numeric_guess(stats: ColumnStats, blank: dict[str, Any] | None, why: str) -> NumericGuess:
    values = stats.numbers.dropna()
    low, high = float(values.min()), float(values.max())
    whole = stats.whole
    minimum = 0.0 if low >= 0 else -nice_ceiling(2 * abs(low))
    maximum = nice_ceiling(2 * high) if high > 0 else 0.0
    parts = [why, f"seen {format_number(low)} to {format_number(high)}"]
    parts.append("min 0 as no value is negative" if low >= 0 else "min with headroom below")
    parts.append("max rounded up with headroom (widen it if larger values are real)")
    if whole:
        parts.append("all values whole: integer")
    return NumericGuess(minimum, maximum, whole, blank, "; ".join(parts))


def blank_rule(stats: ColumnStats, others: list[ColumnStats]) -> tuple[dict | None, str]:
    """A blank rule when the blanks occur only where another numeric column is 0."""
    rows = stats.blank
    for other in others:
        usable = other.all_numbers and other.numbers.nunique() > 2 and not other.blank.any()
        if other.name == stats.name or not usable:
            continue
        zero = (other.numbers == 0).to_numpy()
        chance = zero.mean() ** rows.sum()  # blanks all landing on zeros by coincidence
        if zero[rows].all() and chance < 1e-3:
            filled = stats.numbers[zero & ~rows]
            fill = float(filled.median()) if len(filled) else 0.0
            reason = (
                f"blank in {int(rows.sum())} rows, all where {other.name} is 0: blank is "
                f"accepted only there and read as {format_number(fill)}"
            )
            return {"when_column": other.name, "equals": 0, "fill": fill}, reason
    return None, ""


def leak_auc(stats: ColumnStats, churned: np.ndarray) -> float:
    """How well the column alone separates the labels (ROC-AUC folded above 0.5)."""
    if churned.all() or not churned.any():
        return 0.5
    if stats.all_numbers or (stats.distinct > MAX_CATEGORIES and not stats.unparseable.all()):
        low = stats.numbers.min() if stats.numbers.notna().any() else 0.0
        score = stats.numbers.fillna(low - 1).to_numpy()
    elif stats.distinct <= MAX_CATEGORIES:
        key = stats.text.fillna("\0blank")
        score = pd.Series(churned, index=key.index).groupby(key).transform("mean").to_numpy()
    else:  # free text: only whether it is blank can be judged
        score = stats.blank.astype(float)
    auc = float(roc_auc_score(churned, score))
    return max(auc, 1 - auc)
