"""``avgdesk deadline`` reads its two settings without pydantic; they must agree with Settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from avgdesk.models.errors import ConfigurationError
from avgdesk.triage.cli.context import DeadlineSettings, read_deadline_settings
from avgdesk.triage.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.upper().startswith("AVGDESK_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AVGDESK_DATA_DIR", str(tmp_path / "data"))


def test_defaults_are_the_settings_defaults() -> None:
    for name in ("timezone", "policy_days"):
        assert getattr(DeadlineSettings(), name) == Settings.model_fields[name].default


CASES: list[tuple[str, dict[str, str]]] = [
    ("", {}),
    ('timezone = "Europe/London"\npolicy_days = 20\n', {}),
    ('timezone = "Europe/London"\npolicy_days = 20.0\n', {"AVGDESK_TIMEZONE": "America/New_York"}),
    ("policy_days = 20\n", {"AVGDESK_POLICY_DAYS": " 25 "}),
    ("", {"avgdesk_timezone": "Asia/Tokyo", "AVGDESK_POLICY_DAYS": "+14"}),
    ("", {"AVGDESK_POLICY_DAYS": "30.0"}),
    ("", {"AVGDESK_POLICY_DAYS": "3_0"}),
]


@pytest.mark.parametrize(("toml", "env"), CASES)
def test_agrees_with_settings(
    toml: str, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "avgdesk.toml"
    config.write_text(toml)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    full = load_settings(config)
    light = read_deadline_settings(config)
    assert (light.timezone, light.policy_days, light.tz) == (full.timezone, full.policy_days, full.tz)


BAD: list[tuple[str, dict[str, str], str]] = [
    ("", {"AVGDESK_TIMEZONE": "Mars/Olympus"}, "unknown time zone"),
    ("", {"AVGDESK_TIMEZONE": ""}, "unknown time zone"),
    ("timezone = 1\n", {}, "timezone"),
    ("", {"AVGDESK_POLICY_DAYS": "thirty"}, "policy_days"),
    ("", {"AVGDESK_POLICY_DAYS": "3e1"}, "policy_days"),
    ("policy_days = 30.5\n", {}, "policy_days"),
    ("timezone = \n", {}, "not valid TOML"),
]


@pytest.mark.parametrize(("toml", "env", "message"), BAD)
def test_refuses_what_settings_refuses(
    toml: str, env: dict[str, str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "avgdesk.toml"
    config.write_text(toml)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigurationError):
        load_settings(config)
    with pytest.raises(ConfigurationError, match=message):
        read_deadline_settings(config)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="config file not found"):
        read_deadline_settings(tmp_path / "absent.toml")
