"""What the customers' use cases take and give back. `CustomerFilter` is the one rule of a
customers list (sorts, order, page, filters): the API reads it from the query string as it
is, the customers page builds it from its form; either way it is validated here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from configs.schema import RunConfig
from configs.vocabulary import RiskSegment
from tasks.core.errors import InvalidInputError
from tasks.i18n import N_

SORTS = {  # sort key -> what it sorts by, in business words
    "churn_score": "churn probability",
    "lifetime_value": "lifetime value",
    "monthly_value": "monthly value",
    "customer_id": "customer id",
}
SortKey = Literal[tuple(SORTS)]  # type: ignore[valid-type]
Order = Literal["asc", "desc"]
MAX_OFFSET = 10_000_000


class CustomerFilter(BaseModel):
    """Which customers, in which order, which page of them (nothing else: an unknown
    parameter is refused, never ignored)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sort: SortKey = "churn_score"
    order: Order = "desc"
    limit: int = Field(50, ge=1, le=500, description="Customers per page.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Customers skipped.")
    segment: RiskSegment | None = Field(None, description="Only this risk segment.")
    segment_value: str | None = Field(
        None, max_length=100, description="Only this value of the segment role."
    )
    min_probability: float | None = Field(None, ge=0, le=1, description="Lowest churn score.")
    max_probability: float | None = Field(None, ge=0, le=1, description="Highest churn score.")
    search: str | None = Field(None, max_length=64, description="Customer ids starting so.")


def customer_filter(**fields: Any) -> CustomerFilter:
    """The filter of these fields, else InvalidInputError naming the field and the rule."""
    try:
        return CustomerFilter(**fields)
    except ValidationError as error:
        raise filter_refusal(error.errors()[0]) from None


# pydantic's kinds of error -> what the customers list says, in the reader's language
_RULES = {
    "greater_than_equal": (N_("%(field)s: at least %(bound)s"), "ge"),
    "less_than_equal": (N_("%(field)s: at most %(bound)s"), "le"),
    "string_too_long": (N_("%(field)s: at most %(bound)s characters"), "max_length"),
    "literal_error": (N_("%(field)s: one of %(bound)s"), "expected"),
    "enum": (N_("%(field)s: one of %(bound)s"), "expected"),
    "int_parsing": (N_("%(field)s: %(value)r is not a whole number"), None),
    "float_parsing": (N_("%(field)s: %(value)r is not a number"), None),
    "extra_forbidden": (N_("%(field)s: not a filter of the customers list"), None),
}


def filter_refusal(first: dict[str, Any]) -> InvalidInputError:
    """The first broken rule of a filter, naming the field (as written in the query)."""
    where = ".".join(str(part) for part in first["loc"]) or "filter"
    rule = _RULES.get(first["type"])
    if rule is None:
        return InvalidInputError(N_("%(field)s: %(reason)s"), field=where, reason=first["msg"])
    template, bound = rule
    values = {"field": where, "value": first.get("input")}
    if bound is not None:
        values["bound"] = (first.get("ctx") or {}).get(bound)
    return InvalidInputError(template, **values)


def probability_bound(text: str | None) -> float | None:
    """A probability typed in a form; blank or not one in [0, 1]: no bound."""
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if 0 <= value <= 1 else None


@dataclass(frozen=True)
class CustomerQuery:
    """A customers list of the config's table. `after` is the keyset cursor of a previous
    page's last row (`next_cursor`), followed when sorting by churn score."""

    config: RunConfig
    filter: CustomerFilter = field(default_factory=CustomerFilter)
    after: str | None = None
    with_reasons: bool = False


@dataclass(frozen=True)
class CustomerList:
    items: list[dict[str, Any]]
    more: bool  # another page follows
    next_offset: int | None
    next_cursor: str | None  # by churn score: where the next page starts (else None)


@dataclass(frozen=True)
class CustomerRef:
    dataset: str
    customer_id: str


@dataclass(frozen=True)
class CustomerView:
    """One customer's latest score with reasons and lifetime value, the score history, the
    campaigns the customer was in and the contact data (None without any)."""

    detail: dict[str, Any]
    campaigns: list[dict[str, Any]]
    contact: dict[str, Any] | None = None


@dataclass(frozen=True)
class Overview:
    """The overview's cards (formatted) from the latest KPI snapshot, and what the charts
    draw: the latest figures and the snapshots' history (empty before the first run)."""

    cards: list[dict[str, Any]]
    latest: dict[str, Any] | None
    history: list[dict[str, Any]]
    previous_as_of: date | None


@dataclass(frozen=True)
class Heatmaps:
    """The heatmaps' tables of the latest KPI snapshot, by pair of columns."""

    tables: dict[str, Any]
    as_of: date | None
