"""Every module of the product has its line in the README's module map (and none is stale)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("models", "mailbox", "classifiers", "replies", "triage", "web")


def _modules() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            rel = path.relative_to(REPO).as_posix()
            if path.name != "__init__.py" and "migrations/versions" not in rel:
                found.add(rel)
    return found


def _listed() -> set[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("<!-- module-map:start -->") : readme.index("<!-- module-map:end -->")]
    listed, folder = set(), ""
    for line in block.splitlines():
        if m := re.fullmatch(r"\*\*(.+)/\*\*", line.strip()):
            folder = m.group(1)
        elif m := re.match(r"- `([^`]+\.py)`", line):
            listed.add(f"{folder}/{m.group(1)}")
    return listed


def test_every_module_is_in_the_readme_map() -> None:
    missing = sorted(_modules() - _listed())
    assert not missing, f"add a line to the README's module map for: {missing}"


def test_the_map_names_no_module_that_is_gone() -> None:
    stale = sorted(_listed() - _modules())
    assert not stale, f"remove from the README's module map: {stale}"
