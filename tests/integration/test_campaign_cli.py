"""The campaign commands as an analyst types them: contacts, preview, create, generate,
approve, send into an outbox, events, report and list; bad input is one clear error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from configs.settings import Settings
from data.contacts import generate_contacts
from flows.cli import app
from tasks.adapters import campaign_store as store
from tasks.adapters import db
from tasks.core.errors import ConflictError, InvalidInputError
from tests.integration.campaign_seed import seed_scores

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / "configs" / "telco.yaml")
IDS = [f"K{i:03d}" for i in range(120)]


@pytest.fixture
def folder(tmp_path, monkeypatch):
    env = {
        "RETAINAI_STATE_DIR": str(tmp_path / "state"),
        "RETAINAI_SECRET_KEY": "a-test-signing-key-of-32-chars!!",
        "RETAINAI_PUBLIC_URL": "https://retain.example.test",
        "RETAINAI_MAIL_FROM": "RetainAI <offers@example.test>",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with db.connected(Settings()) as engine:
        db.upgrade(engine)
        seed_scores(engine, IDS, seed=9)
    generate_contacts(IDS, seed=9).to_csv(tmp_path / "contacts.csv", index=False)
    return tmp_path


def _run(*args: str) -> str:
    done = CliRunner().invoke(app, [*args])
    assert done.exit_code == 0, f"{args}: {done.output}{done.exception!r}"
    return done.output


def _json(output: str):
    """The JSON a command printed after its progress lines."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(("{", "[")))
    return json.loads("\n".join(lines[start:]))


def test_a_campaign_from_the_command_line(folder):
    assert "120 contacts" in _run("contacts", "import", str(folder / "contacts.csv"))
    preview = _json(_run("campaign", "preview", "--config", CONFIG, "--offer", "loyalty-discount"))
    # the table has a value role: ranked by expected profit, and labelled so
    assert preview["ranked_by"] == "expected profit" and preview["audience"] > 0
    assert preview["consent_checked"] and preview["removed_recently_contacted"] == 0
    assert "best_size" in preview
    created = _run(
        "campaign",
        "create",
        "--config",
        CONFIG,
        "--name",
        "cli win-back",
        "--offer",
        "loyalty-discount",
        "--limit",
        "40",
    )
    campaign = created.split()[1]
    assert "(draft)" in created
    totals = _json(_run("campaign", "generate", campaign, "--config", CONFIG))
    messages = totals["messages"]
    assert messages > 0 and totals["paths"] == {"template": messages}  # no key: templates
    approved = _run("campaign", "approve", campaign, "--config", CONFIG, "--by", "ana", "--yes")
    assert f"{messages:,} draft messages to" in approved and "USD" in approved
    assert f"approved {messages:,} messages" in approved
    sent = _json(
        _run("campaign", "send", campaign, "--config", CONFIG, "--outbox", str(folder / "outbox"))
    )
    assert sent["sent"] == messages == len(list((folder / "outbox").glob("*.eml")))

    with db.connected(Settings()) as engine:
        members = store.audience(engine, int(campaign))
    stays = np.random.default_rng(2).random(len(members)) < 0.7
    events = pd.DataFrame(
        {"customer_id": members["customer_id"], "event": np.where(stays, "retained", "churned")}
    )
    events.to_csv(folder / "events.csv", index=False)
    recorded = _run(
        "campaign", "events", "import", campaign, str(folder / "events.csv"), "--config", CONFIG
    )
    assert f"{len(members)} new events" in recorded
    report = _json(_run("campaign", "report", campaign, "--config", CONFIG))
    assert report["lift"]["method"] == "newcombe_hybrid_score"
    listed = _run("campaign", "list", "--config", CONFIG)
    assert f"{campaign}  sent" in listed and "cli win-back" in listed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rank-by", "uplift"], "needs --data"),
        (["--rank-by", "luck"], "must be risk, profit or uplift"),
        (["--holdout-share", "0.7"], "Holdout share: 0.7 is outside"),
        (["--channels", "fax"], "may use"),
        (["--scheduled-at", "2020-01-01T09:00"], "in the past"),
    ],
)
def test_bad_campaign_options_are_one_clear_error(folder, args, message):
    done = CliRunner().invoke(
        app,
        [
            "campaign",
            "create",
            "--config",
            CONFIG,
            "--name",
            "x",
            "--offer",
            "loyalty-discount",
            *args,
        ],
    )
    assert done.exit_code != 0
    assert message in done.output + str(done.exception)
    with db.connected(Settings()) as engine:
        assert store.list_campaigns(engine, "telco") == []  # nothing stored


