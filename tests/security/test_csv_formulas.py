"""Every CSV the product writes opens in a spreadsheet without running a cell as a formula:
text starting with = + - @, a tab or a carriage return is escaped with ', numbers stay."""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from serving_helpers import (
    REPO,
    add_users,
    page_login,
    serving_settings,
    upload_checked,
    with_serving,
)

from configs.settings import Settings
from data.generate import generate_customers
from tasks.adapters.sms_export import SmsRow, write_sms_export
from tasks.adapters.storage import write_frame_atomic
from tasks.core.csv_cells import safe_cell

FORMULA = '=HYPERLINK("http://evil.example","open")'


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (FORMULA, "'" + FORMULA),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-3.5", "-3.5"),
        ("+4915112345678", "+4915112345678"),
        ("1e-3", "1e-3"),
        ("Month-to-month", "Month-to-month"),
        (-3.5, -3.5),
        (None, None),
    ],
)
def test_a_cell_is_escaped_only_when_it_is_formula_text(cell, written):
    assert safe_cell(cell) == written


def test_written_frames_escape_text_cells_and_names_but_keep_numbers(tmp_path):
    frame = pd.DataFrame(
        {"id": ["A-1", FORMULA], "=name": ["@x", "ok"], "value": [-3.5, 2.0]}
    ).astype({"=name": "category"})
    path = write_frame_atomic(frame, tmp_path / "out.csv")
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows == [["id", "'=name", "value"], ["A-1", "'@x", "-3.5"], ["'" + FORMULA, "ok", "2.0"]]
    assert frame.loc[1, "id"] == FORMULA  # the caller's frame is left as it was


def test_the_sms_export_escapes_texts_and_keeps_phone_numbers(tmp_path):
    rows = [SmsRow("+49 151 1234 5678", "=1+1 stay with us", "m-1")]
    path = write_sms_export(rows, tmp_path / "sms.csv", opt_out="STOP to end")
    written = list(csv.reader(io.StringIO(path.read_text(), newline="")))
    assert written[1][0] == "+4915112345678"
    assert written[1][1].startswith("'=1+1 stay with us")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from serving.app import create_app

    settings = Settings(state_dir=tmp_path_factory.mktemp("csv"))
    app = create_app(with_serving(settings, serving_settings()), REPO / "configs" / "telco.yaml")
    with TestClient(app, base_url="https://testserver") as client:
        add_users(app.state.serving.context, {"up@example.test": "analyst"})
        yield client


def test_the_quarantine_download_escapes_formulas(site):
    token = page_login(site, "up@example.test", "/dashboard/data")
    customers = generate_customers(80, seed=3)
    customers.loc[2, "customerID"] = FORMULA
    customers.loc[2, "Contract"] = "@SUM(1+1)"  # not a contract: quarantined
    customers.loc[5, "tenure"] = -5  # below zero: quarantined, and a number
    page = upload_checked(site, token, "march.csv", customers.to_csv(index=False).encode()).text
    link = re.search(r'href="(/dashboard/data/[0-9a-f]+/quarantine\.csv)"', page).group(1)
    rows = list(csv.DictReader(io.StringIO(site.get(link).text)))
    by_id = {row["customerID"]: row for row in rows}
    assert by_id["'" + FORMULA]["Contract"] == "'@SUM(1+1)"
    assert any(row["tenure"] == "-5" for row in rows)
    assert not any(value.startswith(("=", "@")) for row in rows for value in row.values())
