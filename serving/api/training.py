"""Starting a training run from the API."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from serving.api.models import Message, TrainingRun
from serving.auth import Admin
from serving.state import OrjsonResponse, State
from tasks.services import models

router = APIRouter(default_response_class=OrjsonResponse)


@router.post(
    "/trigger-training",
    status_code=202,
    response_model=TrainingRun,
    responses={
        409: {"model": Message, "description": "A run is going, or no training data is set"},
        503: {"model": Message, "description": "The Prefect server does not answer"},
    },
    tags=["model"],
)
async def trigger_training(state: State, _caller: Admin) -> OrjsonResponse:
    """Start the training flow (Prefect deployment run, else a local subprocess)."""
    command = models.StartTraining(state.launcher.config_path)
    started = await run_in_threadpool(models.start_training, state.context, state.launcher, command)
    return OrjsonResponse(started.to_dict(), status_code=202)
