"""What a run's log line may show once it leaves for the Prefect API: no key, password or
token of the settings, no credential of a URL; the rest of the line as it was."""

from __future__ import annotations

from configs.settings import Settings
from tasks.adapters.run_logs import secret_values
from tasks.core.redaction import mask_text


def test_known_secrets_and_url_credentials_are_masked_and_the_rest_kept():
    text = (
        "key sk-abcdef123 sent to https://bob:hunter22@llm.example/v1?api_key=k1&model=m "
        "and postgresql://app:pw-db-77@db:5432/retain failed; 3 rows"
    )
    masked = mask_text(text, ["sk-abcdef123", "abc"])  # too short a value is no secret
    assert masked == (
        "key *** sent to https://***@llm.example/v1?api_key=***&model=*** "
        "and postgresql://***@db:5432/retain failed; 3 rows"
    )


def test_the_settings_secrets_are_their_keys_and_the_credentials_of_their_urls():
    settings = Settings(
        llm_api_key="sk-llm-0001",
        secret_key="signing-key-0002",
        smtp_password="smtp-pass-0003",
        source_token="bearer-0004",
        database_url="postgresql://app:db-pass-0005@db/retain",
        training_source="https://reader:src-pass-0006@files.example/c.csv?sig=sig-0007",
        scoring_source="/srv/data/customers.csv",  # a path: no secret, kept readable
        smtp_user="mailer",
    )
    assert set(secret_values(settings)) == {
        "sk-llm-0001",
        "signing-key-0002",
        "smtp-pass-0003",
        "bearer-0004",
        "db-pass-0005",
        "reader",
        "src-pass-0006",
        "sig-0007",
    }
