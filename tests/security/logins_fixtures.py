"""The app the login tests share: a fresh state, a real SMTP server recording what it takes,
and browsers (test clients) from any client address."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from serving_helpers import REPO, form_login, serving_settings, with_serving

from configs.settings import Settings
from tasks.services import accounts
from tests.integration.smtp_server import Recorder, smtp_server

PASSWORD = "correct horse battery"


@dataclass
class Site:
    app: object
    engine: object
    settings: Settings
    recorder: Recorder

    def browser(self, address: str = "192.0.2.1") -> TestClient:
        """A browser of its own (cookies) whose requests come from `address`."""
        return TestClient(self.app, base_url="https://testserver", client=(address, 50000))

    def user(self, role: str = "viewer", password: str = PASSWORD) -> str:
        """A new user's email (each test has its own account)."""
        email = f"u{uuid.uuid4().hex[:10]}@example.test"
        ctx = self.app.state.serving.context
        accounts.create_user(ctx, accounts.NewUser(email, role, password))
        return email

    def age_attempts(self, email: str, seconds: float) -> None:
        """Move the recorded logins of `email` `seconds` into the past (time passing)."""
        with self.engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE login_attempts SET at = :at WHERE email = :email"),
                {"at": datetime.now(UTC) - timedelta(seconds=seconds), "email": email},
            )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    from serving.app import create_app

    recorder = Recorder()
    with smtp_server(recorder) as port:
        settings = Settings(
            state_dir=tmp_path_factory.mktemp("logins"),
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security="none",
            mail_from="RetainAI <noreply@example.test>",
            public_url="https://retain.example.test",
        )
        app = create_app(
            with_serving(settings, serving_settings()), REPO / "configs" / "telco.yaml"
        )
        with TestClient(app, base_url="https://testserver"):
            yield Site(app, app.state.serving.engine, settings, recorder)


def login(browser: TestClient, email: str, password: str = PASSWORD):
    """A form login from the login page, as a browser does."""
    return form_login(browser, email, password)


def api_login(browser: TestClient, email: str, password: str = PASSWORD):
    return browser.post("/auth/login", json={"email": email, "password": password})


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def reset_links(recorder: Recorder, email: str) -> list[str]:
    """The reset links mailed to `email`, oldest first."""
    from email import message_from_bytes

    links = []
    for received in recorder.received:
        if received.rcpt_tos == [email]:
            text = message_from_bytes(received.content).get_payload(decode=True).decode()
            links += re.findall(r"https://retain\.example\.test(/auth/reset/\S+)", text)
    return links
