"""The report store against a local reports folder and against an S3 server (moto)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from configs.settings import Settings
from tasks.adapters import report_store
from tasks.core.errors import InvalidInputError

BUCKET = "retainai-reports-test"


def _report_folder(settings: Settings):
    folder = settings.reports_dir / "scoring" / "telco" / "2026-11-29" / "run-1"
    (folder / "curves").mkdir(parents=True)
    (folder / "kpis.json").write_text('{"customers": 3}\n')
    (folder / "curves" / "survival.csv").write_text("month,share\n1,0.9\n")
    (folder / ".kpis.json.abc.tmp").write_text("half written")
    return folder


def test_local_reports_stay_in_the_reports_folder(tmp_path):
    settings = Settings(state_dir=tmp_path / "state")
    folder = _report_folder(settings)
    uri = report_store.publish(settings, folder / "kpis.json")
    assert uri == (folder / "kpis.json").resolve().as_uri()
    assert report_store.publish(settings, folder) == folder.resolve().as_uri()
    assert report_store.fetch(settings, uri).read_text() == '{"customers": 3}\n'

    outside = tmp_path / "secrets.html"
    outside.write_text("not a report")
    escaping = settings.reports_dir.as_uri() + "/../../secrets.html"
    for wrong in (outside.as_uri(), (folder / "missing.html").as_uri(), "/etc/passwd"):
        assert report_store.fetch(settings, wrong) is None, wrong
    with pytest.raises(InvalidInputError, match="is not a file name inside its folder"):
        report_store.fetch(settings, escaping)
    with pytest.raises(ValueError, match="is not inside the reports folder"):
        report_store.publish(settings, outside)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        report_store.publish(settings, folder / "missing.html")


@pytest.fixture
def s3_settings(s3_endpoint_url, monkeypatch, tmp_path) -> Settings:
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("s3", endpoint_url=s3_endpoint_url)
    client.create_bucket(Bucket=BUCKET)
    yield Settings(
        state_dir=tmp_path / "state",
        s3_endpoint_url=s3_endpoint_url,
        reports_url=f"s3://{BUCKET}/prod/",
    )
    for found in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=found["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(settings: Settings) -> set[str]:
    from tasks.adapters import s3

    listed = s3.client(settings).list_objects_v2(Bucket=BUCKET)
    return {found["Key"] for found in listed.get("Contents", [])}


def test_s3_reports_are_copied_and_read_back(s3_settings):
    folder = _report_folder(s3_settings)
    uri = report_store.publish(s3_settings, folder)
    assert uri == f"s3://{BUCKET}/prod/scoring/telco/2026-11-29/run-1"
    assert _keys(s3_settings) == {
        "prod/scoring/telco/2026-11-29/run-1/kpis.json",
        "prod/scoring/telco/2026-11-29/run-1/curves/survival.csv",
    }
    report = folder / "drift_report.html"
    report.write_text("<html>first</html>")
    report_uri = report_store.publish(s3_settings, report)
    report.unlink()  # the reader has only the store
    fetched = report_store.fetch(s3_settings, report_uri)
    assert fetched.read_text() == "<html>first</html>"
    assert s3_settings.reports_dir not in fetched.parents

    report.write_text("<html>second</html>")  # a rerun of the same period replaces it
    assert report_store.publish(s3_settings, report) == report_uri
    assert report_store.fetch(s3_settings, report_uri).read_text() == "<html>second</html>"
    assert report_store.publish(s3_settings, report) == report_uri  # twice is harmless
    assert len(_keys(s3_settings)) == 3


def test_s3_reads_only_reports_of_the_store(s3_settings):
    prefix = f"s3://{BUCKET}/prod"
    wrong_uris = [
        f"{prefix}/scoring/missing.html",
        f"s3://{BUCKET}/other/report.html",
        "s3://elsewhere/prod/a.html",
        (s3_settings.reports_dir / "a.html").as_uri(),
    ]
    for wrong in wrong_uris:
        assert report_store.fetch(s3_settings, wrong) is None, wrong
    for leaving in (f"{prefix}/../other/report.html", f"{prefix}/"):
        with pytest.raises(InvalidInputError, match="is not a file name inside its folder"):
            report_store.fetch(s3_settings, leaving)


@pytest.mark.parametrize("url", ["https://bucket/prefix", "s3://", "s3://Upper/prefix", "bucket"])
def test_a_reports_url_must_be_an_s3_url(url, tmp_path):
    with pytest.raises(ValidationError, match="reports_url"):
        Settings(state_dir=tmp_path, reports_url=url)


def test_the_model_page_reads_the_drift_report_from_s3(s3_settings):
    from tasks.services.context import Context
    from tasks.services.monitoring import drift_report_file

    html = s3_settings.reports_dir / "monitoring" / "2026-11-29" / "drift_report.html"
    html.parent.mkdir(parents=True)
    html.write_text("<html>drift of 2026-11-29</html>")
    uri = report_store.publish(s3_settings, html)
    html.unlink()  # the dashboard may run on another machine: it reads the store
    ctx = Context(s3_settings)
    assert drift_report_file(ctx, uri).read_text() == "<html>drift of 2026-11-29</html>"
    assert drift_report_file(ctx, uri.removesuffix(".html") + ".json") is None


def test_the_survival_page_reads_the_committed_runs_curves_from_s3(s3_settings):
    import json
    from datetime import UTC, date, datetime
    from pathlib import Path

    import sqlalchemy as sa

    from configs.schema import load_config
    from tasks.adapters import db
    from tasks.adapters.report_folders import POINTER, reports_folder
    from tasks.adapters.tables import kpi_snapshots
    from tasks.services.context import Context
    from tasks.services.models import survival_overview

    config = load_config(Path(__file__).resolve().parents[2] / "configs" / "telco.yaml")
    engine = Context(s3_settings).engine  # the database the page reads
    db.upgrade(engine)
    as_of = date(2026, 11, 29)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(kpi_snapshots).values(
                dataset="telco",
                as_of=as_of,
                model_version="3",
                kpis={},
                run_id="run-2",
                created_at=datetime.now(UTC),
            )
        )
    period = reports_folder(s3_settings, "telco", as_of)
    for run, share in (("run-1", 0.5), ("run-2", 0.9)):  # run-1 was replaced by a rerun
        curves = period / run / "survival"
        curves.mkdir(parents=True)
        for name in (config.dataset.roles.segment, "risk_segment"):
            (curves / f"km_by_{name}.csv").write_text(f"group,month,share\na,1,{share}\n")
        (curves / "median_survival_months.json").write_text(json.dumps({"risk_segment": {}}))
        report_store.publish(s3_settings, period / run)
    (period / POINTER).write_text(json.dumps({"folder": "run-2"}))
    report_store.publish(s3_settings, period / POINTER)
    import shutil

    shutil.rmtree(s3_settings.reports_dir)  # the dashboard may run on another machine

    found = survival_overview(Context(s3_settings), config)
    assert found["as_of"] == as_of and "missing" not in found, found
    assert set(found["curves"]) == {config.dataset.roles.segment, "risk_segment"}
    assert found["curves"]["risk_segment"] == [{"group": "a", "month": 1, "share": 0.9}]
    assert found["medians"] == {"risk_segment": {}}

    local = s3_settings.model_copy(update={"reports_url": None})  # a store with nothing kept
    assert survival_overview(Context(local), config)["missing"].startswith("no curves yet")
