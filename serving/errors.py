"""The one mapping from the application layer's typed errors to HTTP answers: JSON
`{"detail": ...}` for the API, the message page (with the navigation) for the dashboard;
neither ever names a folder of the server."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from serving.state import OrjsonResponse
from tasks.core.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    RetainAIError,
    UnavailableError,
)
from tasks.core.redaction import hide_paths

STATUS: tuple[tuple[type[RetainAIError], int, str], ...] = (
    (NotFoundError, 404, "Not found"),
    (ConflictError, 409, "Not possible now"),
    (InvalidInputError, 422, "Not valid"),
    (ForbiddenError, 403, "Not allowed"),
    (UnavailableError, 503, "Unavailable"),
)
PAGE_PREFIXES = ("/dashboard", "/auth", "/unsubscribe")


def status_of(error: RetainAIError) -> tuple[int, str]:
    """(HTTP status, page heading) of a typed error; any other RetainAIError is a 400."""
    for kind, status, heading in STATUS:
        if isinstance(error, kind):
            return status, heading
    return 400, "Not valid"


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
        from serving.web.render import pages_of

        return pages_of(request).render(
            request,
            "message.html",
            status=status,
            heading=heading,
            text=hide_paths(str(error)),
            session=request.scope.get(SESSION),
        )
    return OrjsonResponse({"detail": hide_paths(str(error))}, status_code=status)
