"""Whether an account exists is told neither by the clock nor by the answer: every login
runs exactly one Argon2 verification whatever the account and the password's length, and
the answer to a reset request is sent before any lookup or mail (the mail goes afterwards,
so the visitor never waits for the SMTP server)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass, field

import httpx
import pytest
from serving_helpers import REPO, serving_settings, with_serving

from configs.settings import Settings
from tasks.adapters import users as store
from tasks.services import accounts
from tests.integration.smtp_server import Recorder, smtp_server
from tests.security.logins_fixtures import PASSWORD, api_login, site  # noqa: F401


@pytest.fixture
def verifications(monkeypatch) -> list[int]:
    """The length of every password Argon2 verifies (the real verification still runs)."""
    from pwdlib.hashers.argon2 import Argon2Hasher

    seen: list[int] = []
    verify = Argon2Hasher.verify

    def counted(self, password, hash):
        seen.append(len(password))
        return verify(self, password, hash)

    monkeypatch.setattr(Argon2Hasher, "verify", counted)
    return seen


def test_every_login_path_runs_one_argon2_verification(site, verifications):  # noqa: F811
    known, inactive = site.user(), site.user()
    user_id = store.user_by_email(site.engine, inactive)["id"]
    accounts.set_role(site.app.state.serving.context, accounts.RoleChange(user_id, "viewer", False))
    paths = {
        "right": (known, PASSWORD, 200),
        "wrong": (known, "not the password", 401),
        "long, known": (known, "y" * 300, 401),
        "unknown": ("nobody@example.test", "not the password", 401),
        "long, unknown": ("nobody@example.test", "y" * 300, 401),
        "inactive": (inactive, PASSWORD, 401),
    }
    for n, (name, (email, password, status)) in enumerate(paths.items()):
        verifications.clear()
        answer = api_login(site.browser(f"192.0.2.{100 + n}"), email, password)
        assert answer.status_code == status, name
        assert len(verifications) == 1 and verifications[0] <= 256, (name, verifications)


@dataclass
class HeldRecorder(Recorder):
    """An SMTP server that takes a message only once `release` is set."""

    release: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope):
        while not self.release.is_set():
            await asyncio.sleep(0.02)
        return await super().handle_DATA(server, session, envelope)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_reset_answer_comes_before_the_mail_and_tells_nothing(tmp_path):
    import uvicorn

    from serving.app import create_app

    recorder, port = HeldRecorder(), _free_port()
    with smtp_server(recorder) as smtp_port:
        settings = Settings(
            state_dir=tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            smtp_security="none",
            mail_from="RetainAI <noreply@example.test>",
        )
        app = create_app(
            with_serving(settings, serving_settings()), REPO / "configs" / "telco.yaml"
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 60
            while not server.started and time.monotonic() < deadline:
                time.sleep(0.05)
            new = accounts.NewUser("kim@example.test", "viewer", PASSWORD)
            accounts.create_user(app.state.serving.context, new)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                known = client.post("/auth/reset", data={"email": "kim@example.test"})
                unknown = client.post("/auth/reset", data={"email": "nobody@example.test"})
            assert known.status_code == unknown.status_code == 200
            assert known.text == unknown.text and "a reset link is on its way" in known.text
            assert recorder.received == []  # answered while the SMTP server holds the mail
            recorder.release.set()
            deadline = time.monotonic() + 30
            while not recorder.received and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)  # nothing more comes for the unknown address
            assert [r.rcpt_tos for r in recorder.received] == [["kim@example.test"]]
        finally:
            recorder.release.set()
            server.should_exit = True
            thread.join(timeout=30)
