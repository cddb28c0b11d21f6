"""Settings: every one is documented in the README, read from the environment and TOML."""

from __future__ import annotations

from pathlib import Path

import pytest

from avgdesk.models.errors import ConfigurationError
from avgdesk.triage.settings import Settings, field_docs, load_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_has_a_docstring_and_a_readme_row() -> None:
    readme = README.read_text(encoding="utf-8")
    docs = field_docs()
    for name in Settings.model_fields:
        assert docs.get(name), f"{name} has no docstring"
        assert f"`AVGDESK_{name.upper()}`" in readme, f"AVGDESK_{name.upper()} missing from the README table"


def test_environment_wins_over_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "a.toml"
    cfg.write_text('imap_folder = "Privacy"\nimap_poll_interval_s = 5\nform_senders = ["form@example.nl"]\n')
    monkeypatch.setenv("AVGDESK_IMAP_POLL_INTERVAL_S", "7")
    s = load_settings(cfg)
    assert (s.imap_folder, s.imap_poll_interval_s, s.form_senders) == ("Privacy", 7.0, ["form@example.nl"])


def test_unknown_keys_and_bad_values_are_configuration_errors(tmp_path: Path) -> None:
    cfg = tmp_path / "b.toml"
    cfg.write_text('imap_fodler = "typo"\n')
    with pytest.raises(ConfigurationError, match="imap_fodler"):
        load_settings(cfg)
    with pytest.raises(ConfigurationError, match="imap_port"):
        load_settings(None, imap_port="twee")


def test_defaults_derive_sqlite_in_the_data_dir_and_imap_ports(tmp_path: Path) -> None:
    s = load_settings(None, data_dir=tmp_path)
    assert s.effective_database_url == f"sqlite:///{tmp_path / 'avgdesk.sqlite3'}"
    assert s.effective_imap_port == 993 and not s.imap_configured
    assert load_settings(None, imap_security="starttls").effective_imap_port == 143
