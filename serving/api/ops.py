"""Public operational endpoints: liveness, readiness and Prometheus metrics (no token)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from serving.api.models import Message
from serving.metrics import CONTENT_TYPE
from serving.state import OrjsonResponse, State

router = APIRouter(tags=["operations"], default_response_class=OrjsonResponse)


@router.get("/health", response_model=Message)
async def health() -> OrjsonResponse:
    """The process is up."""
    return OrjsonResponse({"detail": "ok"})


@router.get("/ready", response_model=Message, responses={503: {"model": Message}})
async def ready(state: State) -> OrjsonResponse:
    """A model is loaded and predictions can be served."""
    current = state.holder.current
    if current is None:
        return OrjsonResponse({"detail": "no model loaded yet"}, status_code=503)
    return OrjsonResponse({"detail": f"serving {current.name} v{current.version.version}"})


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(state: State) -> PlainTextResponse:
    """Prometheus text format: requests, latency histogram, model info."""
    text = state.metrics.render(state.holder.current)
    return PlainTextResponse(text, media_type=CONTENT_TYPE)
