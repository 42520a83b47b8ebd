"""A form on another site cannot log a browser into an account of its choosing: a form
login must carry the login page's token, equal to a strict same-site cookie of this site.
The JSON login (a token in the answer, no cookie) needs none."""

from __future__ import annotations

import re

from serving.sessions import COOKIE
from tests.security.logins_fixtures import PASSWORD, api_login, login, site  # noqa: F401


def _token(page: str) -> str:
    return re.search(r'name="login_token" value="([^"]+)"', page).group(1)


def test_a_form_from_another_site_cannot_log_the_browser_in(site):  # noqa: F811
    planted = site.user()  # the account the other site wants the victim to use
    victim = site.browser("192.0.2.50")
    form = {"email": planted, "password": PASSWORD}
    forged = victim.post("/auth/login", data=form, follow_redirects=False)
    assert forged.status_code == 403 and "expired or was not sent from this site" in forged.text
    assert f"{COOKIE}=" not in forged.headers.get("set-cookie", "")

    theirs = _token(site.browser("203.0.113.50").get("/auth/login").text)  # their own page's
    victim.get("/auth/login")  # the victim's browser has a token cookie of its own
    forged = victim.post("/auth/login", data={**form, "login_token": theirs})
    assert forged.status_code == 403
    assert victim.get("/dashboard/", follow_redirects=False).status_code == 303  # logged out

    assert login(victim, planted).status_code == 303  # the page itself works
    assert api_login(site.browser("192.0.2.51"), planted).status_code == 200  # JSON: no token


def test_the_login_token_cookie_stays_on_this_site(site):  # noqa: F811
    browser = site.browser("192.0.2.52")
    page = browser.get("/auth/login")
    cookie = page.headers["set-cookie"]
    assert f"retainai_login={_token(page.text)};" in cookie
    for flag in ("HttpOnly", "Path=/auth/login", "SameSite=strict", "Secure"):
        assert flag in cookie, cookie
    assert _token(browser.get("/auth/login").text) == _token(page.text)  # two tabs both work
