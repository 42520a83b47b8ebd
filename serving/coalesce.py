"""Requests that arrive together are scored together.

Scoring one customer is mostly fixed per-call cost (a vectorised pass over one row); under
concurrency, the requests that reach the model while the event loop is busy with others wait
for the next turn of the loop and are scored in one call. Rows are independent, so the
probabilities are those of one-by-one scoring up to float rounding (a linear model's matrix
product may round the last bit differently for another batch size; tests/unit/test_coalesce.py
allows 1e-12), and a lone request waits for nothing but that one loop turn.
"""

from __future__ import annotations

import asyncio
from typing import Any


class Coalescer:
    """Collects (model, records) pairs and scores each model's records in one call."""

    def __init__(self) -> None:
        self._waiting: list[tuple[Any, list[dict[str, Any]], asyncio.Future]] = []

    async def predict(self, model: Any, records: list[dict[str, Any]]) -> list[float]:
        """The churn probability of each record, from the compiled `model.predict`."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiting.append((model, records, future))
        if len(self._waiting) == 1:
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        groups: dict[int, list[tuple[Any, list[dict[str, Any]], asyncio.Future]]] = {}
        for item in waiting:  # a model swap between requests: each model scores its own
            groups.setdefault(id(item[0]), []).append(item)
        for group in groups.values():
            _score(group)


def _score(group: list[tuple[Any, list[dict[str, Any]], asyncio.Future]]) -> None:
    model = group[0][0]
    records = [record for _, batch, _ in group for record in batch]
    try:
        probabilities = model.predict(records).tolist()
    except Exception as exc:
        if len(group) > 1:  # only the request that fails may fail
            for item in group:
                _score([item])
        elif not group[0][2].done():
            group[0][2].set_exception(exc)
        return
    start = 0
    for _, batch, future in group:
        if not future.done():  # a client that went away cancelled its future
            future.set_result(probabilities[start : start + len(batch)])
        start += len(batch)
