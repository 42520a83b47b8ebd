"""The site's root and its static assets, and the routes that need no session."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse

from serving.web.render import pages_of

router = APIRouter(include_in_schema=False)
# Routes open to anyone, or whose route checks a token or a session itself (the guard does not):
# POST /dashboard/campaigns takes a bearer token with JSON and a session with a form;
# POST /auth/logout a login's bearer token, or a session with its CSRF token.
PUBLIC_PAGES = (
    "/",
    "/auth/login",
    "/auth/reset",
    "/auth/reset/{token}",
    "/auth/register",
    "/static/{version}/{name}",
    "/dashboard/campaigns",
    "/auth/logout",
)


@router.get("/static/{version}/{name}")
async def asset(request: Request, version: str, name: str) -> FileResponse:
    return pages_of(request).assets.response(version, name)


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/dashboard/", status_code=303)
