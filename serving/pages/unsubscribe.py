"""The public unsubscribe link of campaign emails: a page whose button unsubscribes (a GET
changes nothing, so mail scanners that follow links unsubscribe no one), and the one-click
unsubscribe of mail clients (RFC 8058)."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from serving.state import State
from tasks.core.errors import NotFoundError, UnsubscribeTokenError
from tasks.services import contacts

router = APIRouter(include_in_schema=False)
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
</head><body><main><h1>{title}</h1><p>{text}</p>{form}</main></body></html>"""
Token = Annotated[str, Path(max_length=1024)]


def _page(title: str, text: str, form: str = "", status: int = 200) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=title, text=text, form=form), status_code=status)


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe_page(token: Token, state: State) -> HTMLResponse:
    """The link in an email: a page asking to confirm with its button, once the link is
    known to be good (a bad one says so, with no button)."""
    try:
        await run_in_threadpool(contacts.check_unsubscribe, state.context, state.config, token)
    except (UnsubscribeTokenError, NotFoundError) as error:
        return _not_valid(error)
    form = (
        f'<form method="post" action="{escape(token)}">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return _page("Unsubscribe", "Stop all retention messages to you?", form)


def _not_valid(error: Exception) -> HTMLResponse:
    if isinstance(error, NotFoundError):
        return _page("Link not valid", "This unsubscribe link is not valid.", status=404)
    return _page("Link not valid", "This unsubscribe link is not valid or has expired.", status=400)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe(token: Token, state: State) -> HTMLResponse:
    """The button, and one-click unsubscribe from the mail client: the customer of the
    signed token is never contacted again, on any channel."""
    try:
        await run_in_threadpool(contacts.unsubscribe, state.context, state.config, token)
    except (UnsubscribeTokenError, NotFoundError) as error:
        return _not_valid(error)
    return _page("Unsubscribed", "You will receive no more retention messages from us.")
