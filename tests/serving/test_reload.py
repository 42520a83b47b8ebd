"""Model swaps: /admin/reload and alias polling move versions with zero failed requests."""

from __future__ import annotations

import time

import anyio
import httpx
import pytest
from serving_helpers import (
    bearer,
    customers,
    make_tokens,
    serving_settings,
    small_config,
    train,
    with_serving,
)

pytestmark = pytest.mark.anyio
LINEAR = {"logistic_regression": {"grid": {"C": [0.3]}}}


def promote_version(settings, config, version: str, reason: str) -> str | None:
    """Make `version` champion through the use case the CLI and the pages call."""
    from tasks.services import models
    from tasks.services.context import Context

    command = models.PromoteVersion(config, version, reason)
    return models.promote_version(Context(settings), command).previous


@pytest.fixture(scope="module")
def two_versions(champion):
    """A second model trained into the champion's store; the alias is put back on the first."""
    from tasks.adapters import registry

    linear = small_config(champion.state, "config-linear", LINEAR)
    train(champion.state, linear, champion.data, champion=False)  # a challenger
    registry.configure(champion.settings)
    second = registry.versions("retainai-churn")[0].version
    assert second != champion.version
    promote_version(
        champion.settings, champion.run_config, champion.version, "serving tests start on the first"
    )
    yield champion.version, second
    promote_version(
        champion.settings, champion.run_config, champion.version, "serving tests restore the first"
    )


async def _hammer(client, records, headers, results, stop: anyio.Event, offset: int) -> None:
    """Single customers, and every fifth call a batch big enough for the thread pool."""
    i = offset
    while not stop.is_set():
        payload = records if i % 5 == 0 else records[i % len(records)]
        began = time.perf_counter()
        response = await client.post("/predict", json=payload, headers=headers)
        answer = response.json()
        results.append(
            (
                response.status_code,
                response.headers["x-model-version"],
                answer.get("model", {}).get("version"),
                began,
            )
        )
        i += 1


async def _swap_under_load(champion, poll_seconds: float, move) -> tuple[list, object]:
    from serving.app import create_app

    app = create_app(
        with_serving(champion.settings, serving_settings(poll_seconds=poll_seconds)),
        champion.config,
    )
    async with app.router.lifespan_context(app):
        state = app.state.serving
        tokens = make_tokens(state.engine, "reload")
        records = customers(state.config, 40, seed=9)[1]
        results: list = []
        stop = anyio.Event()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://serving") as client:
            before = state.holder.current.version.version
            async with anyio.create_task_group() as group:
                for k in range(4):
                    group.start_soon(
                        _hammer, client, records, bearer(tokens["app"]), results, stop, k
                    )
                await anyio.sleep(0.5)
                outcome = await move(client, tokens, before)
                swapped = time.perf_counter()
                await anyio.sleep(0.5)
                stop.set()
    return results, (before, outcome, swapped)


def _check(results, versions: set[str], new: str, swapped: float) -> None:
    assert len(results) > 20
    assert all(status == 200 for status, *_ in results), {r[0] for r in results}
    assert all(header == body for _, header, body, _ in results)  # the scoring model is named
    assert {body for _, _, body, _ in results} == versions
    assert {body for _, _, body, began in results if began > swapped} == {new}


async def test_reload_swaps_versions_without_failed_requests(champion, two_versions):
    first, second = two_versions

    async def promote_and_reload(client, tokens, before):
        await anyio.to_thread.run_sync(
            promote_version, champion.settings, champion.run_config, second, "test"
        )
        response = await client.post("/admin/reload", headers=bearer(tokens["admin"]))
        return response.json()

    results, (before, reload, swapped) = await _swap_under_load(champion, 0, promote_and_reload)
    assert before == first
    assert reload == {"previous_version": first, "version": second, "changed": True}
    _check(results, {first, second}, second, swapped)


async def test_polling_follows_the_alias(champion, two_versions):
    first, second = two_versions

    async def promote_and_wait(client, tokens, before):
        target = first if before == second else second
        await anyio.to_thread.run_sync(
            promote_version, champion.settings, champion.run_config, target, "test"
        )
        with anyio.fail_after(60):
            while True:
                answer = await client.get("/model", headers=bearer(tokens["viewer"]))
                if answer.json()["version"] == target:
                    return target
                await anyio.sleep(0.1)

    results, (before, after, swapped) = await _swap_under_load(champion, 0.2, promote_and_wait)
    assert before != after
    _check(results, {first, second}, after, swapped)
