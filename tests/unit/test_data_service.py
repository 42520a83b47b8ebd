"""The data use cases refuse with the kind of error their doors map (page status, exit code);
an upload's check and its scoring are jobs of the one launcher, run by the real worker."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from configs.schema import load_config
from configs.settings import Settings
from flows.cli_common import exit_code_of
from tasks.adapters import db, upload_store
from tasks.core.errors import (
    ConfigError,
    ConflictError,
    DataSourceError,
    InvalidInputError,
    NotFoundError,
    TooLargeError,
    UnavailableError,
)
from tasks.i18n import translate_error
from tasks.services import data, jobs, models
from tasks.services.context import Context
from tasks.services.jobs.worker import Worker

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "telco.yaml"


def _context(settings: Settings) -> Context:
    ctx = Context(settings)
    db.ensure_schema(ctx.engine, embedded=True)
    return ctx


@pytest.fixture
def ctx(tmp_path) -> Context:
    return _context(Settings(state_dir=tmp_path, training_source="customers.csv"))


def _upload(ctx: Context, name: str = "march.csv", content: bytes = b"a,b\n1,2\n") -> str:
    return data.accept_upload(ctx, data.NewUpload(name, io.BytesIO(content)), "ana").upload_id


def _work(ctx: Context) -> int:
    """Run the jobs waiting now with the real worker; how many ran."""
    worker, ran = Worker(ctx, load_config(CONFIG)), 0
    while worker.run_once():
        ran += 1
    return ran


def test_an_upload_of_another_kind_or_none_is_invalid_input_and_nothing_is_kept(ctx):
    with pytest.raises(InvalidInputError, match="upload a CSV or Parquet file, not 'notes\\.txt'"):
        data.accept_upload(ctx, data.NewUpload("notes.txt", io.BytesIO(b"x")), "ana")
    with pytest.raises(InvalidInputError, match="choose a CSV or Parquet file"):
        data.accept_upload(ctx, data.NewUpload("", None), "ana")
    assert not upload_store.folder_of(ctx.settings).exists()
    assert jobs.latest_job(ctx, jobs.upload_subject("0" * 32)) is None


def test_an_accepted_upload_is_kept_whole_and_its_check_queued(ctx):
    accepted = data.accept_upload(ctx, data.NewUpload("March.CSV", io.BytesIO(b"a\n1\n")), "ana")
    assert accepted.backend == "jobs" and accepted.name == "March.CSV"
    kept = upload_store.data_file(ctx.settings, accepted.upload_id)
    assert kept is not None and kept.suffix == ".csv" and kept.read_bytes() == b"a\n1\n"
    job = jobs.latest_job(ctx, jobs.upload_subject(accepted.upload_id))
    assert (job["kind"], job["state"], job["created_by"]) == ("check-upload", "queued", "ana")
    assert job["payload"] == {"upload_id": accepted.upload_id, "name": "March.CSV"}
    status = data.upload_status(ctx, accepted.upload_id)
    assert (status.state, status.name, status.active) == ("checking", "March.CSV", True)
    assert _work(ctx) == 1
    status = data.upload_status(ctx, accepted.upload_id)
    assert status.state == "checked" and "customerID" in status.verdict.structural


def test_an_upload_past_a_limit_is_refused_deleted_and_says_why_in_each_language(tmp_path):
    ctx = _context(Settings(state_dir=tmp_path, upload_max_rows=2))
    upload_id = _upload(ctx, content=b"a\n1\n2\n3\n")
    assert _work(ctx) == 1
    job = jobs.latest_job(ctx, jobs.upload_subject(upload_id))
    assert job["state"] == "failed" and "RETAINAI_UPLOAD_MAX_ROWS" in job["error"]
    status = data.upload_status(ctx, upload_id)
    assert status.state == "refused" and isinstance(status.refusal, TooLargeError)
    assert str(status.refusal).startswith("the file has at least 3 rows; a file may have at most 2")
    assert translate_error(status.refusal, "fr").startswith("le fichier a au moins 3 lignes")
    assert upload_store.data_file(ctx.settings, upload_id) is None  # deleted
    assert data.upload_status(ctx, upload_id).refusal.template == status.refusal.template


def test_a_check_that_stopped_without_a_verdict_refuses_the_upload(ctx):
    upload_id = _upload(ctx)
    assert jobs.stop(ctx, jobs.upload_subject(upload_id), jobs.CHECK_UPLOAD) == "cancelled"
    status = data.upload_status(ctx, upload_id)
    assert status.state == "refused" and isinstance(status.refusal, UnavailableError)
    assert "could not be checked" in str(status.refusal)
    assert upload_store.data_file(ctx.settings, upload_id) is None
    with pytest.raises(NotFoundError, match="no such upload"):
        data.upload_status(ctx, "f" * 32)


def _score(upload_id: str, as_of: str | None) -> data.ScoreUpload:
    return data.ScoreUpload(upload_id, as_of, CONFIG, "telco", "ana")


def test_scoring_an_upload_names_what_is_wrong_and_waits_for_the_tables_run(ctx):
    with pytest.raises(NotFoundError, match="no such upload"):
        data.score_upload(ctx, _score("a" * 32, None))
    upload_id = _upload(ctx)
    with pytest.raises(InvalidInputError, match="is not a date"):
        data.score_upload(ctx, _score(upload_id, "1st of May"))
    training = models.start_training(ctx, models.StartTraining(CONFIG, "telco", "boss"))
    assert training.backend == "jobs"
    with pytest.raises(ConflictError, match="table telco is busy training a model"):
        data.score_upload(ctx, _score(upload_id, "2026-12-01"))
    assert jobs.stop(ctx, jobs.table_subject("telco"), jobs.TRAIN_MODEL) == "cancelled"
    started = data.score_upload(ctx, _score(upload_id, "2026-12-01"))
    job = jobs.latest_job(ctx, jobs.table_subject("telco"))
    assert started == data.ScoringStarted(str(job["id"]), "jobs", date(2026, 12, 1))
    path = upload_store.data_file(ctx.settings, upload_id)
    assert job["payload"] == {"config_path": str(CONFIG), "data": str(path), "as_of": "2026-12-01"}
    assert data.score_upload(ctx, _score(upload_id, "2026-12-01")) == started  # the same run
    work = models.table_work(ctx, "telco")
    assert (work.kind, work.state, work.as_of, work.active) == (
        "score-upload",
        "queued",
        "2026-12-01",
        True,
    )


def test_no_quarantined_rows_is_not_found(ctx):
    with pytest.raises(NotFoundError, match="no quarantined rows"):
        data.quarantine_download(ctx, _upload(ctx))


def test_sources_refuse_secrets_as_input_and_a_missing_source_as_configuration(ctx):
    with pytest.raises(InvalidInputError, match="holds a password"):
        data.check_parameter("postgresql://user:pw@db/crm", "--data")
    with pytest.raises(ConfigError, match="RETAINAI_TRAINING_SOURCE"):
        data.source_of(Settings(state_dir=ctx.settings.state_dir), "training", None, None, None)


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
