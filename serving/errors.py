"""The one mapping from the application layer's typed errors to HTTP answers: JSON
`{"detail": ...}` for the API, the message page (with the navigation) for the dashboard;
neither ever names a folder of the server.

Both are translated: a page into the page's language (the user's choice, the deployment's
default, the browser's); the API's `detail` into the language of the request's
Accept-Language header, else English (scripts read the same text whatever the deployment's
default; a person's client asks with the header)."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from serving.refusals import api_language
from serving.state import OrjsonResponse
from tasks import i18n
from tasks.core.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    RetainAIError,
    UnavailableError,
)
from tasks.core.redaction import hide_paths
from tasks.i18n import N_

STATUS: tuple[tuple[type[RetainAIError], int, str], ...] = (
    (NotFoundError, 404, N_("Not found")),
    (ConflictError, 409, N_("Not possible now")),
    (InvalidInputError, 422, N_("Not valid")),
    (ForbiddenError, 403, N_("Not allowed")),
    (UnavailableError, 503, N_("Unavailable")),
)
PAGE_PREFIXES = ("/dashboard", "/auth", "/unsubscribe")


def status_of(error: RetainAIError) -> tuple[int, str]:
    """(HTTP status, page heading) of a typed error; any other RetainAIError is a 400."""
    for kind, status, heading in STATUS:
        if isinstance(error, kind):
            return status, heading
    return 400, N_("Not valid")


def wants_page(request: Request) -> bool:
    """A dashboard route, unless the client asked for JSON (htmx and forms get pages)."""
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "text/html" not in accept:
        return False
    return request.url.path.startswith(PAGE_PREFIXES)


async def typed_error(request: Request, error: RetainAIError) -> Response:
    status, heading = status_of(error)
    if wants_page(request):
        from serving.sessions import SESSION
        from serving.web.render import language_of, pages_of

        session = request.scope.get(SESSION)
        language = language_of(request, session)
        return pages_of(request).render(
            request,
            "message.html",
            status=status,
            heading=i18n.gettext(language, heading),
            text=hide_paths(i18n.translate_error(error, language)),
            session=session,
            lang=language,
        )
    language = api_language(request)
    detail = hide_paths(i18n.translate_error(error, language))
    return OrjsonResponse({"detail": detail}, status_code=status)
