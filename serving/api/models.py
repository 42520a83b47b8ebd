"""Request and response models of the API (the customer schema: request_parser.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from configs.vocabulary import RiskSegment
from tasks.core.credentials import TOKEN_NAME_PATTERN
from tasks.core.policy import TOKEN_ROLES, USER_ROLES

Role = Literal[TOKEN_ROLES]  # type: ignore[valid-type]
UserRole = Literal[USER_ROLES]  # type: ignore[valid-type]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ModelRef(BaseModel):
    name: str
    version: str
    alias: str


class Reason(BaseModel):
    feature: str = Field(description="The business column (engineered features folded in).")
    value: Any = None
    contribution: float = Field(description="Contribution to the churn log-odds.")
    direction: str
    label: str | None = Field(None, description="The column's label (dataset.labels).")
    text: str | None = Field(None, description="In business words, e.g. 'Tenure: 1 month'.")


class WordedReason(BaseModel):
    column: str = Field(description="The business column (engineered features folded in).")
    label: str
    value: str | None = Field(None, description="As shown, with its unit ('1 month').")
    contribution: float = Field(description="Contribution to the churn log-odds.")
    direction: Literal["raises risk", "lowers risk"]
    text: str = Field(description="E.g. 'Tenure: 1 month'.")


class Prediction(BaseModel):
    customer_id: str | None = None
    churn_probability: float
    risk_segment: RiskSegment
    reasons: list[Reason] | None = Field(None, description="Only with `explain=true`.")


class SinglePrediction(Prediction):
    model: ModelRef


class BatchPrediction(BaseModel):
    model: ModelRef
    predictions: list[Prediction]


class ModelDescription(BaseModel):
    name: str
    version: str
    alias: str
    family: str | None
    predictor: str
    threshold: float | None
    holdout_metrics: dict[str, Any]
    cv_roc_auc_mean: float | None
    config_digest: str | None
    run_id: str
    trained_at: datetime
    loaded_at: datetime
    feature_schema: dict[str, Any]


class KpiSnapshot(BaseModel):
    dataset: str
    as_of: date
    model_version: str
    kpis: dict[str, Any]
    run_id: str
    created_at: datetime


class CustomerScore(BaseModel):
    customer_id: str
    as_of: date
    model_version: str
    churn_probability: float
    risk_segment: str
    monthly_value: float | None = Field(description="The value role's figure (revenue/month)")
    segment_value: str | None = Field(description="The segment role's value")
    expected_remaining_months: float | None
    lifetime_value: float | None


class CustomerPage(BaseModel):
    items: list[CustomerScore]
    limit: int
    offset: int
    next_offset: int | None


class ScoreHistory(BaseModel):
    as_of: date
    model_version: str
    churn_probability: float
    risk_segment: str
    scored_at: datetime


class CustomerDetail(CustomerScore):
    top_reasons: Any = Field(description="As stored: business column, value, contribution.")
    reasons: list[WordedReason] = Field(
        default_factory=list, description="The top reasons in business words."
    )
    scored_at: datetime
    run_id: str
    history: list[ScoreHistory]


class TrainingRun(BaseModel):
    run_id: str  # the Prefect flow run, or the job of the jobs worker
    backend: Literal["prefect", "jobs"]


class Reload(BaseModel):
    previous_version: str | None
    version: str | None
    changed: bool


class TokenRequest(Strict):
    name: str = Field(pattern=TOKEN_NAME_PATTERN)
    role: Role


class TokenCreated(BaseModel):
    name: str
    role: str
    token: str = Field(description="Shown once; only its SHA-256 digest is stored.")


class TokenInfo(BaseModel):
    name: str
    role: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class Message(BaseModel):
    detail: Any


class Credentials(BaseModel):
    """A login: JSON here, or the same fields from the login page's form."""

    email: str = Field(max_length=320)
    password: str = Field(max_length=256)


class UserInfo(BaseModel):
    id: int
    email: str
    role: UserRole


class LoginAnswer(BaseModel):
    access_token: str = Field(description="A bearer token of the user's role; it expires.")
    token_type: Literal["bearer"]
    expires_in: int = Field(description="Seconds the token stays valid.")
    user: UserInfo


class LegacyKpis(BaseModel):
    total_clients: int
    churn_rate: float | None = Field(description="Percent: observed, else mean predicted.")
    at_risk_count: int
    avg_churn_score: float | None
    lifetime_value: float | None
    revenue_at_risk: float | None = Field(
        description="Monthly revenue expected to be lost: sum of monthly value x churn "
        "probability (null without a value role)."
    )


class LegacyClient(BaseModel):
    model_config = ConfigDict(extra="allow")

    customer_id: str
    churn_score: float
    risk_segment: RiskSegment
    name: str | None = Field(None, description="From the contacts, where known.")
    email: str | None = Field(None, description="From the contacts, where known.")
    reasons: list[WordedReason] = Field(
        default_factory=list, description="The top reasons in business words."
    )


class LegacyClients(BaseModel):
    clients: list[LegacyClient]
    total: int
