"""The data use cases refuse with the kind of error their doors map (page status, exit code)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from configs.settings import Settings
from flows.cli_common import exit_code_of
from tasks.adapters import upload_store
from tasks.core.errors import (
    ConcurrentRunError,
    ConfigError,
    ConflictError,
    DataSourceError,
    InvalidInputError,
    NotFoundError,
    TooLargeError,
    UnavailableError,
)
from tasks.services import data
from tasks.services.context import Context


class Checker:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def check(self, settings: Settings, upload_id: str, name: str) -> data.UploadCheck:
        self.seen.append((upload_id, name))
        return data.UploadCheck(upload_id, name, "2026-12-01T00:00", 1, 1, 0, {}, [], None)


class Launcher:
    def __init__(self, refuse: bool = False) -> None:
        self.refuse, self.started = refuse, []

    def start(self, path: Path, as_of: date, name: str | None = None) -> int:
        if self.refuse:
            raise ConcurrentRunError("training telco is still running")
        self.started.append((path, as_of, name))
        return 4242


@pytest.fixture
def ctx(tmp_path) -> Context:
    return Context(Settings(state_dir=tmp_path))


def _upload(ctx: Context, name: str = "march.csv") -> str:
    checked = data.accept_upload(ctx, data.NewUpload(name, io.BytesIO(b"a,b\n1,2\n")), Checker())
    return checked.upload_id


def test_an_upload_of_another_kind_or_none_is_invalid_input_and_nothing_is_kept(ctx):
    with pytest.raises(InvalidInputError, match="upload a CSV or Parquet file, not 'notes\\.txt'"):
        data.accept_upload(ctx, data.NewUpload("notes.txt", io.BytesIO(b"x")), Checker())
    with pytest.raises(InvalidInputError, match="choose a CSV or Parquet file"):
        data.accept_upload(ctx, data.NewUpload("", None), Checker())
    assert not upload_store.folder_of(ctx.settings).exists()


def test_an_accepted_upload_is_kept_whole_and_checked(ctx):
    checker = Checker()
    checked = data.accept_upload(ctx, data.NewUpload("March.CSV", io.BytesIO(b"a\n1\n")), checker)
    assert checker.seen == [(checked.upload_id, "March.CSV")]
    kept = upload_store.data_file(ctx.settings, checked.upload_id)
    assert kept is not None and kept.suffix == ".csv" and kept.read_bytes() == b"a\n1\n"


def test_scoring_an_upload_names_what_is_wrong(ctx):
    with pytest.raises(NotFoundError, match="no such upload"):
        data.score_upload(ctx, data.ScoreUpload("a" * 32), Launcher())
    upload_id = _upload(ctx)
    with pytest.raises(InvalidInputError, match="is not a date"):
        data.score_upload(ctx, data.ScoreUpload(upload_id, "1st of May"), Launcher())
    with pytest.raises(ConflictError, match="training telco is still running"):
        data.score_upload(ctx, data.ScoreUpload(upload_id, "2026-12-01"), Launcher(refuse=True))
    launcher = Launcher()
    started = data.score_upload(ctx, data.ScoreUpload(upload_id, "2026-12-01"), launcher)
    assert started == data.ScoringStarted(pid=4242, as_of=date(2026, 12, 1))
    assert launcher.started[0][1:] == (date(2026, 12, 1), None)  # no verdict kept: no name


def test_no_quarantined_rows_is_not_found(ctx):
    with pytest.raises(NotFoundError, match="no quarantined rows"):
        data.quarantine_download(ctx, _upload(ctx))


def test_sources_refuse_secrets_as_input_and_a_missing_source_as_configuration(ctx):
    with pytest.raises(InvalidInputError, match="holds a password"):
        data.check_parameter("postgresql://user:pw@db/crm", "--data")
    with pytest.raises(ConfigError, match="RETAINAI_TRAINING_SOURCE"):
        data.source_of(ctx.settings, "training", None, None, None)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError("x"), 3),
        (InvalidInputError("x"), 4),
        (TooLargeError("x"), 4),
        (NotFoundError("x"), 5),
        (ConflictError("x"), 6),
        (UnavailableError("x"), 8),
        (DataSourceError("x"), 1),
        (ValueError("x"), 1),
    ],
)
def test_each_kind_of_error_has_its_exit_code(error, code):
    assert exit_code_of(error) == code
