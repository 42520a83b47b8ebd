"""Campaign email through a real SMTP server on 127.0.0.1: headers, refusals, TLS and login."""

from __future__ import annotations

import logging
from email import message_from_bytes, policy

import pytest

from configs.settings import Settings
from tasks.adapters.campaign_mail import campaign_email
from tasks.adapters.mail import SmtpMailer
from tasks.core.errors import (
    AddressRefusedError,
    ConfigError,
    DeliveryUnknownError,
    PermanentMailError,
    TransientMailError,
)
from tasks.core.outreach import message_id
from tasks.core.unsubscribe import read_token
from tests.integration.smtp_server import (
    Recorder,
    free_port,
    self_signed,
    server_tls,
    smtp_server,
)

SECRET = "mail-test-secret-0123456789"
PUBLIC = "https://retain.example.com"


def settings(port: int, **overrides) -> Settings:
    values = dict(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        smtp_timeout_seconds=5,
        mail_from="RetainAI Offers <offers@retain.example.com>",
        public_url=PUBLIC,
        secret_key=SECRET,
    )
    return Settings(**{**values, **overrides})


def email(config: Settings, customer: str = "7590-VHVEG", to: str = "alice@example.com"):
    text = "Hello Alice,\n\nYour <b>loyalty</b> offer & more is ready."
    return campaign_email(
        config, campaign_id=7, customer_id=customer, to=to, subject="An offer", text=text
    )


@pytest.fixture(scope="module")
def plain():
    recorder = Recorder()
    with smtp_server(recorder) as port:
        yield recorder, port


@pytest.fixture
def server(plain):
    recorder, port = plain
    recorder.received.clear()
    recorder.mail_reply = recorder.rcpt_reply = recorder.data_reply = None
    recorder.drop_during_data = False
    return recorder, port


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls"))


def test_delivers_with_unsubscribe_headers_and_link(server):
    recorder, port = server
    with SmtpMailer(settings(port)) as mailer:
        mailer.send(email(settings(port)))
    (got,) = recorder.received
    assert got.mail_from == "offers@retain.example.com"
    assert got.rcpt_tos == ["alice@example.com"]
    received = message_from_bytes(got.content, policy=policy.default)
    url = received["List-Unsubscribe"].strip("<>")
    assert url.startswith(f"{PUBLIC}/unsubscribe/")
    assert f"\r\nList-Unsubscribe: <{url}>\r\n".encode() in got.content  # not encoded, not folded
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert read_token(SECRET, url.rsplit("/", 1)[1]) == (7, "7590-VHVEG")
    assert received["Message-ID"] == message_id(7, "7590-VHVEG", "email", "retain.example.com")
    text = received.get_body(("plain",)).get_content()
    assert "Your <b>loyalty</b> offer & more is ready." in text and url in text
    page = received.get_body(("html",)).get_content()
    assert "&lt;b&gt;loyalty&lt;/b&gt; offer &amp; more" in page and "<b>" not in page
    assert f'href="{url}"' in page


def test_one_connection_for_a_batch_and_a_resend_keeps_its_message_id(server):
    recorder, port = server
    config = settings(port)
    with SmtpMailer(config) as mailer:
        for customer in ("a1", "a2", "a1"):
            mailer.send(email(config, customer))
    assert len({got.peer for got in recorder.received}) == 1
    ids = [message_from_bytes(got.content)["Message-ID"] for got in recorder.received]
    assert ids[0] == ids[2] != ids[1]


@pytest.mark.parametrize(
    ("where", "reply", "error", "code"),
    [
        ("rcpt", "550 5.1.1 No such user", AddressRefusedError, 550),
        ("rcpt", "451 4.3.0 Try again later", TransientMailError, 451),
        ("data", "554 5.7.1 Message refused", PermanentMailError, 554),
        ("data", "452 4.3.1 Insufficient storage", TransientMailError, 452),
    ],
)
def test_refusals_are_permanent_or_transient_and_the_batch_goes_on(
    server, where, reply, error, code
):
    recorder, port = server
    config = settings(port)
    with SmtpMailer(config) as mailer:
        setattr(recorder, f"{where}_reply", reply)
        with pytest.raises(error) as raised:
            mailer.send(email(config))
        setattr(recorder, f"{where}_reply", None)
        mailer.send(email(config, "next"))
    assert raised.value.code == code and reply.split(" ", 1)[1] in str(raised.value)
    assert isinstance(raised.value, PermanentMailError) == (code >= 500)
    assert len(recorder.received) == 1


def test_a_refused_sender_is_the_setup_not_the_message(server):
    recorder, port = server
    config = settings(port)
    recorder.mail_reply = "553 5.7.1 Sender address rejected"
    with SmtpMailer(config) as mailer, pytest.raises(ConfigError, match="RETAINAI_MAIL_FROM"):
        mailer.send(email(config))
    with pytest.raises(RuntimeError):
        mailer.send(email(config))  # the batch is over
    assert recorder.received == []


