"""The app's own route table, read the way the request guard reads it: each route's path,
methods, declared parameters, and the policy action a token or a page session must be
allowed (tasks/core/policy.py). A new route appears here without editing the fuzz tests."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import params
from fastapi.routing import APIRoute, iter_route_contexts

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "serving" / "web" / "templates"


@dataclass(frozen=True)
class Door:
    path: str
    methods: frozenset[str]
    token_action: str | None  # the `requires(...)` of an API route
    page_action: str | None  # the `page(...)` of a dashboard route
    in_schema: bool
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]  # as sent (aliases)
    form_fields: tuple[str, ...]  # the endpoint's Form(...) parameters
    path_regex: re.Pattern[str]  # what the router matches the request's path with

    @property
    def action(self) -> str | None:
        return self.token_action or self.page_action


def _actions(dependant: Any) -> tuple[str | None, str | None]:
    token = page = None
    pending = list(dependant.dependencies)
    while pending:
        dependency = pending.pop()
        token = token or getattr(dependency.call, "access", None)
        page = page or getattr(dependency.call, "session_access", None)
        pending.extend(dependency.dependencies)
    return token, page


def _names(fields: list[Any]) -> tuple[str, ...]:
    return tuple(field.alias or field.name for field in fields)


def doors(app: Any) -> Iterator[Door]:
    """Every route of `app` that FastAPI serves (included routers' routes too)."""
    for context in iter_route_contexts(list(app.router.routes)):
        if not isinstance(context.original_route, APIRoute):
            continue
        dependant = context.dependant
        token, page = _actions(dependant)
        forms = [f for f in dependant.body_params if isinstance(f.field_info, params.Form)]
        yield Door(
            path=context.path,
            methods=frozenset(context.methods or ()),
            token_action=token,
            page_action=page,
            in_schema=bool(context.include_in_schema),
            path_params=_names(dependant.path_params),
            query_params=_names(dependant.query_params),
            form_fields=_names(forms),
            path_regex=context.path_regex,
        )


def door_of(app: Any, path: str, method: str) -> Door | None:
    for door in doors(app):
        if door.path == path and method.upper() in door.methods:
            return door
    return None


def page_doors() -> list[tuple[str, Door]]:
    """(method, door) of every route left out of the OpenAPI (pages, forms, assets), read from
    an app built on an empty state folder (nothing runs: no lifespan, no request)."""
    from configs.settings import ServingSettings, Settings
    from serving.app import create_app

    with tempfile.TemporaryDirectory() as folder:
        serving = ServingSettings(poll_seconds=0, gc_freeze=False)
        app = create_app(
            Settings(state_dir=Path(folder)).model_copy(update={"serving": serving}),
            REPO / "configs" / "telco.yaml",
        )
        found = [(m, d) for d in doors(app) if not d.in_schema for m in sorted(d.methods)]
        app.state.serving.engine.dispose()
    return found


def form_vocabulary() -> tuple[list[str], list[str]]:
    """(field names, file field names) of every input the dashboard's templates render."""
    inputs = re.findall(r"<(?:input|select|textarea)\b[^>]*>", _templates_text())
    names, files = set(), set()
    for tag in inputs:
        found = re.search(r'\bname="([^"]+)"', tag)
        if found:
            (files if 'type="file"' in tag else names).add(found.group(1))
    return sorted(names - {"csrf_token"}), sorted(files)


def _templates_text() -> str:
    return "\n".join(path.read_text() for path in sorted(TEMPLATES.glob("*.html")))
