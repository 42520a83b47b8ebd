"""POST /predict: churn probability, risk segment and (on request) reasons per customer.

One plain Starlette route serves it (FastAPI's dependency solving cost more than scoring).
Its OpenAPI operation and its access policy come from the FastAPI declaration below, which
the app reads (`declared`) but does not mount: what is documented is what runs. Explanations
and big batches use threads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match, Route

from serving.api.models import BatchPrediction, Message, SinglePrediction
from serving.auth import Predictor, authenticate
from serving.model_holder import LoadedModel
from serving.request_parser import InputError
from serving.state import OrjsonResponse, ServingState
from tasks.core.inference import fold_engineered
from tasks.core.kpis import assign_risk_segments
from tasks.core.reasons import business_reasons
from tasks.core.scoring import reason_records
from tasks.i18n import N_

router = APIRouter(tags=["predictions"])  # the declaration of the served route, not mounted
_BOOLEANS = {
    "true": True,
    "1": True,
    "yes": True,
    "on": True,
    "false": False,
    "0": False,
    "no": False,
    "off": False,
}


def score(
    state: ServingState,
    model: LoadedModel,
    records: list[dict[str, Any]],
    explain: bool,
    probabilities: list[float] | None = None,
) -> list[dict[str, Any]]:
    """One prediction per record: with `explain`, the probability and the reasons from the
    same contributions of the compiled model; else its probabilities (unless given)."""
    reasons = None
    if explain:
        found = model.compiled.contributions(records)
        probabilities = found.scores().tolist()
        by_column = fold_engineered(found, model.compiled.specs)
        reasons = [
            worded(why, state.config)
            for why in reason_records(by_column, state.config.model.top_reasons)
        ]
    elif probabilities is None:
        probabilities = model.compiled.predict(records).tolist()
    segments = assign_risk_segments(probabilities, state.config.segments).tolist()
    id_column = state.config.dataset.id_column
    out = [
        {"customer_id": r.get(id_column), "churn_probability": p, "risk_segment": s}
        for r, p, s in zip(records, probabilities, segments, strict=True)
    ]
    if reasons is not None:
        for item, why in zip(out, reasons, strict=True):
            item["reasons"] = why
    return out


def worded(reasons: list[dict[str, Any]], config: Any) -> list[dict[str, Any]]:
    """Each reason of one customer with its business words: label and text ('Tenure: 1
    month'), from the one rendering of `tasks.core.reasons`."""
    words = {r.column: r for r in business_reasons(reasons, config)}
    out = []
    for reason in reasons:
        found = words.get(str(reason["feature"]))
        label = found.label if found else str(reason["feature"])
        out.append({**reason, "label": label, "text": found.text if found else label})
    return out


async def handle(request: Request, explain: bool) -> OrjsonResponse:
    """Parse, score and answer; the model is taken once, so headers and body name it."""
    state: ServingState = request.app.state.serving
    model = state.holder.current
    if model is None:
        raise HTTPException(503, N_("no model is loaded yet"))
    request.scope["retainai.model"] = model
    try:
        body = await request.body()  # its size and media type were checked by the guard
        records, single = state.parser.parse(body)
    except InputError as exc:
        return OrjsonResponse({"detail": exc.errors}, status_code=exc.status)
    if explain or len(records) > state.serving.inline_rows:
        predictions = await run_in_threadpool(score, state, model, records, explain)
    else:  # scored together with the requests that arrive alongside it
        probabilities = await state.coalescer.predict(model.compiled, records)
        predictions = score(state, model, records, explain, probabilities)
    state.metrics.customers_scored += len(records)
    if single:
        return OrjsonResponse({"model": model.ref, **predictions[0]})
    return OrjsonResponse({"model": model.ref, "predictions": predictions})


async def fast_predict(request: Request) -> OrjsonResponse:
    """The served endpoint: token check, `explain` flag, then `handle`."""
    await authenticate(request, "predict", request.headers.get("authorization"))
    flag = request.query_params.get("explain") if request.scope["query_string"] else None
    explain = False if flag is None else _BOOLEANS.get(flag.lower())
    if explain is None:
        error = {
            "loc": ["query", "explain"],
            "msg": "Input should be a valid boolean",
            "type": "bool_parsing",
        }
        return OrjsonResponse({"detail": [error]}, status_code=422)
    return await handle(request, explain)


class FastRoute(Route):
    """A plain Starlette route that still names itself in the scope (for metrics labels)."""

    def matches(self, scope: Any) -> tuple[Match, Any]:
        match, child = super().matches(scope)
        if match != Match.NONE:
            child["route"] = self
        return match, child


def fast_route() -> FastRoute:
    return FastRoute("/predict", fast_predict, methods=["POST"])


@router.post(
    "/predict",
    response_model=None,
    response_class=OrjsonResponse,
    responses={
        200: {"model": SinglePrediction | BatchPrediction},
        413: {"model": Message, "description": "More customers or bytes than allowed"},
        503: {"model": Message, "description": "No model loaded yet"},
    },
    summary="Score one customer (object) or a batch (array)",
)
async def predict(
    request: Request,
    _caller: Predictor,
    explain: Annotated[bool, Query(description="Add the top reasons per customer.")] = False,
) -> OrjsonResponse:
    """The declaration of POST /predict (its parameters, answers and the `predict` access
    level); `fast_predict` serves it."""
    return await handle(request, explain)


def declared(responses: dict[int | str, dict[str, Any]]) -> list[Any]:
    """The declared /predict route with the app's shared answers, for the OpenAPI schema
    and the request guard's policy table."""
    holder = APIRouter()
    holder.include_router(router, responses=responses)
    return list(holder.routes)
