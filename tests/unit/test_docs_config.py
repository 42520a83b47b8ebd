"""The configuration page is written from the code (docs/gen_config.py): it must be current,
list every run-config key and every setting, and never show a secret's value."""

from __future__ import annotations

import importlib.util
import sys
import typing
from pathlib import Path

import pytest
from pydantic import SecretStr

from configs.schema import RunConfig
from configs.settings import Settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generator():
    spec = importlib.util.spec_from_file_location("gen_config", REPO / "docs" / "gen_config.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_config"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("gen_config", None)


def test_the_committed_page_is_what_the_code_writes(generator, tmp_path):
    generator.main(tmp_path / "configuration.md")
    written = (tmp_path / "configuration.md").read_text()
    assert written == generator.PAGE.read_text(), "the configuration page is stale: run make docs"


def _variable(prefix: str, name: str, field) -> str:
    """The environment variable of a setting: its own name where it has one (Prefect's)."""
    alias = field.validation_alias
    return (alias if isinstance(alias, str) else f"{prefix}{name}").upper()


def test_every_key_and_setting_has_a_row(generator):
    page = generator.render()
    for title, _, model in generator.model_sections(RunConfig, ""):
        heading = f"### `{title}`" if title else "### Top level"
        section = page.split(heading, 1)[1].split("\n### ", 1)[0]
        for name in model.model_fields:
            assert f"| `{name}` |" in section, f"{title}.{name} is not on the page"
    for settings in (Settings, generator.serving_settings_model()):
        prefix = settings.model_config["env_prefix"]
        for name, field in settings.model_fields.items():
            variable = _variable(prefix, name, field)
            assert f"| `{variable}` |" in page, f"{variable} is missing"


def test_secrets_show_no_value(generator):
    page = generator.render()
    secrets = [
        name
        for name, field in Settings.model_fields.items()
        if SecretStr in (field.annotation, *typing.get_args(field.annotation))
    ]
    assert {"llm_api_key", "secret_key", "smtp_password", "training_source"} <= set(secrets)
    for name in secrets:
        variable = _variable("RETAINAI_", name, Settings.model_fields[name])
        (row,) = [r for r in page.splitlines() if r.startswith(f"| `{variable}` |")]
        assert row.split(" | ")[2] == "secret", row


def test_a_description_for_no_field_fails_the_page(generator, monkeypatch):
    monkeypatch.setitem(generator.NOTES["fields"], "RETAINAI_NO_SUCH_SETTING", "gone")
    with pytest.raises(ValueError, match="RETAINAI_NO_SUCH_SETTING"):
        generator.render()


def test_a_field_without_description_fails_the_page(generator, monkeypatch):
    monkeypatch.delitem(generator.NOTES["fields"], "RETAINAI_STATE_DIR")
    with pytest.raises(ValueError, match="RETAINAI_STATE_DIR has no description"):
        generator.render()
