"""What the deployments will read, decided from the settings alone: the checks `retainai
deploy` and `retainai stack up` run before a schedule finds out at 03:00, and the problems
they report, one a line, each with the setting to change.

No check here touches anything: the probes are adapters, run by
tasks/services/operations/preflight.py. A check's `target` may hold a password (a source or
database URL): only its `label` is ever shown."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from configs.settings import Settings
from tasks.core.redaction import mask_url
from tasks.core.stack_plan import needed_buckets

PROBE_TIMEOUT_SECONDS = 5.0  # per probe: an endpoint silent this long does not answer
_SETTING = re.compile(r"\b(?:RETAINAI|PREFECT)_[A-Z0-9_]*[A-Z0-9]")
_DEFAULT_LLM = "https://api.openai.com/v1"  # the OpenAI SDK's, when no base URL is set


@dataclass(frozen=True)
class Check:
    """One thing to probe: `kind` (source, database, bucket, llm, smtp) at `target`."""

    kind: str
    setting: str
    label: str
    target: str = field(repr=False)
    table: str | None = None


@dataclass(frozen=True)
class Problem:
    """What is wrong and the setting to change."""

    setting: str
    text: str

    def line(self) -> str:
        return f"{self.setting}: {self.text}"


def plan(settings: Settings) -> tuple[list[Check], list[Problem]]:
    """The checks to run, and the problems already known without probing anything (a
    source the deployments need that is not set)."""
    checks: list[Check] = []
    problems: list[Problem] = []
    for kind, deployment in (("training", "train-weekly"), ("scoring", "score-daily")):
        setting = f"RETAINAI_{kind.upper()}_SOURCE"
        secret = getattr(settings, f"{kind}_source")
        if secret is None:
            problems.append(Problem(setting, f"not set: {deployment} has no {kind} data"))
            continue
        source = secret.get_secret_value()
        table = settings.scoring_table if kind == "scoring" else None
        label = f"{kind} source {mask_url(source)}" + (f" (table {table})" if table else "")
        checks.append(Check("source", setting, label, source, table))
    if settings.database_url:
        url = settings.database_url
        checks.append(Check("database", "RETAINAI_DATABASE_URL", f"database {mask_url(url)}", url))
    for bucket, setting in needed_buckets(settings).items():
        checks.append(Check("bucket", setting, f"S3 bucket {bucket}", bucket))
    if settings.llm_api_key is not None:
        url = settings.llm_base_url or _DEFAULT_LLM
        checks.append(Check("llm", "RETAINAI_LLM_BASE_URL", f"LLM API {mask_url(url)}", url))
    if settings.smtp_host:
        where = f"{settings.smtp_host}:{settings.resolved_smtp_port}"
        checks.append(Check("smtp", "RETAINAI_SMTP_HOST", f"SMTP server {where}", where))
    return checks, problems


def problem(check: Check, reason: str) -> Problem:
    """The problem a failed probe found (its reason names what it probed): under the
    setting the reason names (the key, the port, the security mode), else the check's own."""
    named = _SETTING.search(reason)
    if named is None:
        return Problem(check.setting, reason)
    return Problem(named.group(0), reason.replace(f" ({named.group(0)})", ""))
