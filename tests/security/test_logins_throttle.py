"""Wrong passwords slow guessing without locking anyone out: the throttle's rule (pure), then
the app: waits per account and address growing, one accurate Retry-After for JSON and forms,
failures from other addresses never keeping the owner out for more than a few minutes, a
success, a reset and `retainai users unlock` clearing the count, and the profile's password
change throttled by the same code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from flows.cli import app as cli
from flows.cli_common import settings as cli_settings
from tasks.adapters import users as store
from tasks.adapters.user_tables import login_attempts
from tasks.core.throttle import Failures, Limit, LoginLimits, in_words, login_wait, wait_seconds
from tasks.services import accounts
from tests.security.logins_fixtures import PASSWORD, api_login, csrf, login, site  # noqa: F401

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LIMIT = Limit(free=3, first_seconds=30, longest_seconds=900)


def _ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def test_no_wait_for_the_first_failures_then_a_doubling_wait_up_to_the_longest():
    assert [wait_seconds(Failures(n, NOW), NOW, LIMIT) for n in range(3)] == [0, 0, 0]
    waits = [wait_seconds(Failures(n, NOW), NOW, LIMIT) for n in range(3, 10)]
    assert waits == [30, 60, 120, 240, 480, 900, 900]
    assert wait_seconds(Failures(10**6, NOW), NOW, LIMIT) == 900
    assert wait_seconds(Failures(3, _ago(10.5)), NOW, LIMIT) == 20  # counted from the latest
    assert wait_seconds(Failures(3, _ago(31)), NOW, LIMIT) == 0


def test_the_longest_scope_wins_and_the_owners_address_skips_the_account_count():
    limits = LoginLimits(pair=LIMIT, account=Limit(10, 30, 120), address=Limit(20, 30, 900))
    quiet, busy = Failures(0, None), Failures(40, _ago(5))
    assert login_wait(quiet, busy, quiet, False, NOW, limits) == 115  # capped at 2 minutes
    assert login_wait(quiet, busy, quiet, True, NOW, limits) == 0  # an address they used
    assert login_wait(Failures(5, _ago(5)), busy, quiet, True, NOW, limits) == 115
    assert login_wait(quiet, quiet, Failures(21, _ago(1)), True, NOW, limits) == 59
    words = ["1 second", "40 seconds", "1 minute", "2 minutes", "15 minutes"]
    assert [in_words(s) for s in (1, 40, 60, 61, 900)] == words


def _retry_after(answer) -> int:
    return int(answer.headers["Retry-After"])


def test_waits_grow_and_json_and_forms_tell_the_same_wait(site):  # noqa: F811
    email, browser = site.user(), site.browser("192.0.2.10")
    for _ in range(3):
        assert login(browser, email, "not the password").status_code == 401
    site.age_attempts(email, 10)
    form, api = login(browser, email), api_login(browser, email)  # right password, too early
    assert form.status_code == api.status_code == 429
    assert _retry_after(form) in (19, 20) and _retry_after(api) in (19, 20)
    assert "try again in 20 seconds" in form.text or "try again in 19 seconds" in form.text
    assert api.json()["detail"].startswith("too many wrong passwords: try again in")
    site.age_attempts(email, 31)
    assert login(browser, email, "still not it").status_code == 401  # checked again
    assert 55 <= _retry_after(api_login(browser, email)) <= 60  # doubled
    site.age_attempts(email, 61)
    assert login(browser, email).status_code == 303


def test_failures_from_many_addresses_never_keep_the_owner_out(site):  # noqa: F811
    email = site.user(role="admin")
    home = site.browser("198.51.100.1")
    assert login(home, email).status_code == 303  # the owner's usual address
    for n in range(10):  # one guess from each of many addresses
        assert api_login(site.browser(f"203.0.113.{n}"), email, "guess").status_code == 401
    assert api_login(site.browser("203.0.113.99"), email, "guess").status_code == 429
    now = datetime.now(UTC)
    for n in range(300):  # and a long campaign of them
        store.record_attempt(site.engine, email, f"198.18.{n // 200}.{n % 200}", False, now)
    home.cookies.clear()
    assert login(home, email).status_code == 303  # the usual address is not held up
    travelling = api_login(site.browser("192.0.2.77"), email)
    assert travelling.status_code == 429 and _retry_after(travelling) <= 120  # minutes at most
    site.age_attempts(email, 121)
    assert api_login(site.browser("192.0.2.77"), email).status_code == 200


def test_a_success_clears_the_count_of_its_address(site):  # noqa: F811
    email, browser = site.user(), site.browser("192.0.2.20")
    for _ in range(3):
        assert api_login(browser, email, "typo typo typo").status_code == 401
    site.age_attempts(email, 31)
    assert api_login(browser, email).status_code == 200
    for _ in range(3):  # three fresh tries again, no wait
        assert api_login(browser, email, "typo typo typo").status_code == 401


def test_attempts_older_than_every_rule_are_forgotten_at_the_next_try(site):  # noqa: F811
    email, other = site.user(), site.user()
    address = "192.0.2.21"
    for who in (email, other):
        assert api_login(site.browser(address), who, "typo typo typo").status_code == 401
    days = site.settings.login_known_address_days
    horizon = max(days * 86400, site.settings.login_window_minutes * 60)
    site.age_attempts(email, horizon + 60)
    site.age_attempts(other, horizon + 60)
    engine = site.app.state.serving.context.engine
    assert store.forget_attempts_before(engine, "x@example.test", "198.51.100.1", NOW) == 0
    assert api_login(site.browser("192.0.2.22"), email, "typo typo typo").status_code == 401
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(login_attempts.c.email, login_attempts.c.address).where(
                login_attempts.c.email.in_([email, other])
            )
        ).all()
    # the new try's email lost its old rows; the old row from that email's former address
    # is gone too, while the other account's row from an address not seen again stays
    assert sorted(rows) == sorted([(email, "192.0.2.22"), (other, address)])


def test_a_reset_and_the_unlock_command_clear_every_address(site, monkeypatch):  # noqa: F811
    email = site.user()
    for n in range(12):
        for _ in range(3):
            api_login(site.browser(f"203.0.113.{n}"), email, "guess")
    assert api_login(site.browser("192.0.2.30"), email).status_code == 429
    _, token = accounts.request_reset(site.app.state.serving.context, email)
    changed = site.browser().post(f"/auth/reset/{token}", data={"password": "a new quiet meadow"})
    assert "Password changed" in changed.text
    assert api_login(site.browser("203.0.113.1"), email, "a new quiet meadow").status_code == 200

    for n in range(12):
        for _ in range(3):
            api_login(site.browser(f"203.0.113.{n}"), email, "guess")
    assert api_login(site.browser("203.0.113.5"), email, "a new quiet meadow").status_code == 429
    monkeypatch.setenv("RETAINAI_STATE_DIR", str(site.settings.state_dir))
    cli_settings.cache_clear()  # the CLI's settings are read once per process
    done = CliRunner().invoke(cli, ["users", "unlock", email.upper()])
    assert done.exit_code == 0 and "failed logins forgotten" in done.output, done.output
    assert api_login(site.browser("203.0.113.5"), email, "a new quiet meadow").status_code == 200
    unknown = CliRunner().invoke(cli, ["users", "unlock", "nobody@example.test"])
    assert unknown.exit_code != 0 and "no user" in str(unknown.exception)
    cli_settings.cache_clear()


@pytest.mark.parametrize("wrong", ["not my password", "x" * 300], ids=["wrong", "too-long"])
def test_the_profile_password_change_is_throttled_like_the_login(site, wrong):  # noqa: F811
    email, browser = site.user(), site.browser("192.0.2.40")
    login(browser, email)
    token = csrf(browser.get("/dashboard/profile").text)

    def change(current: str):
        form = {"current": current, "new": "a brand new passphrase", "csrf_token": token}
        return browser.post("/dashboard/profile", data=form)

    for _ in range(3):
        refused = change(wrong)
        assert refused.status_code == 400 and "current password is wrong" in refused.text
    held = change(PASSWORD)  # even the right one waits
    assert held.status_code == 429 and 1 <= _retry_after(held) <= 30
    assert "try again in" in held.text
    assert api_login(browser, email).status_code == 429  # one count with the login
    site.age_attempts(email, 31)
    assert change(PASSWORD).status_code == 200
