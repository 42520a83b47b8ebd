"""Where RetainAI runs: URLs, stores and keys, from the environment with embedded defaults."""

from __future__ import annotations

import ipaddress
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from configs.errors import SettingsError
from configs.production_checks import production_problems, weak_key_reason  # noqa: F401
from configs.schema import RunConfig
from configs.settings_errors import settings_error_lines

_S3_URL = r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$"  # s3://bucket or s3://bucket/prefix
_SMTP_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


class ServingSettings(BaseSettings):
    """How the API serves (`RETAINAI_SERVING_<NAME>`): config file, alias polling, batch
    bounds, pools and caches."""

    model_config = SettingsConfigDict(
        env_prefix="RETAINAI_SERVING_", extra="ignore", frozen=True, populate_by_name=True
    )

    config: Path = Path("configs/telco.yaml")
    alias: str = "champion"
    poll_seconds: float = Field(30.0, ge=0)  # 0 turns alias polling off
    max_batch: int = Field(1000, ge=1, le=100_000)
    inline_rows: int = Field(32, ge=1)  # larger batches are scored in the thread pool
    token_cache_seconds: float = Field(10.0, ge=0)  # revocations apply within this time
    db_pool_size: int = Field(4, ge=1, le=50)
    gc_freeze: bool = True  # move startup objects out of the GC's generations (tail latency)

    @property
    def max_body_bytes(self) -> int:
        """Request bodies above this size are refused with 413 before they are parsed."""
        return 4096 * self.max_batch + 65536


