"""Alerts: outcomes someone must hear about, as the text and figures a notification carries.

Each alert is a Prefect event `retainai.alert.<kind>` whose payload holds a subject, a text
and the figures behind them, secrets already masked; `retainai deploy` turns each kind into
an automation that posts to the chat webhook and runs the alert email deployment, at most
once per the kind's cool-down (see `rules`). A crashed flow run is Prefect's own event
(`prefect.flow-run.Crashed`): its automation words the notification from the run's name."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tasks.core.redaction import mask_url

EVENT_PREFIX = "retainai.alert."
CRASHED_EVENT = "prefect.flow-run.Crashed"
AUTOMATION_PREFIX = "retainai-alert-"
DRIFT, PROMOTION, REALISED, CRASHED, CAMPAIGN = (
    "drift",
    "promotion-refused",
    "realised-roc-auc",
    "run-crashed",
    "campaign-failures",
)
KINDS = (DRIFT, PROMOTION, REALISED, CRASHED, CAMPAIGN)
SEND_FAILURES = ("failed", "bounced", "unknown")  # a campaign's counts that reached nobody
HOLDOUT_SHOWN = ("roc_auc", "pr_auc", "brier", "lift_at_10")
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
MASK = "***"


@dataclass(frozen=True)
class Alert:
    kind: str
    subject: str
    text: str
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def event(self) -> str:
        return EVENT_PREFIX + self.kind

    def payload(self) -> dict[str, Any]:
        return {"kind": self.kind, "subject": self.subject, "text": self.text, **self.figures}


@dataclass(frozen=True)
class Rule:
    """One automation: the event it reacts to, its cool-down and how it words the message."""

    kind: str
    event: str
    cooldown_seconds: int
    subject: str  # Prefect (Jinja) templates over the triggering event
    text: str

    @property
    def name(self) -> str:
        return AUTOMATION_PREFIX + self.kind

    def webhook_payload(self) -> str:
        """A JSON body for chat tools: `text` (Slack, Mattermost, Rocket.Chat), `content`
        (Discord) and the kind; the figures travel in the event itself."""
        body = f"({self.subject}) ~ '\\n\\n' ~ ({self.text})"
        return (
            '{"text": {{ (' + body + ") | tojson }}, "
            '"content": {{ (' + body + ") | tojson }}, "
            f'"kind": "{self.kind}"' + "}"
        )


def rules(cooldown_minutes: Mapping[str, int]) -> list[Rule]:
    """Every kind's automation; `cooldown_minutes`: per kind, 0 for every occurrence."""
    unknown = sorted(set(cooldown_minutes) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown alert kinds: {', '.join(unknown)}")
    found = []
    for kind in KINDS:
        minutes = cooldown_minutes.get(kind, 0)
        if minutes < 0:
            raise ValueError(f"the cool-down of {kind} alerts is negative: {minutes}")
        if kind == CRASHED:
            subject = "'RetainAI: flow run ' ~ event.resource['prefect.resource.name'] ~ ' crashed'"
            text = (
                "'Flow run ' ~ event.resource['prefect.resource.name'] ~ ' (' ~ "
                "event.resource['prefect.resource.id'] ~ ') was marked Crashed at ' ~ "
                "event.occurred ~ ': its process stopped before the run ended. Look at its "
                "logs in the Prefect UI and run it again.'"
            )
            event = CRASHED_EVENT
        else:
            subject, text, event = (
                "event.payload.subject",
                "event.payload.text",
                EVENT_PREFIX + kind,
            )
        found.append(Rule(kind, event, minutes * 60, subject, text))
    return found


def mask_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every URL masked (user part and query values) and every known secret
    value replaced by ***."""
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _URL.sub(lambda found: mask_url(found.group(0)), text)


def masked(alert: Alert, secrets: Iterable[str] = ()) -> Alert:
    """The alert with its subject, text and every text figure masked."""
    known = [s for s in secrets if s]

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return mask_text(value, known)
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    figures = {name: clean(value) for name, value in alert.figures.items()}
    return Alert(alert.kind, clean(alert.subject), clean(alert.text), figures)


def drift_alert(
    dataset: str, as_of: str, model_version: str, share: float, threshold: float, columns: list
) -> Alert:
    names = ", ".join(columns) or "none"
    return Alert(
        DRIFT,
        f"RetainAI: data drift in {share:.0%} of columns ({dataset}, {as_of})",
        f"The customers of {as_of} drifted from the reference of model version "
        f"{model_version}: {share:.0%} of the monitored columns drifted (threshold "
        f"{threshold:.0%}). Drifted columns: {names}.",
        {
            "dataset": dataset,
            "as_of": as_of,
            "model_version": model_version,
            "drifted_share": round(share, 4),
            "drift_share_threshold": threshold,
            "drifted_columns": list(columns),
        },
    )


def promotion_alert(model: str, version: str, reason: str, figures: Mapping[str, Any]) -> Alert:
    named = [k for k in HOLDOUT_SHOWN if isinstance(figures.get(k), int | float)]
    shown = ", ".join(f"{k} {figures[k]:.4f}" for k in named)
    return Alert(
        PROMOTION,
        f"RetainAI: model {model} version {version} was not promoted",
        f"The promotion gate refused version {version} of {model}: {reason}. "
        f"The champion stays where it was. Holdout: {shown or 'no figures'}.",
        {"model": model, "version": version, "reason": reason, **figures},
    )


def realised_alert(dataset: str, row: Mapping[str, Any], floor: float) -> Alert:
    auc, rows = row.get("roc_auc"), row.get("rows")
    version, as_of = row.get("model_version"), row.get("as_of")
    return Alert(
        REALISED,
        f"RetainAI: realised ROC-AUC {auc:.4f} below {floor} (model version {version})",
        f"The scores of {as_of} by model version {version} reached a realised ROC-AUC of "
        f"{auc:.4f} on {rows} customers with a known outcome, below the floor {floor} "
        f"(monitoring.min_realised_roc_auc of {dataset}).",
        {
            "dataset": dataset,
            "model_version": str(version),
            "as_of": str(as_of),
            "roc_auc": auc,
            "rows": rows,
            "floor": floor,
        },
    )


def campaign_alert(campaign_id: int, counts: Mapping[str, int]) -> Alert | None:
    """None when every message handed over reached its server."""
    failures = {name: int(counts.get(name, 0)) for name in SEND_FAILURES}
    total = sum(failures.values())
    if not total:
        return None
    sent = int(counts.get("sent", 0))
    detail = ", ".join(f"{n} {name}" for name, n in failures.items() if n)
    return Alert(
        CAMPAIGN,
        f"RetainAI: campaign {campaign_id} sent with {total} failures",
        f"Campaign {campaign_id} sent {sent} messages; {detail}. Failed and bounced "
        "messages are not sent again; unknown ones wait for a person to decide "
        "(send again with --retry-unknown).",
        {"campaign_id": campaign_id, "sent": sent, **failures},
    )
