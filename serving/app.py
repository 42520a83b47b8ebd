"""The FastAPI app factory: config-derived schema, champion loaded at start, alias polling."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from configs.schema import load_config
from configs.settings import Settings, load_settings
from serving.api import admin as api_admin
from serving.api import auth as api_auth
from serving.api import campaign_messages as api_campaign_messages
from serving.api import campaign_work as api_campaign_work
from serving.api import campaigns as api_campaigns
from serving.api import customers as api_customers
from serving.api import dashboard as api_dashboard
from serving.api import kpis as api_kpis
from serving.api import model as api_model
from serving.api import ops as api_ops
from serving.api import predict as api_predict
from serving.api import training as api_training
from serving.api.campaign_models import EVENTS_BODY
from serving.api.models import Credentials, Message
from serving.auth import Authenticator
from serving.coalesce import Coalescer
from serving.errors import typed_error
from serving.guard import Body, RequestGuard, policies
from serving.metrics import Metrics, ServingMiddleware
from serving.model_holder import ModelHolder
from serving.pages import (
    auth_reset,
    campaign_messages,
    campaign_work,
    campaigns,
    customers,
    data,
    heatmaps,
    home,
    model,
    overview,
    profile,
    survival,
    tokens,
    users,
)
from serving.pages import unsubscribe as unsubscribe_pages
from serving.refusals import api_language, translated
from serving.request_parser import CustomerParser
from serving.security_headers import SecurityHeaders
from serving.sessions import LoginRequired, PageForbidden
from serving.state import OrjsonResponse, ServingState
from serving.web import render
from tasks.adapters import db
from tasks.adapters.local_secret import with_local_secret
from tasks.core.errors import RetainAIError
from tasks.services.context import Context

log = logging.getLogger("retainai.serving")
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Message, "description": "Missing, invalid or revoked token"},
    403: {"model": Message, "description": "The token's role may not call this endpoint"},
}
DESCRIPTION = """Churn predictions and the retention API of RetainAI.

Send `Authorization: Bearer <token>` (`retainai tokens create --role R --name N`).
Roles: `app` may only predict; `viewer` also reads the model, KPIs and customers; `analyst`
also requests campaigns; `admin` also reloads, triggers training and manages tokens.
`/health`, `/ready` and `/metrics` are public. `POST /auth/login` with a JSON email and
password returns a short-lived token bound to the user: it acts with the user's current role,
stops when the user is deactivated, changes role or password, and `POST /auth/logout` with it
revokes it; it cannot create tokens. The dashboard's pages live under
`/dashboard/` (a browser session from the login page)."""


def _state(settings: Settings, config_path: Path) -> ServingState:
    config, serving = load_config(config_path), settings.serving
    metrics = Metrics()
    engine = db.engine_for(settings, pool_size=serving.db_pool_size)
    context = Context(settings)  # its engine: the same one
    return ServingState(
        settings=settings,
        serving=serving,
        config=config,
        parser=CustomerParser.from_config(config, serving.max_batch),
        holder=ModelHolder(settings, serving.alias, config, metrics),
        metrics=metrics,
        engine=engine,
        authenticator=Authenticator(context, serving.token_cache_seconds),
        coalescer=Coalescer(),
        context=context,
        config_path=Path(config_path),
    )


def _lifespan(state: ServingState):
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        embedded = state.settings.database_url is None
        await run_in_threadpool(db.ensure_schema, state.engine, embedded)
        try:
            await state.holder.refresh()
        except Exception as exc:  # /ready says 503 until a model loads
            log.warning("no model loaded at start: %s", exc)
        if state.serving.gc_freeze:
            gc.collect()
            gc.freeze()  # libraries and model leave the GC's view: no long full collections
        poller = None
        if state.serving.poll_seconds > 0:
            poller = asyncio.create_task(state.holder.poll(state.serving.poll_seconds))
        try:
            yield
        finally:
            if poller is not None:
                poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await poller
            state.engine.dispose()

    return lifespan


async def _validation_error(request: Request, exc: RequestValidationError) -> OrjsonResponse:
    errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    return OrjsonResponse({"detail": errors}, status_code=422)


CLIENT_CLOSED = 499  # the client went away before its request was read (nginx's code)


async def _client_gone(request: Request, exc: ClientDisconnect) -> Response:
    """A client that disconnects mid-body is no server error: no traceback, 499 in metrics."""
    return Response(status_code=CLIENT_CLOSED)


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc.__cause__, ClientDisconnect):  # FastAPI reads bodies into a 400
        return Response(status_code=CLIENT_CLOSED)
    return await http_exception_handler(request, translated(exc, api_language(request)))


def _openapi(app: FastAPI, parser: CustomerParser, described: list[Any]):
    """The generated schema plus what comes from the config: the `Customer` body of
    POST /predict and the allowed segment values of a campaign's filter."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=[*app.routes, *described],
        )
        customer = parser.json_schema()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(customer.pop("$defs", {}))
        components["Customer"] = customer
        components["Credentials"] = Credentials.model_json_schema()  # the login's own body
        ref = {"$ref": "#/components/schemas/Customer"}
        batch = {"type": "array", "items": ref, "minItems": 1, "maxItems": parser.max_batch}
        schema["paths"]["/predict"]["post"]["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"anyOf": [ref, batch]}}},
        }
        _document_body_refusals(schema)
        data = parser.config.dataset
        values = components["SegmentFilter"]["properties"]["segment_values"]["anyOf"][0]
        values["items"] = {"type": "string", "enum": data.segment_values}
        values["description"] = f"Values of {data.roles.segment or 'the segment (none)'}"
        offer = components["CampaignRequest"]["properties"]["offer"]["anyOf"][0]
        offer["enum"] = list(parser.config.campaigns.offers)
        app.openapi_schema = schema
        return schema

    return openapi


