"""The run config: what the data looks like and what the model does, validated once."""

from __future__ import annotations

import hashlib
import json
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tasks.core.errors import ConfigError


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


class Dataset(Strict):
    name: str
    id_column: str
    target: Target
    numeric: dict[str, NumericColumn]
    categorical: dict[str, list[str]]
    tenure_column: str
    monthly_charges_column: str
    segment_column: str  # the business breakdown for KPIs and survival curves (e.g. Contract)

    @field_validator("categorical", mode="before")
    @classmethod
    def _categories_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [str(v) for v in (vals or [])] for k, vals in value.items()}
        return value

    @model_validator(mode="after")
    def _columns(self) -> Dataset:
        names = [self.id_column, self.target.column, *self.numeric, *self.categorical]
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
        for field in ("tenure_column", "monthly_charges_column"):
            if getattr(self, field) not in self.numeric:
                raise ValueError(f"{field} {getattr(self, field)!r} is not a numeric column")
        if self.segment_column not in self.categorical:
            raise ValueError(f"segment_column {self.segment_column!r} is not a categorical column")
        return self

    @property
    def feature_columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    @property
    def input_columns(self) -> list[str]:
        """Columns a scoring file must carry (everything but the target)."""
        return [self.id_column, *self.feature_columns]


class Family(Strict):
    """One candidate model family and its search grid."""

    enabled: bool = True
    grid: dict[str, list[Any]] = Field(default_factory=dict)


class Model(Strict):
    families: dict[Literal["logistic_regression", "random_forest", "lightgbm", "blend"], Family]
    cv_folds: int = Field(5, ge=2, le=20)
    test_size: float = Field(0.2, gt=0.0, lt=0.9)
    seed: int = 42
    n_jobs: int = Field(2, ge=1)
    threshold_metric: Literal["f1"] = "f1"
    top_reasons: int = Field(3, ge=1, le=20)

    @model_validator(mode="after")
    def _some_family(self) -> Model:
        if not any(f.enabled for f in self.families.values()):
            raise ValueError("model.families enables no family")
        return self


class Validation(Strict):
    min_rows: int = Field(50, ge=1)
    max_quarantine_share: float = Field(0.05, ge=0.0, le=1.0)
    max_unparseable_share: float = Field(0.5, ge=0.0, le=1.0)
    sample_size: int = Field(5, ge=1, le=50)
    # The GX suite runs on at most this many rows (a fixed random sample) as the recorded
    # report; the contract's own vectorised rules check every row.
    suite_rows: int = Field(50_000, ge=1000)


class QualityGates(Strict):
    min_roc_auc: float = Field(0.75, ge=0.0, le=1.0)
    min_pr_auc: float = Field(0.0, ge=0.0, le=1.0)
    max_brier: float = Field(0.2, ge=0.0, le=1.0)
    min_lift_at_10: float = Field(1.0, ge=0.0)
    champion_tolerance: float = Field(0.005, ge=0.0, le=1.0)


class Segments(Strict):
    """Risk segment cut-offs on churn probability: high >= high, medium >= medium."""

    high: float = Field(0.6, gt=0.0, lt=1.0)
    medium: float = Field(0.3, gt=0.0, lt=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> Segments:
        if self.medium >= self.high:
            raise ValueError("segments.medium must be below segments.high")
        return self


class Lifetime(Strict):
    annual_discount_rate: float = Field(0.10, ge=0.0, le=1.0)
    horizon_months: int = Field(12, ge=1, le=240)


class Survival(Strict):
    """Cox model for expected remaining lifetime; covariates must not be derived from tenure."""

    covariates: list[str] = Field(min_length=1)
    penalizer: float = Field(0.1, ge=0.0)
    max_months: int = Field(120, ge=12, le=600)  # lifetimes are restricted means up to here


class Monitoring(Strict):
    drift_share: float = Field(0.3, gt=0.0, le=1.0)  # dataset drift: this share of columns
    numeric_method: str = "ks"
    categorical_method: str = "chisquare"
    reference_rows: int = Field(5000, ge=100)
    action: Literal["warn", "block", "retrain"] = "warn"
    min_realised_roc_auc: float = Field(0.70, ge=0.0, le=1.0)


class Scoring(Strict):
    chunk_rows: int = Field(100_000, ge=100)


class RunConfig(Strict):
    dataset: Dataset
    features: list[EngineeredFeature] = Field(default_factory=list)
    model: Model
    validation: Validation = Validation()
    quality_gates: QualityGates = QualityGates()
    segments: Segments = Segments()
    lifetime: Lifetime = Lifetime()
    survival: Survival | None = None  # without it, no lifetime figures
    monitoring: Monitoring = Monitoring()
    scoring: Scoring = Scoring()

    @model_validator(mode="after")
    def _features_reference_known_columns(self) -> RunConfig:
        known = set(self.dataset.feature_columns)
        for column in self.survival.covariates if self.survival else []:
            if column not in known:
                raise ValueError(f"survival covariate {column!r} is not a dataset column")
            if column == self.dataset.tenure_column:
                raise ValueError("survival covariates cannot include the tenure column")
        for feature in self.features:
            for ref in _references(feature):
                if ref not in known:
                    raise ValueError(f"feature {feature.name!r} uses unknown column {ref!r}")
            if feature.name in known:
                raise ValueError(f"feature {feature.name!r} clashes with an existing column")
            known.add(feature.name)
        return self

    def digest(self) -> str:
        """A stable hash of the config, logged as a tag so runs can be compared."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _references(feature: Any) -> list[str]:
    refs = []
    for field in ("numerator", "denominator", "fallback", "column", "left", "right"):
        value = getattr(feature, field, None)
        if value:
            refs.append(value)
    refs.extend(getattr(feature, "columns", []))
    return refs


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a YAML run config; every problem is reported with its key path."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    try:
        return RunConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from exc
