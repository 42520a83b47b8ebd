from pathlib import Path

import pytest
import yaml

from configs.schema import load_config
from configs.settings import Settings
from tasks.core.errors import ConfigError

TELCO = Path(__file__).resolve().parents[2] / "configs" / "telco.yaml"


def _write(tmp_path, mutate):
    raw = yaml.safe_load(TELCO.read_text())
    mutate(raw)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def test_telco_config_is_valid():
    config = load_config(TELCO)
    assert config.dataset.id_column == "customerID"
    assert config.dataset.categorical["SeniorCitizen"] == ["0", "1"]
    assert config.dataset.numeric["TotalCharges"].blank.when_column == "tenure"
    assert len(config.digest()) == 16


def test_digest_changes_with_the_config(tmp_path):
    path = _write(tmp_path, lambda raw: raw["model"].update(seed=7))
    assert load_config(path).digest() != load_config(TELCO).digest()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda raw: raw.update(surprise=1), "surprise: Extra inputs are not permitted"),
        (lambda raw: raw["model"].update(cv_folds=1), "model.cv_folds"),
        (lambda raw: raw["dataset"]["roles"].update(segment="tenure"), "roles.segment"),
        (lambda raw: raw["dataset"]["roles"].update(value="Contract"), "roles.value"),
        (lambda raw: raw["dataset"].update(roles={}), "survival needs dataset.roles.duration"),
        (lambda raw: raw["segments"].update(medium=0.9), "segments.medium must be below"),
        (
            lambda raw: raw["features"].append({"kind": "log1p", "name": "x", "column": "nope"}),
            "unknown column 'nope'",
        ),
        (lambda raw: raw["features"].append({"kind": "teleport", "name": "x"}), "features.6"),
        (lambda raw: raw["dataset"]["categorical"].update(Contract=[]), "lists no allowed values"),
        (lambda raw: raw["model"]["families"].update(xgboost={"grid": {}}), "model.families"),
    ],
)
def test_bad_configs_say_where(tmp_path, mutate, message):
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path, mutate))


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_settings_defaults_and_production_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("RETAINAI_STATE_DIR", str(tmp_path))
    settings = Settings()
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'retainai.db'}"
    assert settings.resolved_tracking_uri.startswith("sqlite:///")
    monkeypatch.setenv("RETAINAI_ENVIRONMENT", "production")
    monkeypatch.setenv("RETAINAI_SECRET_KEY", "changeme")
    with pytest.raises(ValueError, match="placeholder"):
        Settings()
