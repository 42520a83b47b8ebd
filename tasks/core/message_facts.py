"""What a retention message may say about one scored customer, in plain words.

The facts carry the risk segment, the segment role's value, a tenure band, the top churn
reasons as phrases in business words (the one rendering of `tasks.core.reasons`) and the
offer. They never carry identifiers, names, e-mail addresses,
phone numbers or money figures: a reason shows its value only when the value is one of the
config's allowed categories (or a band label of an engineered `bins` feature); every number
of a reason is left out, and the customer's own id and value columns are never read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from configs.schema import RunConfig
from configs.vocabulary import RISK_SEGMENTS
from tasks.core.reasons import LOWERS, RAISES, business_reasons

DEFAULT_TENURE_EDGES = (0.0, 6.0, 12.0, 24.0, 48.0, 1000.0)  # months, when no bins feature
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


@dataclass(frozen=True)
class Offer:
    """What the campaign offers, written by the campaign's owner."""

    name: str
    description: str = ""


@dataclass(frozen=True)
class Reason:
    """One churn reason in business words: `phrase` reads as a whole sentence part."""

    feature: str  # the column's label, e.g. "Tech support"
    value: str | None  # an allowed category or a band ("0-6 months"); None for numbers
    raises_risk: bool

    @property
    def direction(self) -> str:
        return RAISES if self.raises_risk else LOWERS

    @property
    def said(self) -> str:
        """The reason in business words, without the model's direction: 'Contract:
        Month-to-month', 'monthly charges'."""
        return f"{self.feature}: {self.value}" if self.value is not None else self.feature

    @property
    def phrase(self) -> str:
        return f"{self.said} ({self.direction})"


@dataclass(frozen=True)
class MessageFacts:
    """Everything a message about one customer may draw on; safe to send to a provider."""

    risk_segment: str  # high | medium | low
    offer: Offer
    segment_name: str | None = None  # readable segment role, e.g. "contract"
    segment_value: str | None = None  # e.g. "Month-to-month"
    tenure_band: str | None = None  # e.g. "12-24 months"
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    language: str = "en"  # the language the message is written in (en, fr)

    def as_context(self) -> dict[str, Any]:
        """The facts as template variables: `may_leave_over` and `stays_for` are the top
        reasons that raise and lower the customer's churn risk, in business words."""
        return {
            "language": self.language,
            "may_leave_over": [r.said for r in self.reasons if r.raises_risk],
            "stays_for": [r.said for r in self.reasons if not r.raises_risk],
            "risk_segment": self.risk_segment,
            "segment_name": self.segment_name,
            "segment_value": self.segment_value,
            "tenure_band": self.tenure_band,
            "reasons": [r.phrase for r in self.reasons],
            "risk_reasons": [r.phrase for r in self.reasons if r.raises_risk],
            "offer_name": self.offer.name,
            "offer_description": self.offer.description,
        }


def readable(name: str) -> str:
    """A column name in plain lower-case words: 'MonthlyCharges' -> 'monthly charges',
    'tenure_band' -> 'tenure band', 'PhoneService' -> 'phone service'."""
    words = []
    for part in re.split(r"[_\-\s.]+", name):
        words += [w if w.isupper() and len(w) > 1 else w.lower() for w in _WORDS.findall(part)]
    return " ".join(words) or name


def band_labels(edges: Sequence[float]) -> list[str]:
    """The labels the `bins` feature writes for these edges ('0-6', '6-12', ...)."""
    return [f"{lo:g}-{hi:g}" for lo, hi in pairwise(edges)]


def tenure_band(months: float, edges: Sequence[float] = DEFAULT_TENURE_EDGES) -> str:
    """The band of `months` as '<lo>-<hi> months', the last band open ('48+ months')."""
    edges = [float(e) for e in edges]
    value = min(max(float(months), edges[0]), edges[-1])
    for (_lo, hi), label in zip(pairwise(edges[:-1]), band_labels(edges[:-1]), strict=True):
        if value < hi:
            return f"{label} months"
    return f"{edges[-2]:g}+ months"


def _bins_of(config: RunConfig) -> dict[str, tuple[str, list[float]]]:
    """Engineered bins features: name -> (source column, edges)."""
    return {f.name: (f.column, list(f.edges)) for f in config.features if f.kind == "bins"}


def duration_edges(config: RunConfig) -> list[float]:
    """The tenure bands' edges: the config's bins of the duration role, else the defaults."""
    duration = config.dataset.roles.duration
    for column, edges in _bins_of(config).values():
        if column == duration:
            return edges
    return list(DEFAULT_TENURE_EDGES)


def _reason_items(raw: Any) -> list[Mapping[str, Any]]:
    items = json.loads(raw) if isinstance(raw, str | bytes) else raw
    if not items:
        return []
    if not isinstance(items, list):
        raise ValueError("top_reasons is not a list")
    return [item for item in items if isinstance(item, Mapping) and "feature" in item]


def churn_reasons(raw: Any, config: RunConfig, limit: int | None = None) -> tuple[Reason, ...]:
    """The scored reasons (JSON text or items {feature, value, contribution}) in business
    words (`tasks.core.reasons`, numbers left out); the value role's column is dropped, and
    the identifier is never a reason."""
    hidden = {config.dataset.id_column, config.dataset.roles.value} - {None}
    found = [
        Reason(r.label, r.value, r.raises_risk)
        for r in business_reasons(raw, config, numbers=False)
        if r.column not in hidden
    ]
    return tuple(found[:limit] if limit is not None else found)


def _tenure_from_reasons(raw: Any, config: RunConfig) -> str | None:
    """The tenure band from a reason: the duration's bins feature, or the duration column
    itself (its months turned into a band; the number itself is never kept)."""
    duration = config.dataset.roles.duration
    for item in _reason_items(raw):
        value = item.get("value")
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if str(item["feature"]) == duration and number and value >= 0:
            return tenure_band(value, duration_edges(config))
        bins = _bins_of(config).get(str(item["feature"]))
        labels = band_labels(bins[1]) if bins and bins[0] == duration else []
        if str(value) in labels:
            last = str(value) == labels[-1]
            return f"{bins[1][-2]:g}+ months" if last else f"{value} months"
    return None


def _months(value: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and value == value and value >= 0


def build_facts(
    customer: Mapping[str, Any], config: RunConfig, offer: Offer, language: str = "en"
) -> MessageFacts:
    """Facts from one scored customer (a `customer_scores` row as a mapping: risk_segment,
    top_reasons, segment_value; the duration role's months under the role's column name or
    `duration`, when known). Nothing else of the row is read."""
    segment = str(customer.get("risk_segment", ""))
    if segment not in RISK_SEGMENTS:
        raise ValueError(f"risk_segment {segment!r} is not one of {RISK_SEGMENTS}")
    data = config.dataset
    segment_name = segment_value = band = None
    if data.roles.segment:
        segment_name = readable(data.roles.segment)
        value = customer.get("segment_value", customer.get(data.roles.segment))
        segment_value = str(value) if str(value) in data.segment_values else None
    raw_reasons = customer.get("top_reasons")
    if data.roles.duration:
        months = customer.get(data.roles.duration, customer.get("duration"))
        if _months(months):
            band = tenure_band(months, duration_edges(config))
        else:
            band = _tenure_from_reasons(raw_reasons, config)
    return MessageFacts(
        risk_segment=segment,
        offer=offer,
        segment_name=segment_name,
        segment_value=segment_value,
        tenure_band=band,
        reasons=churn_reasons(raw_reasons, config, limit=config.model.top_reasons),
        language=language,
    )
