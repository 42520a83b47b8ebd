"""Serving fixtures shared by tests/serving and tests/security (imported by tests/conftest.py):
one champion trained once on generated customers, in its own state, and an app on it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from serving_helpers import (
    Champion,
    make_tokens,
    seed_scores,
    serving_settings,
    small_config,
    train,
    with_serving,
)

from data.generate import generate_customers, write_customers


@pytest.fixture(scope="session")
def champion(tmp_path_factory) -> Champion:
    """A champion trained once on 2,000 generated customers, in its own state folder."""
    state = tmp_path_factory.mktemp("serving-state")
    data = state / "customers.csv"
    write_customers(generate_customers(2000, seed=5), data)
    config = small_config(state)
    summary = train(state, config, data)
    assert summary["promoted"]
    return Champion(state, config, data, summary["version"])


@dataclass
class Served:
    """An app on the champion, started (lifespan run), with a token per role and stored scores."""

    app: object
    client: object
    state: object
    tokens: dict[str, str]
    customer_ids: list[str]

    @property
    def config(self):
        return self.state.config


@pytest.fixture(scope="module")
def served(champion) -> Iterator[Served]:
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from serving.app import create_app

    source = SecretStr(str(champion.data))  # what the admins' training runs read
    settings = champion.settings.model_copy(update={"training_source": source})
    app = create_app(with_serving(settings, serving_settings(max_batch=50)), champion.config)
    with TestClient(app) as client:
        state = app.state.serving
        ids = seed_scores(state.engine) if not _has_scores(state.engine) else _score_ids(state)
        yield Served(app, client, state, make_tokens(state.engine), ids)


@pytest.fixture(autouse=True)
def a_month_passes(request) -> None:
    """Modules of one worker share the champion's database: before each test that serves
    it, the campaigns earlier tests made contacted their customers a month ago (so the
    contact-frequency rule leaves every customer to this test), and their queued jobs are
    done (no test's worker takes another test's work)."""
    if "served" not in request.fixturenames:
        return
    import sqlalchemy as sa

    from tasks.adapters.campaign_tables import campaign_messages

    engine = request.getfixturevalue("served").state.engine
    old = datetime.now(UTC) - timedelta(days=30)
    sent = sa.case((campaign_messages.c.sent_at.is_(None), None), else_=old)
    with engine.begin() as connection:
        connection.execute(campaign_messages.update().values(created_at=old, sent_at=sent))
        if sa.inspect(connection).has_table("jobs"):
            connection.execute(
                sa.text("UPDATE jobs SET state = 'cancelled' WHERE state IN ('queued', 'running')")
            )


def _has_scores(engine) -> bool:
    import sqlalchemy as sa

    with engine.connect() as connection:
        return bool(connection.execute(sa.text("SELECT COUNT(*) FROM customer_scores")).scalar())


def _score_ids(state) -> list[str]:
    from tasks.adapters import retention_store as store

    return sorted(
        r["customer_id"]
        for r in store.list_customers(state.engine, "telco", "customer_id", "asc", 500, 0, None)
    )
