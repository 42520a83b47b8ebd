"""The SMS export for the gateway: content, opt-out text, refusals that write nothing."""

from __future__ import annotations

import csv

import pytest

from tasks.adapters.sms_export import SmsRow, write_sms_export
from tasks.core.errors import SmsExportError
from tasks.core.outreach import OPT_OUT_TEXT


def test_export_appends_the_opt_out_and_writes_a_csv(tmp_path):
    path = tmp_path / "out" / "sms.csv"
    rows = [
        SmsRow("+44 7700 900123", 'Your offer: 20% off, "today"', "m-1"),
        SmsRow("0612345678", "Ihr Angebot wartet", "m-2"),
    ]
    assert write_sms_export(rows, path) == path
    assert path.read_bytes().startswith(b"phone,text,message_id\r\n")
    with path.open(newline="", encoding="utf-8") as handle:
        got = list(csv.DictReader(handle))
    assert got == [
        {
            "phone": "+447700900123",
            "text": f'Your offer: 20% off, "today" {OPT_OUT_TEXT}',
            "message_id": "m-1",
        },
        {"phone": "0612345678", "text": f"Ihr Angebot wartet {OPT_OUT_TEXT}", "message_id": "m-2"},
    ]
    assert [p.name for p in path.parent.iterdir()] == ["sms.csv"]


def test_custom_opt_out_text(tmp_path):
    write_sms_export([SmsRow("+33612345678", "Offre", "m")], tmp_path / "s.csv", "STOP au 36111")
    assert "Offre STOP au 36111" in (tmp_path / "s.csv").read_text()


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([SmsRow("+33612345678", "x" * 150, "long")], "SMS long is 173 characters"),
        ([SmsRow("+33612345678", "ok", "a"), SmsRow("+33612345679", "ok", "a")], "repeated"),
        ([SmsRow("call me", "ok", "b")], "phone"),
        ([SmsRow("+33612345678", " ", "c")], "no text"),
    ],
)
def test_a_bad_row_refuses_the_whole_export_and_keeps_the_old_file(tmp_path, rows, match):
    path = tmp_path / "sms.csv"
    path.write_text("previous export\n")
    with pytest.raises(SmsExportError, match=match):
        write_sms_export([SmsRow("+33600000000", "first", "z"), *rows], path)
    assert path.read_text() == "previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["sms.csv"]
