"""The last active admin stays one even when two admins are demoted or deactivated at the
same moment on PostgreSQL: the check and the change are one transaction holding the admins'
rows, so exactly one of the two changes passes."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from configs.settings import Settings
from tasks.adapters import users as user_store
from tasks.core.errors import ConflictError, NotFoundError
from tasks.services import accounts
from tasks.services.context import Context

pytestmark = pytest.mark.postgres
PASSWORD = "correct horse battery"


def _waiting(engine, sessions: int) -> bool:
    """Whether `sessions` backends of this database wait for a row lock."""
    query = sa.text(
        "SELECT COUNT(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with engine.connect() as connection:
        return connection.execute(query).scalar_one() >= sessions


def _until(condition, what: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


@pytest.fixture
def ctx(postgres_url):
    """The use cases' Context on the application database on PostgreSQL, without users."""
    from tasks.adapters import db

    ctx = Context(Settings(database_url=postgres_url))
    engine = ctx.engine
    db.upgrade(engine)
    with engine.begin() as connection:
        for table in ("api_tokens", "user_sessions", "password_resets", "users"):
            connection.execute(sa.text(f"DELETE FROM {table}"))
    yield ctx
    engine.dispose()


def test_two_concurrent_demotions_leave_one_admin(ctx):
    engine = ctx.engine
    first, _ = accounts.create_user(ctx, accounts.NewUser("ada@example.test", "admin", PASSWORD))
    second, _ = accounts.create_user(ctx, accounts.NewUser("bob@example.test", "admin", PASSWORD))
    outcomes: dict[str, str] = {}

    def change(key: str, user_id: int, role: str, active: bool) -> None:
        try:
            accounts.set_role(ctx, accounts.RoleChange(user_id, role, active))
            outcomes[key] = "done"
        except ConflictError as error:
            outcomes[key] = str(error)

    demote = threading.Thread(target=change, args=("demote", first["id"], "viewer", True))
    deactivate = threading.Thread(target=change, args=("deactivate", second["id"], "admin", False))
    # The first admin's row is held, so the demotion stops mid-way (after any count it makes);
    # the deactivation then runs as far as it can before the row is let go.
    with engine.connect() as holder:
        holder.execute(
            sa.text("SELECT id FROM users WHERE id = :id FOR UPDATE"), {"id": first["id"]}
        )
        demote.start()
        _until(lambda: _waiting(engine, 1), "the demotion waits for the held row")
        deactivate.start()
        _until(
            lambda: "deactivate" in outcomes or _waiting(engine, 2),
            "the deactivation finishes or waits",
        )
        holder.rollback()
    demote.join(60)
    deactivate.join(60)
    assert sorted(outcomes.values()).count("done") == 1, outcomes
    refused = [text for text in outcomes.values() if text != "done"]
    assert refused == ["the last active admin cannot be demoted or deactivated"]
    admins = [u for u in user_store.list_users(engine) if u["role"] == "admin" and u["active"]]
    assert len(admins) == 1


def test_the_last_admin_is_kept_and_other_changes_pass(ctx):
    engine = ctx.engine
    ada, _ = accounts.create_user(ctx, accounts.NewUser("ada@example.test", "admin", PASSWORD))
    vic, _ = accounts.create_user(ctx, accounts.NewUser("vic@example.test", "viewer", PASSWORD))
    with pytest.raises(ConflictError, match="last active admin"):
        accounts.set_role(ctx, accounts.RoleChange(ada["id"], "admin", active=False))
    accounts.set_role(ctx, accounts.RoleChange(vic["id"], "admin"))
    accounts.set_role(ctx, accounts.RoleChange(ada["id"], "analyst"))  # another admin remains
    with pytest.raises(ConflictError, match="last active admin"):
        accounts.set_role(ctx, accounts.RoleChange(vic["id"], "viewer"))
    with pytest.raises(NotFoundError, match="no user 9999"):
        accounts.set_role(ctx, accounts.RoleChange(9999, "viewer"))
    roles = {u["email"]: (u["role"], u["active"]) for u in user_store.list_users(engine)}
    assert roles == {"ada@example.test": ("analyst", True), "vic@example.test": ("admin", True)}
