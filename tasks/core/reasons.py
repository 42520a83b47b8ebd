"""A customer's churn reasons in business words: the one rendering pages, API and messages use.

A stored reason is `{feature, value, contribution}` (contribution to the churn log-odds, see
`tasks.core.scoring`). Scoring folds the engineered features of one column onto that column
(`tasks.core.inference.fold_engineered`); reasons stored before that may still name an
engineered feature, so the rendering folds them too: the contributions of one business
column are added up, its value is the column's own (or, from an engineered feature alone,
what can be read back: the months of a log tenure, the band of a tenure band). Each reason
reads `<label>: <value> <unit>` with the label, unit and shown values of `dataset.labels`
(else the column name in plain words) and says whether it raises or lowers the risk.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from configs.dataset import ColumnLabel
from configs.schema import RunConfig
from tasks.core.features import bin_labels, feature_sources

RAISES, LOWERS = "raises risk", "lowers risk"
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


@dataclass(frozen=True)
class BusinessReason:
    """One reason: the business column, how it reads, and its contribution (log-odds)."""

    column: str
    label: str
    value: str | None  # the shown value with its unit; None when not known
    contribution: float

    @property
    def raises_risk(self) -> bool:
        return self.contribution > 0

    @property
    def direction(self) -> str:
        return RAISES if self.raises_risk else LOWERS

    @property
    def text(self) -> str:
        """'Tenure: 1 month', or the label alone without a value."""
        return f"{self.label}: {self.value}" if self.value is not None else self.label

    def as_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "label": self.label,
            "value": self.value,
            "contribution": round(self.contribution, 6),
            "direction": self.direction,
            "text": self.text,
        }


def plain_words(name: str) -> str:
    """A column name in words, capitalised: 'MonthlyCharges' -> 'Monthly charges'."""
    words = []
    for part in re.split(r"[_\-\s.]+", name):
        words += [w if w.isupper() and len(w) > 1 else w.lower() for w in _WORDS.findall(part)]
    text = " ".join(words) or name
    return text[:1].upper() + text[1:]


def column_label(config: RunConfig, column: str) -> ColumnLabel:
    """The configured label of a column, else its name in plain words."""
    return config.dataset.labels.get(column) or ColumnLabel(label=plain_words(column))


def shown_value(value: Any, label: ColumnLabel) -> str | None:
    """A value as it reads: the configured text of the value, else numbers without useless
    decimals (at most 2) followed by the unit ('1 month', '24 months'), else the text."""
    if isinstance(value, _BandText):
        return f"{value} {label.units or label.unit + 's'}" if label.unit else str(value)
    if value is None or isinstance(value, bool):
        return None if value is None else ("Yes" if value else "No")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    number = _number(value)
    key = _key(value, number)
    if key in label.values:
        return label.values[key]
    if number is None:
        text = str(value).strip()
        return None if text in ("", "nan") else text
    shown = f"{number:,.2f}".removesuffix(".00")  # whole numbers without decimals
    if label.unit is None:
        return shown
    unit = label.unit if shown in ("1", "-1") else (label.units or f"{label.unit}s")
    return f"{shown} {unit}"


def business_reasons(
    raw: Any, config: RunConfig, limit: int | None = None, numbers: bool = True
) -> list[BusinessReason]:
    """Stored reasons (JSON text or a list of {feature, value, contribution}) as business
    reasons: one per business column, the strongest first, the identifier and unknown
    columns left out, zero or unreadable contributions dropped. With `numbers=False` (what
    messages may say) a value is shown only when it is one of the column's allowed
    categories or a band (of a `bins` feature): never a number of the customer's own."""
    known = set(config.dataset.feature_columns)
    specs = {f.name: f for f in config.features}
    onto = _single_sources(config)
    summed: dict[str, float] = {}
    own: dict[str, Any] = {}  # the column's value as stored with its own reason
    derived: dict[str, Any] = {}  # else read back from one of its engineered features
    for item in _items(raw):
        name = str(item["feature"])
        if name not in known and name not in specs:
            continue
        try:
            contribution = float(item.get("contribution", 0.0))
        except (TypeError, ValueError):
            continue
        if not math.isfinite(contribution):
            continue
        column = onto.get(name, name)
        summed[column] = summed.get(column, 0.0) + contribution
        if name == column:
            own[column] = item.get("value")
        elif derived.get(column) is None:
            derived[column] = _read_back(specs[name], item.get("value"), numbers)
    reasons = []
    for column, contribution in summed.items():
        if contribution == 0.0:
            continue
        label = column_label(config, column)
        value = own[column] if column in own else derived.get(column)
        if not numbers and not _categorical(config, column, value):
            band = derived.get(column)
            value = band if isinstance(band, _BandText) else _band_of(config, column, value)
        reasons.append(BusinessReason(column, label.label, shown_value(value, label), contribution))
    reasons.sort(key=lambda r: -abs(r.contribution))
    return reasons[:limit] if limit is not None else reasons


def reason_texts(raw: Any, config: RunConfig, limit: int | None = None) -> list[str]:
    """Each reason as one line: 'Tenure: 1 month (raises risk)'."""
    return [f"{r.text} ({r.direction})" for r in business_reasons(raw, config, limit)]


_READ: dict[int, tuple[RunConfig, dict[str, str]]] = {}  # id -> (config, its sources)


def _single_sources(config: RunConfig) -> dict[str, str]:
    """Engineered features of one input column -> that column (as `fold_engineered`), worked
    out once per config object (a page or a batch of predictions reads many reasons)."""
    known = _READ.get(id(config))
    if known is not None and known[0] is config:
        return known[1]
    found = feature_sources([f.model_dump() for f in config.features])
    single = {name: sources[0] for name, sources in found.items() if len(sources) == 1}
    if len(_READ) > 32:
        _READ.clear()
    _READ[id(config)] = (config, single)
    return single


def _categorical(config: RunConfig, column: str, value: Any) -> bool:
    """Whether the value is one of the column's allowed categories."""
    allowed = config.dataset.categorical.get(column)
    return allowed is not None and _key(value, _number(value)) in allowed


def _band_of(config: RunConfig, column: str, value: Any) -> _BandText | None:
    """The band of a number by the column's `bins` feature (right-open, clipped to the
    edges, the last band open: '48+'); None without one."""
    number = _number(value)
    edges = next(
        (f.edges for f in config.features if f.kind == "bins" and f.column == column), None
    )
    if number is None or not edges or not math.isfinite(number):
        return None
    labels = bin_labels(edges)
    inside = sum(1 for edge in edges[1:-1] if edge <= number)
    return _BandText(f"{edges[-2]:g}+" if inside == len(labels) - 1 else labels[inside])


def _read_back(spec: Any, value: Any, numbers: bool = True) -> Any:
    """The source column's value from an engineered one, when it can be read back."""
    number = _number(value)
    if spec.kind == "log1p" and number is not None and numbers:
        return round(math.expm1(number), 6)
    labels = bin_labels(spec.edges) if spec.kind == "bins" else []
    if str(value) in labels:
        last = str(value) == labels[-1]
        return _BandText(f"{spec.edges[-2]:g}+" if last else str(value))
    return None


class _BandText(str):
    """A band label ('0-6'): shown with the plural unit ('0-6 months')."""


def _items(raw: Any) -> list[Mapping[str, Any]]:
    try:
        items = json.loads(raw) if isinstance(raw, str | bytes) else raw
    except ValueError:
        return []
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, Mapping) and "feature" in item]


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _key(value: Any, number: float | None) -> str:
    if number is not None and number == round(number) and abs(number) < 2**53:
        return str(int(number))
    return str(value)
