"""Uploads within limits: a file past the row, column or cell limit is refused while it is read
(a Parquet file from its footer, before any row group; a CSV as it streams), the refusal names
the limit in the reader's language, the check runs in the jobs worker (never the web
process), and a refused, broken or half-written upload leaves nothing behind."""

from __future__ import annotations

import io
import re

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from serving_helpers import (
    add_users,
    idle_jobs,
    page_login,
    run_jobs,
    serving_settings,
    with_serving,
)

from configs.settings import Settings
from data.generate import generate_customers
from serving.app import create_app
from tasks.adapters import jobs as queue
from tasks.adapters import upload_store as uploads
from tasks.adapters.source_limits import ReadLimits
from tasks.adapters.sources import read_source
from tasks.core.errors import TooLargeError
from tasks.services.jobs.worker import MAX_ATTEMPTS

LIMITS = ReadLimits(rows=1_000, columns=50, cells=20_000)
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


def _constant_parquet(path, rows: int, columns: int = 1) -> None:
    """`rows` rows of one constant per column: a few KB on disk, millions of values."""
    values = pa.array([7] * rows, pa.int64())
    pq.write_table(pa.table({f"c{i}": values for i in range(columns)}), path)


def _spoil_row_groups(path) -> None:
    """Overwrite every byte between the magic number and the footer: only the footer reads."""
    data = bytearray(path.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little")
    data[4 : len(data) - footer - 8] = bytes(len(data) - footer - 12)
    path.write_bytes(bytes(data))


def test_a_parquet_past_the_row_limit_is_refused_from_its_footer(tmp_path):
    path = tmp_path / "bomb.parquet"
    _constant_parquet(path, 3_000_000)
    assert path.stat().st_size < 1_000_000
    _spoil_row_groups(path)
    with pytest.raises((OSError, ValueError)):  # reading a row group fails: the check must not
        pd.read_parquet(path)
    with pytest.raises(TooLargeError, match=r"3,000,000 rows.*1,000 \(RETAINAI_UPLOAD_MAX_ROWS"):
        read_source(str(path), settings=Settings(state_dir=tmp_path), limits=LIMITS)


@pytest.mark.parametrize(
    "rows, columns, limit",
    [(10, 60, "RETAINAI_UPLOAD_MAX_COLUMNS"), (800, 40, "RETAINAI_UPLOAD_MAX_CELLS")],
)
def test_a_parquet_past_the_column_or_cell_limit_is_refused(tmp_path, rows, columns, limit):
    path = tmp_path / "wide.parquet"
    _constant_parquet(path, rows, columns)
    _spoil_row_groups(path)
    with pytest.raises(TooLargeError, match=limit):
        read_source(str(path), settings=Settings(state_dir=tmp_path), limits=LIMITS)


def test_a_csv_is_refused_at_the_row_limit_before_the_rest_is_read(tmp_path):
    path = tmp_path / "long.csv"
    good = "".join(f"{i},x\n" for i in range(1_200))
    path.write_text("id,name\n" + good + "1,2,3,4,5\n")  # a broken line past the limit
    with pytest.raises(TooLargeError, match=r"at least 1,001 rows"):
        read_source(str(path), settings=Settings(state_dir=tmp_path), limits=LIMITS)


def test_a_csv_header_past_the_column_limit_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(100_000)) + "\n\x00broken")
    with pytest.raises(
        TooLargeError,
        match=r"at least [0-9,]+ columns; .* at most 50 \(RETAINAI_UPLOAD_MAX_COLUMNS",
    ):
        read_source(str(path), settings=Settings(state_dir=tmp_path), limits=LIMITS)


def test_a_csv_within_the_limits_reads_as_without_them(tmp_path):
    path = tmp_path / "fine.csv"
    frame = generate_customers(250, seed=2)
    frame.to_csv(path, index=False)
    settings = Settings(state_dir=tmp_path)
    limited = read_source(str(path), settings=settings, limits=ReadLimits(300, 50, 20_000))
    pd.testing.assert_frame_equal(limited, read_source(str(path), settings=settings))


