"""Migration 0011 on SQLite and PostgreSQL: contacts and messages get their language, and a
message's path (why the fallback template wrote it) is kept whole; existing rows survive and
a downgrade puts the old schema back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tasks.adapters import db
from tasks.adapters.campaign_tables import campaign_messages, contacts
from tests.conftest import fresh_postgres_database

LONG = "template: invalid-answer: the answer is not JSON (Expecting value) after a retry"


def _message(customer: str, path: str) -> dict:
    return {
        "campaign_id": 1,
        "customer_id": customer,
        "channel": "email",
        "status": "draft",
        "subject": "s",
        "body": "b",
        "path": path,
        "prompt_version": "fallback-email-v1",
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cost": 0.0,
        "created_at": datetime.now(UTC),
    }


def _columns(engine, table: str) -> dict[str, sa.types.TypeEngine]:
    return {c["name"]: c["type"] for c in sa.inspect(engine).get_columns(table)}


def _check(url: str) -> None:
    engine = db.make_engine(url)
    try:
        db.upgrade(engine, "0009")
        assert "language" not in _columns(engine, "contacts")
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO contacts (dataset, customer_id, first_name, consent_email, "
                    "consent_sms, updated_at) VALUES ('telco', 'C1', 'Ada', true, false, :now)"
                ),
                {"now": datetime.now(UTC)},
            )
            row = _message("C1", "template: no-key")
            connection.execute(
                sa.text(
                    "INSERT INTO campaign_messages (campaign_id, customer_id, channel, status, "
                    "subject, body, path, prompt_version, prompt_tokens, completion_tokens, "
                    "cost, created_at) VALUES (:campaign_id, :customer_id, :channel, :status, "
                    ":subject, :body, :path, :prompt_version, :prompt_tokens, "
                    ":completion_tokens, :cost, :created_at)"
                ),
                row,
            )
        db.upgrade(engine, "0011")
        assert db.current_revision(engine) == "0011"
        assert {"language"} <= set(_columns(engine, "contacts"))
        assert {"language"} <= set(_columns(engine, "campaign_messages"))
        with engine.begin() as connection:
            connection.execute(
                campaign_messages.insert(), [{**_message("C2", LONG), "language": "fr"}]
            )
            connection.execute(
                contacts.update().where(contacts.c.customer_id == "C1").values(language="fr")
            )
            paths = dict(
                connection.execute(
                    sa.select(campaign_messages.c.customer_id, campaign_messages.c.path)
                ).fetchall()
            )
            ada = connection.execute(sa.select(contacts.c.first_name, contacts.c.language)).one()
        assert paths == {"C1": "template: no-key", "C2": LONG}  # whole, old rows kept
        assert tuple(ada) == ("Ada", "fr")
        db.downgrade(engine, "0009")
        assert "language" not in _columns(engine, "contacts")
        assert "language" not in _columns(engine, "campaign_messages")
        with engine.connect() as connection:
            cut = connection.execute(
                sa.text("SELECT path FROM campaign_messages WHERE customer_id = 'C2'")
            ).scalar()
        assert cut == LONG[:40]
        db.upgrade(engine)  # and up again
        assert "language" in _columns(engine, "contacts")
    finally:
        engine.dispose()


def test_migration_on_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'app.db'}")


@pytest.mark.postgres
def test_migration_on_postgresql():
    with fresh_postgres_database() as url:
        _check(url)
