"""Password resets and the password rule: one rule for every password people choose (length,
not the email, hard to guess), a used reset link ends every other link of the user, and
reset mails to one account are limited."""

from __future__ import annotations

import pytest

from tasks.core.errors import InvalidInputError
from tasks.services import accounts
from tests.security.logins_fixtures import (  # noqa: F401
    PASSWORD,
    csrf,
    login,
    reset_links,
    site,
)

WEAK = "Password1234"  # 12 characters, a common pattern


def test_one_password_rule_for_every_door(site):  # noqa: F811
    ctx = site.app.state.serving.context
    with pytest.raises(InvalidInputError, match="too easy to guess"):
        accounts.create_user(ctx, accounts.NewUser("weak@example.test", "viewer", WEAK))
    with pytest.raises(InvalidInputError, match="may not be the email"):
        kim = accounts.NewUser("kim.lee@example.test", "viewer", "Kim.Lee@example.test")
        accounts.create_user(ctx, kim)

    email, browser = site.user(), site.browser("192.0.2.60")
    login(browser, email)
    token = csrf(browser.get("/dashboard/profile").text)
    for new, said in ((WEAK, "too easy to guess"), (email, "may not be the email")):
        form = {"current": PASSWORD, "new": new, "csrf_token": token}
        changed = browser.post("/dashboard/profile", data=form)
        assert changed.status_code == 400 and said in changed.text

    _, link = accounts.request_reset(site.app.state.serving.context, email)
    for new, said in ((email, "may not be the email"), (WEAK, "too easy to guess")):
        refused = browser.post(f"/auth/reset/{link}", data={"password": new})
        assert refused.status_code == 400 and said in refused.text
    done = browser.post(f"/auth/reset/{link}", data={"password": "a quiet orchard at noon"})
    assert "Password changed" in done.text  # a refused password leaves the link usable


def test_a_used_reset_link_ends_the_users_other_links(site):  # noqa: F811
    email, other, browser = site.user(), site.user(), site.browser("192.0.2.61")
    for address in (email, email, other):
        assert browser.post("/auth/reset", data={"email": address}).status_code == 200
    first, second = reset_links(site.recorder, email)
    used = browser.post(second, data={"password": "a quiet orchard at noon"})
    assert "Password changed" in used.text
    late = browser.post(first, data={"password": "another quiet orchard"})
    assert late.status_code == 400 and "used, expired or unknown" in late.text
    (theirs,) = reset_links(site.recorder, other)  # another user's link is left alone
    assert "Password changed" in browser.post(theirs, data={"password": "a tidy green shed"}).text


def test_reset_mails_to_one_account_are_limited(site):  # noqa: F811
    email, browser = site.user(), site.browser("192.0.2.62")
    answers = {browser.post("/auth/reset", data={"email": email}).text for _ in range(6)}
    assert len(answers) == 1  # the same answer every time
    assert len(reset_links(site.recorder, email)) == site.settings.reset_mails_per_hour == 3


def test_a_reset_link_never_points_at_the_host_the_visitor_names(site):  # noqa: F811
    """Without RETAINAI_PUBLIC_URL the link names the server's own address, not the Host
    header, which a visitor chooses (the victim would get a link to the visitor's site)."""
    from email import message_from_bytes

    from fastapi.testclient import TestClient
    from serving_helpers import REPO, serving_settings, with_serving

    from serving.app import create_app

    settings = site.settings.model_copy(update={"public_url": None})
    app = create_app(with_serving(settings, serving_settings()), REPO / "configs" / "telco.yaml")
    email = site.user()
    with TestClient(app, base_url="https://testserver") as browser:
        answer = browser.post(
            "/auth/reset", data={"email": email}, headers={"host": "evil.example"}
        )
    assert answer.status_code == 200
    (mail,) = [m for m in site.recorder.received if m.rcpt_tos == [email]]
    text = message_from_bytes(mail.content).get_payload(decode=True).decode()
    assert "evil.example" not in text and "/auth/reset/" in text
