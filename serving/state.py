"""What the routes share: settings, the parsed config, the model holder, stores, metrics."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from configs.schema import RunConfig
from configs.settings import ServingSettings, Settings
from serving.auth import Authenticator
from serving.coalesce import Coalescer
from serving.metrics import Metrics
from serving.model_holder import ModelHolder
from serving.request_parser import CustomerParser
from tasks.services.context import Context


class OrjsonResponse(JSONResponse):
    """JSON rendered by orjson (numpy scalars, dates and datetimes included)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


@dataclass
class ServingState:
    settings: Settings
    serving: ServingSettings
    config: RunConfig
    parser: CustomerParser
    holder: ModelHolder
    metrics: Metrics
    engine: Engine
    authenticator: Authenticator
    coalescer: Coalescer
    context: Context  # the use cases' Context: the same settings and engine
    config_path: Path  # the config's file, named to background runs (training, scoring)


def get_state(request: Request) -> ServingState:
    return request.app.state.serving


State = Annotated[ServingState, Depends(get_state)]
