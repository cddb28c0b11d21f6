"""The README's settings table is the one Settings generates (python -m avgdesk.triage.settings_doc)."""

from __future__ import annotations

from pathlib import Path

from avgdesk.triage.settings_doc import markdown_table, readme_table, shown_default

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_table_is_generated_from_settings() -> None:
    readme = README.read_text(encoding="utf-8")
    assert readme_table(readme) == markdown_table(), (
        "README settings table is stale: run python -m avgdesk.triage.settings_doc --write README.md"
    )


def test_defaults_are_shown_as_configured() -> None:
    assert shown_default("processing_batch") == "100"
    assert shown_default("imap_security") == "ssl"
    assert shown_default("database_url") == ""
    assert shown_default("data_dir") == "~/.local/share/avgdesk"
