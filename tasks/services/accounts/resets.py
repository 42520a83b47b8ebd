"""Password resets: a one-time link emailed (at most `reset_mails_per_hour` per account),
valid once and for `reset_token_minutes`; using it ends every session and every other reset
link of the user, and forgets the user's failed logins."""

from __future__ import annotations

import logging
from datetime import timedelta

from tasks import i18n
from tasks.adapters import users as store
from tasks.adapters.account_mail import account_email, send_one
from tasks.core.credentials import check_password, digest, hash_password, new_secret, normal_email
from tasks.core.errors import InvalidInputError, RetainAIError
from tasks.i18n import N_
from tasks.services.accounts.commands import PasswordReset, ResetLink, ResetLinkRequest
from tasks.services.accounts.users import now
from tasks.services.context import Context

log = logging.getLogger("retainai.accounts")
LINK_REFUSED = N_("this reset link is used, expired or unknown: ask for a new one")


def request_reset(ctx: Context, email: str) -> ResetLink | None:
    """(address, token) to email when the account exists, is active and has had fewer than
    `reset_mails_per_hour` links in the last hour, else None (the caller answers the same
    either way)."""
    try:
        email = normal_email(email)
    except InvalidInputError:
        return None
    user = store.user_by_email(ctx.engine, email)
    if user is None or not user["active"]:
        return None
    at = now()
    sent = store.resets_since(ctx.engine, user["id"], at - timedelta(hours=1))
    if sent >= ctx.settings.reset_mails_per_hour:
        log.warning("no reset link for user %s: %s sent in the last hour", user["id"], sent)
        return None
    token = new_secret()
    expires = at + timedelta(minutes=ctx.settings.reset_token_minutes)
    store.create_reset(ctx.engine, digest(token), user["id"], at, expires)
    return ResetLink(user["email"], token)


def send_reset_link(ctx: Context, asked: ResetLinkRequest) -> None:
    """Email a one-time link when the account exists and has not had too many; a failure is
    logged, never told (the answer was sent already and is the same for every address)."""
    try:
        found = request_reset(ctx, asked.email)
        if found is None:
            return
        mail = account_email(ctx.settings, to=found.address, **_reset_mail(ctx, asked, found))
        send_one(ctx.settings, mail)
    except RetainAIError as error:
        log.warning("password reset email not sent: %s", error)


def _reset_mail(ctx: Context, asked: ResetLinkRequest, found: ResetLink) -> dict[str, str]:
    """The reset email's subject and text, in the user's language (else the default)."""
    user = store.user_by_email(ctx.engine, found.address) or {}
    language = i18n.choose_language(user.get("language"), ctx.settings.default_language)
    text = i18n.gettext(
        language,
        "Someone asked to reset the RetainAI password of %(address)s.\n\n"
        "Choose a new password here (valid for %(minutes)s minutes, once):\n"
        "%(link)s\n\n"
        "If it was not you, ignore this email: your password stays as it is.",
        address=found.address,
        minutes=ctx.settings.reset_token_minutes,
        link=f"{asked.base_url.rstrip('/')}/auth/reset/{found.token}",
    )
    return {"subject": i18n.gettext(language, "Reset your password"), "text": text}


def reset_password(ctx: Context, reset: PasswordReset) -> None:
    """Set the password of the token's user once, under the same rule as every password;
    every session and every other reset link of the user ends, their failed logins too."""
    token, user = reset.token, None
    if token and len(token) <= 100:
        user = store.reset_user(ctx.engine, digest(token), now())
    if user is None:
        raise InvalidInputError(LINK_REFUSED)
    check_password(reset.password, user["email"])
    if store.use_reset(ctx.engine, digest(token), now(), hash_password(reset.password)) is None:
        raise InvalidInputError(LINK_REFUSED)
