"""The served model: its description, and reloading it when its alias moved."""

from __future__ import annotations

from fastapi import APIRouter

from serving.api.models import Message, ModelDescription, Reload
from serving.auth import Admin, Reader
from serving.model_holder import describe
from serving.state import OrjsonResponse, State
from tasks.core.errors import UnavailableError
from tasks.i18n import N_

router = APIRouter(default_response_class=OrjsonResponse)
UNAVAILABLE = {503: {"model": Message}}


@router.get("/model", response_model=ModelDescription, responses=UNAVAILABLE, tags=["model"])
async def model(state: State, _caller: Reader) -> OrjsonResponse:
    """The served version, its alias, training metrics and the request schema."""
    current = state.holder.current
    if current is None:
        raise UnavailableError("no model is loaded yet")
    return OrjsonResponse({**describe(current), "feature_schema": state.parser.json_schema()})


@router.post("/admin/reload", response_model=Reload, responses=UNAVAILABLE, tags=["model"])
async def reload(state: State, _caller: Admin) -> OrjsonResponse:
    """Check the alias now and swap to its version if it moved (requests keep flowing)."""
    try:
        previous, version = await state.holder.refresh()
    except Exception as exc:
        raise UnavailableError(
            N_("reload failed, still serving the old model: %(reason)s"), reason=str(exc)
        ) from exc
    return OrjsonResponse(
        {"previous_version": previous, "version": version, "changed": previous != version}
    )
