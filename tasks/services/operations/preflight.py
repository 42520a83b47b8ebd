"""Preflight: what the deployments will read, probed before a schedule meets it. Used by
`retainai deploy` (which refuses on any problem) and `retainai stack up` (which says them).

Every source must be readable, the application database must exist and answer, every bucket
must exist, and the LLM API and the SMTP relay must answer when they are configured. The
probes run at once, each waiting a few seconds at most."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from configs.settings import Settings
from tasks.adapters import db, probes
from tasks.adapters.sources import probe_source
from tasks.adapters.stack_services import run_home
from tasks.core.errors import DataSourceError
from tasks.core.preflight import PROBE_TIMEOUT_SECONDS, Check, Problem, plan, problem


@dataclass(frozen=True)
class Preflight:
    """What was checked (labels, no secret) and the problems found, one per line."""

    checked: list[str]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def run_checks(settings: Settings, seconds: float = PROBE_TIMEOUT_SECONDS) -> Preflight:
    """Probe everything the deployments will read; problems in the order of the checks."""
    checks, known = plan(settings)
    if not checks:
        return Preflight([], known)
    with ThreadPoolExecutor(max_workers=len(checks)) as pool:
        reasons = list(pool.map(lambda check: _probe(settings, check, seconds), checks))
    found = [
        problem(check, reason) for check, reason in zip(checks, reasons, strict=True) if reason
    ]
    return Preflight([check.label for check in checks], known + found)


def _probe(settings: Settings, check: Check, seconds: float) -> str | None:
    if check.kind == "source":
        try:
            probe_source(check.target, check.table, settings, seconds, run_home())
        except DataSourceError as exc:
            hint = ""
            if "needs a table" in str(exc) and check.setting == "RETAINAI_SCORING_SOURCE":
                hint = " (RETAINAI_SCORING_TABLE)"
            kind = check.setting.split("_")[1].lower()  # RETAINAI_TRAINING_SOURCE: training
            return f"{kind} source {exc}{hint}"
        return None
    if check.kind == "database":
        return db.probe_database(check.target)
    if check.kind == "bucket":
        return probes.bucket(settings, check.target, seconds)
    if check.kind == "llm":
        return probes.llm(settings, check.target, seconds)
    if check.kind == "smtp":
        return probes.smtp(settings, seconds)
    raise ValueError(f"no probe for {check.kind}")
