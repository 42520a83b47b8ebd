"""What a churn table looks like: columns, target, engineered features and business roles."""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(Strict):
    column: str
    positive: str
    negative: str

    @field_validator("positive", "negative", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> str:
        return str(value)


class BlankRule(Strict):
    """Blank values allowed only where another numeric column equals a value; then filled."""

    when_column: str
    equals: float
    fill: float


class NumericColumn(Strict):
    min: float | None = None
    max: float | None = None
    integer: bool = False
    blank: BlankRule | None = None

    @model_validator(mode="after")
    def _range(self) -> NumericColumn:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class Roles(Strict):
    """Optional business columns; each enables the figures that depend on it, nothing else.

    duration: months each customer has been a customer (survival curves, Cox, expected
    remaining lifetime); value: revenue per customer per month (revenue at risk, lifetime
    value); segment: the business breakdown of KPIs and curves (e.g. contract type)."""

    duration: str | None = None
    value: str | None = None
    segment: str | None = None


class Ratio(Strict):
    kind: Literal["ratio"]
    name: str
    numerator: str
    denominator: str
    fallback: str | None = None  # column used where the denominator is zero


class CountEqual(Strict):
    kind: Literal["count_equal"]
    name: str
    columns: list[str] = Field(min_length=1)
    value: str


class Bins(Strict):
    kind: Literal["bins"]
    name: str
    column: str
    edges: list[float] = Field(min_length=2)

    @field_validator("edges")
    @classmethod
    def _increasing(cls, edges: list[float]) -> list[float]:
        if any(b <= a for a, b in pairwise(edges)):
            raise ValueError("bin edges must be strictly increasing")
        return edges


class Log1p(Strict):
    kind: Literal["log1p"]
    name: str
    column: str


class Flag(Strict):
    kind: Literal["flag"]
    name: str
    column: str
    value: str


class Difference(Strict):
    kind: Literal["difference"]
    name: str
    left: str
    right: str


class Product(Strict):
    kind: Literal["product"]
    name: str
    left: str
    right: str


EngineeredFeature = Annotated[
    Ratio | CountEqual | Bins | Log1p | Flag | Difference | Product, Field(discriminator="kind")
]
_OLD_ROLE_KEYS = {
    "tenure_column": "duration",
    "monthly_charges_column": "value",
    "segment_column": "segment",
}


class ColumnLabel(Strict):
    """How a column reads on pages, in the API and in messages: its label, the unit of its
    numbers (singular, and plural when not the singular + "s") and the shown text of stored
    values (e.g. SeniorCitizen `{"1": "Yes", "0": "No"}`). A plain string is the label."""

    label: str = Field(min_length=1, max_length=80)  # how the column reads, e.g. "Tenure"
    unit: str | None = Field(None, min_length=1, max_length=30)  # of one, e.g. "month"
    units: str | None = Field(None, min_length=1, max_length=30)  # of several; default unit+"s"
    values: dict[str, str] = Field(default_factory=dict)  # shown text of stored values

    @model_validator(mode="before")
    @classmethod
    def _label_only(cls, value: Any) -> Any:
        return {"label": value} if isinstance(value, str) else value

    @field_validator("values", mode="before")
    @classmethod
    def _values_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        return value


class Dataset(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
    id_column: str | None = None  # optional for training; scoring needs one
    target: Target
    numeric: dict[str, NumericColumn]
    categorical: dict[str, list[str]]
    roles: Roles = Roles()
    currency: str = Field(
        "USD",
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code of the value role's money: the dashboard's amounts.",
    )
    # column (or engineered feature) -> how it reads in reasons, pages and messages (a plain
    # string is the label); an engineered feature of one column reads as that column
    labels: dict[str, ColumnLabel] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _old_role_keys(cls, value: Any) -> Any:
        """Configs written before roles existed name them `tenure_column` and so on."""
        if isinstance(value, dict) and any(key in value for key in _OLD_ROLE_KEYS):
            value = dict(value)
            roles = dict(value.get("roles") or {})
            for old, role in _OLD_ROLE_KEYS.items():
                if old in value:
                    roles.setdefault(role, value.pop(old))
            value["roles"] = roles
        return value

    @field_validator("categorical", mode="before")
    @classmethod
    def _categories_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [str(v) for v in (vals or [])] for k, vals in value.items()}
        return value

    @model_validator(mode="after")
    def _columns(self) -> Dataset:
        names = [self.target.column, *self.numeric, *self.categorical]
        names += [self.id_column] if self.id_column else []
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"columns listed more than once: {duplicated}")
        for column, rule in self.numeric.items():
            if rule.blank and rule.blank.when_column not in self.numeric:
                raise ValueError(
                    f"numeric.{column}.blank.when_column {rule.blank.when_column!r} "
                    "is not a numeric column"
                )
        for column, values in self.categorical.items():
            if not values:
                raise ValueError(f"categorical.{column} lists no allowed values")
        for role in ("duration", "value"):
            column = getattr(self.roles, role)
            if column is not None and column not in self.numeric:
                raise ValueError(f"roles.{role} {column!r} is not a numeric column")
        segment = self.roles.segment
        if segment is not None and segment not in self.categorical:
            raise ValueError(f"roles.segment {segment!r} is not a categorical column")
        return self

    @property
    def feature_columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    @property
    def input_columns(self) -> list[str]:
        """Columns a scoring file must carry (everything but the target)."""
        return [*([self.id_column] if self.id_column else []), *self.feature_columns]

    @property
    def segment_values(self) -> list[str]:
        """The allowed values of the segment column ([] without a segment role)."""
        return list(self.categorical[self.roles.segment]) if self.roles.segment else []


def feature_references(feature: Any) -> list[str]:
    """The columns (inputs or earlier engineered features) one engineered feature uses."""
    refs = []
    for field in ("numerator", "denominator", "fallback", "column", "left", "right"):
        value = getattr(feature, field, None)
        if value:
            refs.append(value)
    refs.extend(getattr(feature, "columns", []))
    return refs
