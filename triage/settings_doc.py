"""The README's settings table, generated from :class:`Settings` so the two cannot drift.

    python -m avgdesk.triage.settings_doc            # print the table
    python -m avgdesk.triage.settings_doc --write README.md

The table sits between the markers ``<!-- settings-table:start -->`` and
``<!-- settings-table:end -->``; ``tests/triage/test_settings_doc.py`` fails when the README's
copy differs from what this module prints.
"""

from __future__ import annotations

import argparse
import datetime as dt
import enum
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic_core import PydanticUndefined

from avgdesk.triage.settings import Settings, field_docs

START = "<!-- settings-table:start -->"
END = "<!-- settings-table:end -->"
# Defaults computed at run time, shown as people read them.
SHOWN_DEFAULTS = {"data_dir": "~/.local/share/avgdesk", "model_shared_dir": "~/.cache/avgdesk/model"}


def shown_default(name: str) -> str:
    if name in SHOWN_DEFAULTS:
        return SHOWN_DEFAULTS[name]
    field = Settings.model_fields[name]
    value: Any = field.default
    if value is PydanticUndefined and field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    return _text(value)


def _text(value: Any) -> str:
    if value is None or value is PydanticUndefined or value in ("", [], {}, ()):
        return ""
    if isinstance(value, SecretStr):
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    return str(value)


def markdown_table() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    docs = field_docs()
    for name in Settings.model_fields:
        # Markdown, not reStructuredText: ``x`` in a docstring is `x` in the README.
        meaning = " ".join(docs.get(name, "").split()).replace("``", "`").replace("|", "\\|")
        default = shown_default(name)
        shown = f" `{default}` " if default else " "
        rows.append(f"| `AVGDESK_{name.upper()}` |{shown}| {meaning} |")
    return "\n".join(rows) + "\n"


def readme_table(readme: str) -> str:
    """The table between the markers, as the README has it."""
    start = readme.index(START) + len(START)
    return readme[start : readme.index(END)].strip("\n") + "\n"


def write(readme_path: Path) -> None:
    text = readme_path.read_text(encoding="utf-8")
    start = text.index(START) + len(START)
    end = text.index(END)
    readme_path.write_text(text[:start] + "\n" + markdown_table() + text[end:], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description="The README's settings table, from Settings.")
    parser.add_argument("--write", type=Path, help="replace the table in this README")
    opts = parser.parse_args()
    if opts.write:
        write(opts.write)
    else:
        print(markdown_table(), end="")


if __name__ == "__main__":
    main()