class BreakingStream(io.RawIOBase):
    """An upload whose sender goes away after 3 MB."""

    def __init__(self) -> None:
        self.sent = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.sent >= 3 * 1024 * 1024:
            raise OSError("the client went away")
        buffer[:] = b"1" * len(buffer)
        self.sent += len(buffer)
        return len(buffer)


def test_a_half_written_upload_leaves_nothing(tmp_path):
    settings = Settings(state_dir=tmp_path)
    with pytest.raises(OSError, match="went away"):
        uploads.save_upload(settings, "march.csv", BreakingStream())
    assert list(uploads.folder_of(settings).iterdir()) == []


@pytest.fixture(scope="module")
def site(champion):
    settings = champion.settings.model_copy(update={"upload_max_rows": 1_000})
    app = create_app(with_serving(settings, serving_settings(poll_seconds=0)), champion.config)
    with TestClient(app, base_url="https://testserver") as client:
        idle_jobs(app.state.serving.engine)
        add_users(app.state.serving.context, {"limits@example.test": "analyst"})
        token = page_login(client, "limits@example.test", "/dashboard/data")
        yield client, app.state.serving, token


def _stored(state) -> set[str]:
    folder = uploads.folder_of(state.settings)
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def _sent(client, token, name: str, content: bytes) -> str:
    """Upload a file; its id (the page that follows its check names it)."""
    page = client.post(
        "/dashboard/data", data={"csrf_token": token}, files={"file": (name, content)}
    )
    assert page.status_code == 200 and "Checking the file" in page.text
    return re.search(r"upload=([0-9a-f]{32})", str(page.url)).group(1)


def test_an_upload_past_the_limit_is_refused_by_name_and_deleted(site, tmp_path):
    client, state, token = site
    path = tmp_path / "bomb.parquet"
    _constant_parquet(path, 2_000_000)
    _spoil_row_groups(path)  # whoever reads a row group fails: only the footer may be read
    before = _stored(state)
    upload_id = _sent(client, token, "bomb.parquet", path.read_bytes())
    assert run_jobs(state) == 1  # the jobs worker checks it, never the web process
    ended = client.get(f"/dashboard/data/uploads/{upload_id}/check?watching=1")
    assert ended.headers["hx-refresh"] == "true"
    page = client.get(f"/dashboard/data?upload={upload_id}")
    assert page.status_code == 422
    assert "2,000,000 rows" in page.text and "RETAINAI_UPLOAD_MAX_ROWS" in page.text
    assert page.text.count('class="notice error"') == 1  # one clear message
    french = client.get(f"/dashboard/data?upload={upload_id}", headers=FRENCH).text
    assert (
        "le fichier a 2\u202f000\u202f000 lignes" in french and "RETAINAI_UPLOAD_MAX_ROWS" in french
    )
    assert _stored(state) == before  # nothing of it is kept
    assert "bomb.parquet" not in client.get("/dashboard/data").text  # not in recent uploads


def test_a_check_whose_worker_keeps_dying_refuses_the_upload_and_spares_the_server(site):
    client, state, token = site
    before = _stored(state)
    upload_id = _sent(client, token, "march.csv", b"a,b\n1,2\n")
    for _ in range(MAX_ATTEMPTS):  # taken, then its worker dies: its lease runs out at once
        assert queue.claim(state.engine, "dying", 0.0, MAX_ATTEMPTS)["kind"] == "check-upload"
    assert queue.claim(state.engine, "next", 60.0, MAX_ATTEMPTS) is None  # failed, not retried
    page = client.get(f"/dashboard/data?upload={upload_id}")
    assert page.status_code == 503 and "could not be checked" in page.text
    assert _stored(state) == before  # the upload went with its check
    assert client.get("/health").status_code == 200