class Settings(BaseSettings):
    """Every setting is `RETAINAI_<NAME>` (the API's own: `RETAINAI_SERVING_<NAME>`); defaults
    give a self-contained local state folder."""

    model_config = SettingsConfigDict(
        env_prefix="RETAINAI_", extra="ignore", frozen=True, populate_by_name=True
    )

    environment: str = Field("development", pattern="^(development|test|production)$")
    state_dir: Path = Path(".state")
    database_url: str | None = None
    mlflow_tracking_uri: str | None = None
    mlflow_artifact_location: str | None = None
    mlflow_experiment: str = "retainai-churn"
    registered_model: str | None = None  # overrides the config's registered model name
    s3_endpoint_url: str | None = None
    # `retainai stack up`: where its MLflow server keeps artifacts (s3://bucket/path; else a
    # folder in the state folder), the loopback ports and how long a service may take to answer
    mlflow_artifacts: str | None = None
    stack_host: str = "127.0.0.1"
    prefect_port: int = Field(4200, gt=0, lt=65536)
    mlflow_port: int = Field(5000, gt=0, lt=65536)
    api_port: int = Field(8000, gt=0, lt=65536)
    stack_start_timeout_seconds: float = Field(120.0, gt=0)
    work_pool: str = "retainai"  # the process work pool of prefect.yaml's deployments
    flow_heartbeat_seconds: int = Field(30, ge=30)  # a running flow run's heartbeat period
    crashed_after_seconds: int = Field(90, ge=31)  # no heartbeat this long: marked Crashed
    # Background jobs without a Prefect server (`retainai jobs work`, started by `serve`): a
    # running job's worker renews its lease; a job whose lease ran out is taken again
    job_lease_seconds: int = Field(60, ge=5, le=3600)
    job_poll_seconds: float = Field(1.0, gt=0, le=60)  # how often an idle worker looks
    # Reports (drift, training, scoring) are written under state_dir/reports and, when this
    # is set, copied to s3://bucket/prefix (the dashboard then reads them from there)
    reports_url: str | None = Field(None, pattern=_S3_URL)
    http_timeout_seconds: float = Field(30.0, gt=0)
    dask_address: str | None = None  # a running Dask scheduler; else a local cluster
    # The Prefect server the runs and the dashboard talk to (Prefect's own variables); none:
    # flows run in-process and the app's background work goes to the jobs worker
    prefect_api_url: str | None = Field(None, validation_alias="PREFECT_API_URL")
    prefect_api_key: SecretStr | None = Field(None, validation_alias="PREFECT_API_KEY")
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str = "gpt-4o-mini"
    # Campaign messages (tasks/adapters/llm.py). Without llm_api_key every message is written
    # by the fallback templates; a local OpenAI-compatible server needs any non-empty key.
    llm_timeout_seconds: float = Field(20.0, gt=0)  # one chat-completion request
    llm_max_attempts: int = Field(4, ge=1, le=10)  # per message, for 429 / 5xx / timeouts
    llm_backoff_seconds: float = Field(1.0, ge=0)  # first retry delay, doubled per attempt
    llm_backoff_max_seconds: float = Field(30.0, ge=0)  # longest single retry delay
    llm_concurrency: int = Field(32, ge=1, le=256)  # requests in flight at once per writer
    llm_budget: float | None = Field(None, ge=0)  # money per campaign run; None: no limit
    message_batch_size: int = Field(1000, ge=1, le=100_000)  # messages stored per transaction
    llm_price_prompt_per_1k: float = Field(0.0, ge=0)  # per 1000 prompt tokens (0: local)
    llm_price_completion_per_1k: float = Field(0.0, ge=0)  # per 1000 completion tokens
    prompts_dir: Path = Path(__file__).resolve().parent / "prompts"
    prompt_version: str = Field("v1", pattern=r"^v[0-9]+$")  # retention-<channel>-<version>.j2
    fallback_version: str = Field("v1", pattern=r"^v[0-9]+$")  # fallback-<channel>-<version>.j2
    # signs unsubscribe links; in production required: 32 random bytes or more (hex, base64)
    secret_key: SecretStr | None = None
    # Campaign email: the SMTP relay, the sender and the public URL unsubscribe links point to
    smtp_host: str | None = None  # no host: email delivery is not configured
    smtp_port: int | None = Field(None, gt=0, lt=65536)  # default 25, 587 or 465 by security
    smtp_security: Literal["none", "starttls", "ssl"] = "starttls"  # ssl: TLS from the start
    smtp_user: str | None = None  # log in only when set
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(30.0, gt=0)  # per connection and per SMTP reply
    smtp_ca_file: Path | None = None  # CA bundle for a private relay; else the system's
    mail_from: str | None = None  # "RetainAI <offers@example.com>"; domain of Message-IDs
    public_url: str | None = None  # base of unsubscribe links, e.g. https://retain.example.com
    # Alerts: `retainai deploy` creates one Prefect automation per kind (drift, a refused
    # promotion, realised ROC-AUC under its floor, a crashed run, a campaign send with
    # failures) that posts to the chat webhook and emails the people on call through the SMTP
    # relay above, each kind at most once per its cool-down
    alert_webhook_url: SecretStr | None = None
    alert_emails: Annotated[tuple[str, ...], NoDecode] = ()
    alert_drift_cooldown_minutes: int = Field(1440, ge=0)
    alert_realised_cooldown_minutes: int = Field(1440, ge=0)
    alert_promotion_cooldown_minutes: int = Field(0, ge=0)
    alert_crash_cooldown_minutes: int = Field(0, ge=0)
    alert_campaign_cooldown_minutes: int = Field(0, ge=0)
    # Dashboard users (tasks/services/accounts): sessions, login throttling, password resets
    session_idle_minutes: int = Field(30, ge=1)  # a session unused this long ends
    session_absolute_hours: int = Field(12, ge=1)  # and any session ends after this long
    # Wrong passwords make the next check wait (tasks/core/throttle.py), twice as long at each
    # further failure; a success, a password reset or `retainai users unlock` clears them
    login_window_minutes: int = Field(1440, ge=1)  # failed logins are remembered this long
    login_free_failures: int = Field(3, ge=1)  # one account from one address, before waits
    login_delay_seconds: int = Field(30, ge=1)  # the first wait, then doubled
    login_max_delay_minutes: int = Field(15, ge=1)  # the longest wait of an account + address
    login_max_failures: int = Field(10, ge=1)  # one account from every address, before waits
    login_account_max_delay_seconds: int = Field(120, ge=1, le=600)  # so never a lockout
    login_max_failures_per_address: int = Field(20, ge=1)  # one address, every account
    login_known_address_days: int = Field(30, ge=1)  # owner's addresses skip the account count
    # Client addresses come from X-Forwarded-For only when the connection comes from one of
    # these proxies (IP addresses or networks, comma-separated); none: the peer's address
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
    login_token_minutes: int = Field(60, ge=1)  # the API token a JSON login returns
    reset_token_minutes: int = Field(30, ge=1)  # a password reset link stays valid this long
    reset_mails_per_hour: int = Field(3, ge=1)  # reset links emailed to one account per hour
    self_registration: bool = False  # anyone may sign up (as a viewer)
    # the pages' language when a user has not chosen one (en, fr), none: the browser's; and the
    # command line's, none: the POSIX locale's (LC_ALL, LC_MESSAGES, LANG), else English
    default_language: str | None = Field(None, pattern="^(en|fr)$")
    # emails claimed per commit; a crash between claim and commit leaves at most this many
    # `unknown` (a person decides on them)
    send_batch_size: int = Field(50, ge=1, le=10_000)
    sms_opt_out_text: str = "Reply STOP to opt out."  # appended to every exported SMS
    # Customer files uploaded on the data page: refused past these, checked while the file is
    # read (a Parquet file from its footer, a CSV as it streams); the CLI and flows read any size
    upload_max_rows: int = Field(5_000_000, ge=1)
    upload_max_columns: int = Field(2_000, ge=1)
    upload_max_cells: int = Field(100_000_000, ge=1)  # rows times columns

    # The customers the flows read when given no --data (deployments pass none): a path,
    # s3://, database or http(s) URL. Secret, as a URL may hold a password or a key; pages and
    # logs show it through tasks/core/redaction.mask_url.
    training_source: SecretStr | None = None
    scoring_source: SecretStr | None = None
    scoring_table: str | None = None  # the table, when the scoring source is a database URL
    source_token: SecretStr | None = None  # bearer token sent to http(s) sources
    # how the API serves: its own variables, RETAINAI_SERVING_<NAME> (see the serving settings)
    serving: ServingSettings = Field(default_factory=ServingSettings)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, value: object) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else value or ()
        found = []
        for item in (i for i in items if str(i).strip()):
            try:
                found.append(str(ipaddress.ip_network(str(item).strip(), strict=False)))
            except ValueError:
                message = f"holds {item!r}, which is not an IP address or network"
                raise ValueError(message) from None
        return tuple(found)

    @field_validator("alert_emails", mode="before")
    @classmethod
    def _addresses(cls, value: object) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else value or ()
        found = tuple(str(item).strip() for item in items if str(item).strip())
        wrong = [item for item in found if not _EMAIL.match(item)]
        if wrong:
            raise ValueError(f"RETAINAI_ALERT_EMAILS: {', '.join(wrong)} is not an email address")
        return found

    @model_validator(mode="after")
    def _safe_in_production(self) -> Settings:
        """Every problem at once, each naming its variable and its fix."""
        if problems := production_problems(self):
            summary = "; ".join(problem.line() for problem in problems)
            context = {"summary": summary, "problems": tuple(map(tuple, problems))}
            raise PydanticCustomError("unsafe_in_production", "{summary}", context)
        return self

    def model_name(self, config: RunConfig) -> str:
        """The registered model of the config's table (RETAINAI_REGISTERED_MODEL overrides)."""
        return self.registered_model or config.registered_model

    @cached_property
    def state(self) -> Path:
        return self.state_dir.resolve()

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.state / 'retainai.db'}"

    @property
    def resolved_tracking_uri(self) -> str:
        return self.mlflow_tracking_uri or f"sqlite:///{self.state / 'mlflow.db'}"

    @property
    def resolved_artifact_location(self) -> str | None:
        """None with a tracking server: the server's own artifact store (proxied) is used."""
        if self.mlflow_artifact_location:
            return self.mlflow_artifact_location
        if self.resolved_tracking_uri.startswith(("http://", "https://")):
            return None
        return (self.state / "mlartifacts").as_uri()

    @property
    def resolved_smtp_port(self) -> int:
        return self.smtp_port or _SMTP_PORTS[self.smtp_security]

    @property
    def reports_dir(self) -> Path:
        return self.state / "reports"


def load_settings() -> Settings:
    """Settings from the environment; invalid ones are one SettingsError (a ConfigError) with
    a line per variable: its name, what is wrong and the fix, never its value. What every
    entry point reports before it starts anything."""
    lines: list[str] = []
    try:
        serving = ServingSettings()  # its own variables, each named in its line
    except ValidationError as error:
        lines += settings_error_lines(error, ServingSettings)
        serving = ServingSettings.model_construct()
    try:
        settings = Settings(serving=serving)
    except ValidationError as error:
        lines += settings_error_lines(error, Settings)
    if lines:
        raise SettingsError(lines)
    return settings
