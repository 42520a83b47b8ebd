"""The public unsubscribe link of campaign emails: a page whose button unsubscribes (a GET
changes nothing, so mail scanners that follow links unsubscribe no one), and the one-click
unsubscribe of mail clients (RFC 8058)."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from serving.state import State
from tasks import i18n
from tasks.core.errors import NotFoundError, UnsubscribeTokenError
from tasks.i18n import N_
from tasks.services import contacts

router = APIRouter(include_in_schema=False)
PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
</head><body><main><h1>{title}</h1><p>{text}</p>{form}</main></body></html>"""
Token = Annotated[str, Path(max_length=1024)]


def _language(request: Request) -> str:
    """A customer has no account: the deployment's default, else the browser's language."""
    settings = request.app.state.serving.settings
    return i18n.choose_language(
        None, settings.default_language, request.headers.get("accept-language")
    )


def _page(language: str, title: str, text: str, form: str = "", status: int = 200) -> HTMLResponse:
    title, text = i18n.gettext(language, title), i18n.gettext(language, text)
    shown = PAGE.format(lang=language, title=escape(title), text=escape(text), form=form)
    return HTMLResponse(shown, status_code=status)


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe_page(request: Request, token: Token, state: State) -> HTMLResponse:
    """The link in an email: a page asking to confirm with its button, once the link is
    known to be good (a bad one says so, with no button)."""
    language = _language(request)
    try:
        await run_in_threadpool(contacts.check_unsubscribe, state.context, state.config, token)
    except (UnsubscribeTokenError, NotFoundError) as error:
        return _not_valid(language, error)
    button = escape(i18n.gettext(language, N_("Unsubscribe")))
    form = (
        f'<form method="post" action="{escape(token)}">'
        f'<button type="submit">{button}</button></form>'
    )
    return _page(language, N_("Unsubscribe"), N_("Stop all retention messages to you?"), form)


def _not_valid(language: str, error: Exception) -> HTMLResponse:
    if isinstance(error, NotFoundError):
        text = N_("This unsubscribe link is not valid.")
        return _page(language, N_("Link not valid"), text, status=404)
    text = N_("This unsubscribe link is not valid or has expired.")
    return _page(language, N_("Link not valid"), text, status=400)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe(request: Request, token: Token, state: State) -> HTMLResponse:
    """The button, and one-click unsubscribe from the mail client: the customer of the
    signed token is never contacted again, on any channel."""
    language = _language(request)
    try:
        await run_in_threadpool(contacts.unsubscribe, state.context, state.config, token)
    except (UnsubscribeTokenError, NotFoundError) as error:
        return _not_valid(language, error)
    return _page(
        language, N_("Unsubscribed"), N_("You will receive no more retention messages from us.")
    )
