"""What preflight checks, decided from the settings alone, and the settings its problems name."""

from __future__ import annotations

from configs.settings import Settings
from tasks.core.preflight import Check, plan, problem
from tasks.core.stack_plan import needed_buckets, needed_databases


def _settings(tmp_path, **values) -> Settings:
    return Settings(state_dir=tmp_path, **values)


def test_unset_sources_are_problems_and_nothing_else_is_probed(tmp_path):
    checks, problems = plan(_settings(tmp_path))
    assert checks == []
    assert [p.line() for p in problems] == [
        "RETAINAI_TRAINING_SOURCE: not set: train-weekly has no training data",
        "RETAINAI_SCORING_SOURCE: not set: score-daily has no scoring data",
    ]


def test_each_configured_target_is_checked_under_its_setting(tmp_path):
    settings = _settings(
        tmp_path,
        training_source="postgresql://u:secret@db/crm",
        scoring_source="postgresql://u:secret@db/crm",
        scoring_table="customers",
        database_url="postgresql+psycopg://u:secret@db/retainai",
        mlflow_artifacts="s3://ml-artifacts/mlflow",
        reports_url="s3://ml-artifacts/reports",
        llm_api_key="sk-local",
        smtp_host="mail.internal",
        smtp_security="ssl",
    )
    checks, problems = plan(settings)
    assert problems == []
    assert [(c.kind, c.setting, c.label) for c in checks] == [
        ("source", "RETAINAI_TRAINING_SOURCE", "training source postgresql://***@db/crm"),
        (
            "source",
            "RETAINAI_SCORING_SOURCE",
            "scoring source postgresql://***@db/crm (table customers)",
        ),
        ("database", "RETAINAI_DATABASE_URL", "database postgresql+psycopg://***@db/retainai"),
        ("bucket", "RETAINAI_MLFLOW_ARTIFACTS", "S3 bucket ml-artifacts"),  # one bucket, once
        ("llm", "RETAINAI_LLM_BASE_URL", "LLM API https://api.openai.com/v1"),
        ("smtp", "RETAINAI_SMTP_HOST", "SMTP server mail.internal:465"),
    ]
    assert checks[1].table == "customers"
    assert all("secret" not in repr(c) for c in checks)  # the target is kept out of repr


def test_the_stack_needs_every_bucket_and_its_three_databases(tmp_path):
    settings = _settings(
        tmp_path,
        database_url="postgresql+psycopg://u:pw@db:6432/retainai?sslmode=require",
        mlflow_artifacts="s3://ml-artifacts/mlflow",
        reports_url="s3://retainai-reports/prefix",
    )
    assert needed_buckets(settings) == {
        "ml-artifacts": "RETAINAI_MLFLOW_ARTIFACTS",
        "retainai-reports": "RETAINAI_REPORTS_URL",
    }
    assert needed_databases(settings) == [
        "postgresql://u:pw@db:6432/retainai?sslmode=require",
        "postgresql://u:pw@db:6432/retainai_prefect?sslmode=require",
        "postgresql://u:pw@db:6432/retainai_mlflow?sslmode=require",
    ]
    assert needed_databases(_settings(tmp_path)) == []  # SQLite: files in the state folder


def test_a_problem_goes_under_the_setting_its_reason_names():
    check = Check("smtp", "RETAINAI_SMTP_HOST", "SMTP server h:587", "h:587")
    refused = problem(check, "the SMTP server h:587 refused the login of RETAINAI_SMTP_USER (535)")
    assert refused.setting == "RETAINAI_SMTP_USER"
    silent = problem(check, "cannot reach the SMTP server h:587: timed out")
    assert silent.line() == "RETAINAI_SMTP_HOST: cannot reach the SMTP server h:587: timed out"
    endpoint = problem(check, "the S3 bucket b: x does not answer (RETAINAI_S3_ENDPOINT_URL)")
    assert endpoint.line() == "RETAINAI_S3_ENDPOINT_URL: the S3 bucket b: x does not answer"
