"""What is not configured, and which feature it silently turns off: the admins' warnings.

Computed from the Settings alone (no secret value is read or shown: only whether a setting
is set), once for the overview, the CLI or anything else that tells admins."""

from __future__ import annotations

from dataclasses import dataclass

from configs.settings import Settings
from tasks.core.policy import require
from tasks.i18n import N_


@dataclass(frozen=True)
class SetupWarning:
    """A missing setting (`setting`, its environment variable) and what it turns off."""

    feature: str
    setting: str
    effect: str


def mail_relay_configured(settings: Settings) -> bool:
    """Whether emails (password resets, campaign emails) can be sent at all."""
    return bool(settings.smtp_host)


def configuration_warnings(settings: Settings, role: str | None) -> list[SetupWarning]:
    """The warnings of these settings, for an admin (ForbiddenError for any other role)."""
    require(role, "admin")
    found = []
    if not mail_relay_configured(settings):
        found.append(
            SetupWarning(
                N_("Email"),
                "RETAINAI_SMTP_HOST",
                N_("No mail relay: password reset links and campaign emails are not sent."),
            )
        )
    elif not settings.mail_from:
        found.append(
            SetupWarning(
                N_("Email"),
                "RETAINAI_MAIL_FROM",
                N_("No sender address: campaign emails cannot be sent."),
            )
        )
    if settings.secret_key is None:
        found.append(
            SetupWarning(
                N_("Unsubscribe links"),
                "RETAINAI_SECRET_KEY",
                N_(
                    "No unsubscribe key: campaign emails cannot carry an unsubscribe link, "
                    "so they are not sent, and unsubscribe links do not work."
                ),
            )
        )
    if not settings.public_url:
        found.append(
            SetupWarning(
                N_("Links in emails"),
                "RETAINAI_PUBLIC_URL",
                N_(
                    "No public address: campaign emails are not sent, and reset links point at "
                    "this server's own address."
                ),
            )
        )
    if settings.training_source is None:
        found.append(
            SetupWarning(
                N_("Retraining"),
                "RETAINAI_TRAINING_SOURCE",
                N_(
                    "No training source: Retrain now is refused unless a Prefect training "
                    "deployment is set up, and a drift check cannot retrain."
                ),
            )
        )
    if settings.llm_api_key is None:
        found.append(
            SetupWarning(
                N_("Message writing"),
                "RETAINAI_LLM_API_KEY",
                N_("No LLM key: campaign messages are written from the fixed templates."),
            )
        )
    return found
