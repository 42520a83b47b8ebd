"""The run config: what the data looks like and what the model does, validated once."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from configs.campaigns import Campaigns
from configs.dataset import (  # noqa: F401  (the config's parts, importable from here)
    BlankRule,
    Dataset,
    EngineeredFeature,
    NumericColumn,
    Roles,
    Strict,
    Target,
    feature_references,
)
from configs.errors import ConfigError
from configs.families import FAMILY_NAMES, SIMPLICITY_ORDER

FamilyName = Literal[FAMILY_NAMES]  # type: ignore[valid-type]


class Family(Strict):
    """One candidate model family and its search grid."""

    enabled: bool = True
    grid: dict[str, list[Any]] = Field(default_factory=dict)


class Model(Strict):
    families: dict[FamilyName, Family]
    # simplest first: the simplest family within one standard error of the best is chosen
    simplicity_order: list[FamilyName] = list(SIMPLICITY_ORDER)
    registered_name: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}$")
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
    """How far ahead business figures look: expected remaining months and lifetime value sum
    the months 1..horizon_months after the current tenure, and revenue at risk covers the same
    horizon; money is discounted monthly at the equivalent of annual_discount_rate."""

    annual_discount_rate: float = Field(0.10, ge=0.0, le=1.0)
    horizon_months: int = Field(12, ge=1, le=240)


class Survival(Strict):
    """Cox model for expected remaining lifetime; covariates must not be derived from tenure."""

    covariates: list[str] = Field(min_length=1)
    penalizer: float = Field(0.1, ge=0.0)

    @model_validator(mode="before")
    @classmethod
    def _no_max_months(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and "max_months" in raw:
            raise ValueError("survival.max_months is gone: the horizon is lifetime.horizon_months")
        return raw


class Monitoring(Strict):
    drift_share: float = Field(0.3, gt=0.0, le=1.0)  # dataset drift: this share of columns
    numeric_method: str = "ks"
    categorical_method: str = "chisquare"
    reference_rows: int = Field(5000, ge=100)
    action: Literal["warn", "block", "retrain"] = "warn"
    min_realised_roc_auc: float = Field(0.70, ge=0.0, le=1.0)


class Scoring(Strict):
    chunk_rows: int = Field(100_000, ge=100)


class Dashboard(Strict):
    # pairs of categorical columns whose churn rate and mean score the scoring run stores per
    # as_of for the dashboard's heatmaps (the segment column x tenure band always, if any)
    heatmaps: list[tuple[str, str]] = Field(default_factory=list)


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
    campaigns: Campaigns = Campaigns()
    dashboard: Dashboard = Dashboard()

    @model_validator(mode="after")
    def _features_reference_known_columns(self) -> RunConfig:
        known = set(self.dataset.feature_columns)
        for pair in self.dashboard.heatmaps:
            wrong = [c for c in pair if c not in self.dataset.categorical]
            if wrong or pair[0] == pair[1]:
                raise ValueError(
                    f"dashboard.heatmaps {list(pair)}: two different categorical "
                    f"columns, not {wrong or pair[0]}"
                )
        duration = self.dataset.roles.duration
        if self.survival is not None and duration is None:
            raise ValueError("survival needs dataset.roles.duration (the tenure in months)")
        for column in self.survival.covariates if self.survival else []:
            if column not in known:
                raise ValueError(f"survival covariate {column!r} is not a dataset column")
            if column == duration:
                raise ValueError("survival covariates cannot include the duration column")
        for feature in self.features:
            for ref in feature_references(feature):
                if ref not in known:
                    raise ValueError(f"feature {feature.name!r} uses unknown column {ref!r}")
            if feature.name in known:
                raise ValueError(f"feature {feature.name!r} clashes with an existing column")
            known.add(feature.name)
        for column in self.dataset.labels:
            if column not in known or column == self.dataset.target.column:
                raise ValueError(f"dataset.labels {column!r} is not a feature column")
        return self

    @property
    def registered_model(self) -> str:
        """The registry name of this table's model: `model.registered_name`, else derived
        from the dataset name (one registry per table)."""
        if self.model.registered_name:
            return self.model.registered_name
        return "retainai-" + re.sub(r"[^A-Za-z0-9_.\-]", "-", self.dataset.name)

    def digest(self) -> str:
        """A stable hash of the config, logged as a tag so runs can be compared."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class YamlLoader(yaml.SafeLoader):
    """YAML with the 1.2 booleans: only true/false are booleans, so `positive: yes` and
    `value: No` stay the words they are (YAML 1.1 reads yes/no/on/off as booleans)."""


YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a YAML run config; every problem is reported with its key path."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        raw = yaml.load(path.read_text(), Loader=YamlLoader)
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