def test_the_installed_command_prints_one_line_for_an_unknown_campaign(folder):
    done = subprocess.run(
        [sys.executable, "-m", "flows", "campaign", "approve", "999", "--config", CONFIG],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 5  # not found
    assert done.stderr.strip().startswith("error:") and "999" in done.stderr
    assert "Traceback" not in done.stderr


def test_messages_edited_excluded_exported_and_a_draft_cancelled_from_the_command_line(folder):
    _run("contacts", "import", str(folder / "contacts.csv"))
    base = ["campaign", "create", "--config", CONFIG, "--offer", "loyalty-discount"]
    created = _run(*base, "--name", "cli sms", "--channels", "sms", "--limit", "20")
    campaign = created.split()[1]
    _run("campaign", "generate", campaign, "--config", CONFIG)
    with db.connected(Settings()) as engine:
        drafts = store.messages(engine, int(campaign), "draft")
    first, second = drafts["customer_id"].iloc[0], drafts["customer_id"].iloc[1]
    shown = _json(_run("campaign", "message", "show", campaign, first, "--channel", "sms"))
    assert shown["status"] == "draft" and shown["body"]
    body = "We miss you: 20% off for six months."
    edit = ["campaign", "message", "edit", campaign, first, "--channel", "sms", "--body"]
    edited = _json(_run(*edit, body, "--by", "ana@example.test"))
    assert edited["body"] == body and edited["path"] == "edited"
    refused = CliRunner().invoke(app, [*edit, "Hello [NAME]"])
    assert isinstance(refused.exception, InvalidInputError)  # exit code 4 from the command
    assert "body contains a placeholder" in str(refused.exception)
    again = _json(_run("campaign", "message", "regenerate", campaign, first, "--channel", "sms"))
    assert again["path"].startswith("template") and again["edited_by"] is None
    assert "1 messages will not be sent" in _run("campaign", "exclude", campaign, second)
    _run("campaign", "approve", campaign, "--config", CONFIG, "--yes")
    _run("campaign", "send", campaign, "--config", CONFIG)
    saved = _run("campaign", "sms-export", campaign, "--out", str(folder / "sms.csv"))
    lines = (folder / "sms.csv").read_text().splitlines()
    assert f"{len(drafts) - 1} SMS written" in saved and len(lines) == len(drafts)
    assert not any(second in line for line in lines)

    other = _run(*base, "--name", "cli cancelled", "--limit", "10").split()[1]
    assert "messages will not be sent" in _run("campaign", "cancel", other, "--yes")
    late = CliRunner().invoke(app, ["campaign", "cancel", campaign, "--yes"])
    assert isinstance(late.exception, ConflictError) and "too late" in str(late.exception)


def test_the_four_eyes_rule_needs_a_named_person_on_the_command_line(folder):
    import yaml

    from tasks.core.errors import SecondApproverError

    raw = yaml.safe_load(Path(CONFIG).read_text())
    raw["campaigns"]["require_second_approver"] = True
    strict = folder / "strict.yaml"
    strict.write_text(yaml.safe_dump(raw, sort_keys=False))
    _run("contacts", "import", str(folder / "contacts.csv"))
    made = _run(
        "campaign",
        "create",
        "--config",
        str(strict),
        "--name",
        "four eyes",
        "--offer",
        "loyalty-discount",
        "--limit",
        "10",
    ).split()[1]
    _run("campaign", "generate", made, "--config", str(strict))
    approve = ["campaign", "approve", made, "--config", str(strict), "--yes"]
    for extra in ([], ["--by", "cli"]):  # no person named; the creator itself
        refused = CliRunner().invoke(app, [*approve, *extra])
        assert isinstance(refused.exception, SecondApproverError), refused.output
    assert "approved" in _run(*approve, "--by", "checker@example.test")
