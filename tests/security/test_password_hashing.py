"""Passwords are stored as Argon2id hashes at the product's parameters (RFC 9106's second
recommended option: 64 MiB, three passes, four lanes), and a hash made with other parameters
is replaced at the next login. The rest of the suite hashes at the lightest parameters
(tests/conftest.py light_password_hashing); these tests use the product's."""

from __future__ import annotations

import argon2
import pytest
import sqlalchemy as sa

from configs.settings import Settings
from tasks.core.errors import LoginRefusedError
from tasks.services import accounts
from tasks.services.context import Context

PASSWORD = "violet anchor drifts past ninety lanterns"


def _stored_hash(ctx: Context, email: str) -> str:
    with ctx.engine.connect() as connection:
        query = sa.text("SELECT password_hash FROM users WHERE email = :e")
        return connection.execute(query, {"e": email}).scalar_one()


def test_a_new_password_is_hashed_with_argon2id_at_the_product_parameters(
    tmp_path,
    product_password_hashing,
):
    ctx = Context(Settings(state_dir=tmp_path))
    accounts.ensure_store(ctx)
    accounts.create_user(ctx, accounts.NewUser("ana@example.test", "analyst", PASSWORD))
    stored = _stored_hash(ctx, "ana@example.test")
    assert stored.startswith("$argon2id$")
    assert argon2.extract_parameters(stored) == argon2.profiles.RFC_9106_LOW_MEMORY
    assert accounts.login(ctx, accounts.LoginAttempt("ana@example.test", PASSWORD, "t")).user
    assert _stored_hash(ctx, "ana@example.test") == stored  # current parameters: kept


def test_a_hash_with_older_parameters_is_replaced_at_the_next_login(
    tmp_path,
    product_password_hashing,
):
    ctx = Context(Settings(state_dir=tmp_path))
    accounts.ensure_store(ctx)
    accounts.create_user(ctx, accounts.NewUser("ana@example.test", "analyst", PASSWORD))
    older = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with ctx.engine.begin() as connection:
        query = sa.text("UPDATE users SET password_hash = :h WHERE email = :e")
        connection.execute(query, {"h": older, "e": "ana@example.test"})
    wrong = accounts.LoginAttempt("ana@example.test", "not the password at all", "t")
    with pytest.raises(LoginRefusedError):
        accounts.login(ctx, wrong)
    assert _stored_hash(ctx, "ana@example.test") == older  # a wrong password changes nothing
    assert accounts.login(ctx, accounts.LoginAttempt("ana@example.test", PASSWORD, "t")).user
    renewed = _stored_hash(ctx, "ana@example.test")
    assert argon2.extract_parameters(renewed) == argon2.profiles.RFC_9106_LOW_MEMORY
    assert accounts.login(ctx, accounts.LoginAttempt("ana@example.test", PASSWORD, "t")).user