def test_permanent_and_transient_do_not_overlap():
    assert issubclass(AddressRefusedError, PermanentMailError)
    assert not issubclass(TransientMailError, PermanentMailError)
    assert not issubclass(DeliveryUnknownError, TransientMailError | PermanentMailError)


def test_connection_refused_is_transient():
    with pytest.raises(TransientMailError, match="cannot reach"), SmtpMailer(settings(free_port())):
        pass


def test_a_broken_hand_over_is_unknown_and_the_next_send_reconnects(server):
    recorder, port = server
    config = settings(port)
    with SmtpMailer(config) as mailer:
        recorder.drop_during_data = True
        with pytest.raises(DeliveryUnknownError, match=r"<retainai\.email\."):
            mailer.send(email(config))
        mailer.send(email(config, "after"))
    assert len(recorder.received) == 1


def test_starttls_is_required_when_configured(server):
    recorder, port = server
    with (
        pytest.raises(ConfigError, match="STARTTLS"),
        SmtpMailer(settings(port, smtp_security="starttls")),
    ):
        pass
    with pytest.raises(TransientMailError), SmtpMailer(settings(port, smtp_security="ssl")):
        pass  # a TLS hello to a plain server
    assert recorder.received == []


def test_starttls_with_login(tls_files, caplog):
    cert, key = tls_files
    recorder = Recorder()
    options = dict(tls_context=server_tls(cert, key), require_starttls=True)
    with smtp_server(recorder, authenticator=recorder.authenticate, **options) as port:
        config = settings(
            port,
            smtp_security="starttls",
            smtp_ca_file=cert,
            smtp_user="mailer",
            smtp_password=recorder.password.decode(),
        )
        with SmtpMailer(config) as mailer:
            mailer.send(email(config))
        caplog.set_level(logging.DEBUG)
        wrong = settings(port, **{**config.model_dump(), "smtp_password": "wrong-password-x"})
        with pytest.raises(ConfigError, match="refused the login") as raised, SmtpMailer(wrong):
            pass
    assert recorder.received[0].tls
    assert recorder.logins[0] == (b"mailer", b"right-password")
    assert set(recorder.logins[1:]) == {(b"mailer", b"wrong-password-x")}  # each mechanism
    assert "wrong-password-x" not in str(raised.value) + caplog.text + repr(SmtpMailer(wrong))
    assert "right-password" not in repr(config)


def test_implicit_tls_and_certificate_checks(tls_files):
    cert, key = tls_files
    recorder = Recorder()
    with smtp_server(recorder, ssl_context=server_tls(cert, key)) as port:
        config = settings(port, smtp_security="ssl", smtp_ca_file=cert)
        with SmtpMailer(config) as mailer:
            mailer.send(email(config))
        with (
            pytest.raises(ConfigError, match="TLS checks"),
            SmtpMailer(
                settings(port, smtp_security="ssl")  # the system's CAs do not know this server
            ),
        ):
            pass
    assert len(recorder.received) == 1 and recorder.received[0].tls


def test_smtp_settings(monkeypatch):
    monkeypatch.setenv("RETAINAI_SMTP_SECURITY", "ssl")
    monkeypatch.setenv("RETAINAI_SMTP_PASSWORD", "from-the-environment")
    config = Settings()
    assert (config.smtp_security, config.resolved_smtp_port) == ("ssl", 465)
    assert "from-the-environment" not in repr(config)
    assert Settings(smtp_security="starttls").resolved_smtp_port == 587
    assert Settings(smtp_security="none", smtp_port=2525).resolved_smtp_port == 2525
    with pytest.raises(ValueError):
        Settings(smtp_security="tls")
    with pytest.raises(ValueError, match="unencrypted"):
        Settings(environment="production", smtp_user="u", smtp_security="none")
    with pytest.raises(ValueError, match="https"):
        Settings(environment="production", public_url="http://retain.example.com")
    with pytest.raises(ConfigError, match="RETAINAI_SMTP_HOST"):
        SmtpMailer(Settings(smtp_host=None))
    with pytest.raises(ConfigError, match="RETAINAI_SECRET_KEY"):
        email(Settings(smtp_host="h"))


def test_a_non_ascii_address_goes_out_with_smtputf8(server):
    recorder, port = server
    config = settings(port)
    with SmtpMailer(config) as mailer:
        mailer.send(email(config, to="josé@exemple.fr"))
    (got,) = recorder.received
    assert got.rcpt_tos == ["josé@exemple.fr"]
    assert message_from_bytes(got.content, policy=policy.default)["To"] == "josé@exemple.fr"


def test_a_non_ascii_address_is_refused_by_a_server_without_smtputf8():
    recorder = Recorder()
    with smtp_server(recorder, enable_SMTPUTF8=False) as port:
        config = settings(port)
        with SmtpMailer(config) as mailer:
            with pytest.raises(AddressRefusedError, match="SMTPUTF8"):
                mailer.send(email(config, to="josé@exemple.fr"))
            mailer.send(email(config))
    assert [got.rcpt_tos for got in recorder.received] == [["alice@example.com"]]
