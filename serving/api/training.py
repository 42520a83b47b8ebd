"""Starting a training run from the API (`/trigger-training`, and the original product's
`/api/trigger-training`)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from serving.api.models import Message, TrainingRun
from serving.auth import Admin
from serving.state import OrjsonResponse, State
from tasks.services import models

router = APIRouter(default_response_class=OrjsonResponse)


RESPONSES = {
    409: {"model": Message, "description": "A run is going, or no training data is set"},
    503: {"model": Message, "description": "The Prefect server does not answer"},
}


@router.post(
    "/api/trigger-training",
    status_code=202,
    response_model=TrainingRun,
    responses=RESPONSES,
    tags=["model"],
    summary="Trigger training (the original product's path)",
    description="The original product's path of `POST /trigger-training`: the same route, "
    "the same policy (an admin), no body.",
)
@router.post(
    "/trigger-training",
    status_code=202,
    response_model=TrainingRun,
    responses=RESPONSES,
    tags=["model"],
)
async def trigger_training(state: State, _caller: Admin) -> OrjsonResponse:
    """Start the training flow (Prefect deployment run, else a local subprocess). Also at
    `POST /api/trigger-training`, the original product's path."""
    command = models.StartTraining(state.launcher.config_path)
    started = await run_in_threadpool(models.start_training, state.context, state.launcher, command)
    return OrjsonResponse(started.to_dict(), status_code=202)