def _document_body_refusals(schema: dict[str, Any]) -> None:
    """413 and 415 (answered by the request guard) on every operation with a JSON body."""
    message = {"$ref": "#/components/schemas/Message"}
    refusals = {
        "413": "The body is larger than this endpoint accepts",
        "415": "The body is not sent as application/json",
    }
    for operations in schema["paths"].values():
        for operation in operations.values():
            if "requestBody" in operation:
                responses = operation.setdefault("responses", {})
                for status, description in refusals.items():
                    responses.setdefault(
                        status,
                        {
                            "description": description,
                            "content": {"application/json": {"schema": message}},
                        },
                    )


def create_app(settings: Settings | None = None, config_path: str | Path | None = None) -> FastAPI:
    """Build the app from the server's one Settings (built here at start-up when not given;
    `settings.serving` says how it serves); the model is loaded when it starts, not here."""
    settings = with_local_secret(settings or load_settings())
    serving = settings.serving
    state = _state(settings, Path(config_path or serving.config))
    app = FastAPI(
        title="RetainAI serving API",
        version="1",
        description=DESCRIPTION,
        lifespan=_lifespan(state),
        default_response_class=OrjsonResponse,
        telemetry={"tracing": False, "metrics": False, "logs": False},  # see /metrics
    )
    app.state.serving = state
    app.state.pages = render.Pages(render.Assets(render.asset_files()))
    app.add_exception_handler(LoginRequired, render.login_required)
    app.add_exception_handler(PageForbidden, render.page_forbidden)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RetainAIError, typed_error)
    app.include_router(api_ops.router)
    app.router.routes.insert(0, api_predict.fast_route())
    described = api_predict.declared(AUTH_RESPONSES)  # the schema and policy of that route
    for module in (
        api_model,
        api_training,
        api_admin,
        api_customers,
        api_kpis,
        api_campaigns,
        api_campaign_messages,
        api_campaign_work,
        api_dashboard,
    ):
        app.include_router(module.router, responses=AUTH_RESPONSES)
    for module in (
        home,
        api_auth,
        auth_reset,
        customers,
        campaigns,
        campaign_messages,
        campaign_work,
        unsubscribe_pages,
        model,
        survival,
        data,
        tokens,
        overview,
        heatmaps,
        profile,
        users,
    ):
        app.include_router(module.router)
    public = (app.openapi_url, app.docs_url, app.swagger_ui_oauth2_redirect_url, app.redoc_url)
    bodies = {
        ("POST", "/predict"): Body(serving.max_body_bytes),  # read by the route itself
        ("POST", "/campaigns/{campaign_id}/events"): Body(EVENTS_BODY),
        ("POST", "/dashboard/data"): Body(data.UPLOAD_LIMIT, json=False),
        ("POST", "/dashboard/campaigns/{campaign_id}/events"): Body(
            campaigns.EVENTS_UPLOAD, json=False
        ),
    }
    table = policies(
        [*app.router.routes, *described],
        bodies,
        public=[p for p in public if p],
        public_pages=home.PUBLIC_PAGES,
    )
    app.add_middleware(RequestGuard, table=table, authenticator=state.authenticator)
    name, alias = state.holder.name.encode(), serving.alias.encode()
    fixed = [(b"x-model-name", name), (b"x-model-alias", alias)]
    app.add_middleware(
        ServingMiddleware,
        holder=state.holder,
        metrics=state.metrics,
        headers=fixed,
        routes=app.router.routes,
    )
    app.add_middleware(SecurityHeaders, docs_paths=(app.docs_url, app.redoc_url))  # outermost
    app.openapi = _openapi(app, parser=state.parser, described=described)
    return app
