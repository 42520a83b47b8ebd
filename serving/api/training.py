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
    503: {
        "model": Message,
        "description": "The Prefect server does not answer, or lacks the deployment",
    },
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
async def trigger_training(state: State, caller: Admin) -> OrjsonResponse:
    """Start the training flow: a Prefect deployment run (`backend` "prefect", `run_id` the
    flow run), else a job of the jobs worker (`backend` "jobs", `run_id` the job; one run of
    the table, training or scoring, at a time). Also at `POST /api/trigger-training`, the
    original product's path."""
    table = state.config.dataset.name
    command = models.StartTraining(state.config_path, table, caller.actor)
    started = await run_in_threadpool(models.start_training, state.context, command)
    return OrjsonResponse(started.to_dict(), status_code=202)
