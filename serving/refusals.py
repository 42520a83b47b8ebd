"""The API's human-readable refusals in the caller's language: the request's Accept-Language,
else English (scripts read the same text whatever the deployment's default). An HTTP refusal
made with `refusal` keeps its English template and values, translated when answered; any
other text detail is looked up as it is (N_-marked details are in the catalogues)."""

from __future__ import annotations

from fastapi import HTTPException, Request

from tasks import i18n


def api_language(request: Request) -> str:
    """The language of the API's human-readable messages: Accept-Language, else English."""
    return i18n.from_accept_language(request.headers.get("accept-language")) or "en"


def refusal(
    status: int, message: str, headers: dict[str, str] | None = None, **values: object
) -> HTTPException:
    """An HTTP refusal whose `detail` is translated when answered (`message`: English, marked
    with N_, filled in with `values` after the lookup)."""
    exc = HTTPException(status, message % values if values else message, headers=headers)
    exc.template, exc.values = message, values  # type: ignore[attr-defined]
    return exc


def translated(exc: HTTPException, language: str) -> HTTPException:
    """`exc` with its text detail in `language` (a detail of fields, or an uncatalogued
    text, as it is)."""
    if not isinstance(exc.detail, str) or not exc.detail:
        return exc
    template = getattr(exc, "template", None) or exc.detail
    values = getattr(exc, "values", None) or {}
    text = i18n.translations(language).ugettext(template)
    try:
        text = text % values if values else text
    except (KeyError, TypeError, ValueError):
        text = exc.detail
    return HTTPException(exc.status_code, text, headers=exc.headers)
