"""The shared vocabulary: one definition per name, and a Dutch name for every letter kind."""

from __future__ import annotations

import subprocess
import sys

from avgdesk.models import vocabulary
from avgdesk.models.vocabulary import LETTER_KIND_NL, DraftKind


def test_every_letter_kind_has_its_dutch_name() -> None:
    assert set(LETTER_KIND_NL) == {kind.value for kind in DraftKind}


def test_rendering_names_the_vocabularys_draft_kind() -> None:
    """Existing importers of ``replies.rendering.DraftKind`` get the one enum, not a copy
    (two StrEnums with equal values would compare equal but differ in ``is`` and isinstance)."""
    from avgdesk.replies import rendering

    assert rendering.DraftKind is vocabulary.DraftKind


def test_the_vocabulary_loads_no_heavy_library() -> None:
    """The command line imports the vocabulary for its option types (``drafts create --kind``)."""
    code = (
        "import sys\n"
        "import avgdesk.models.vocabulary\n"
        "print(sorted(m for m in ('jinja2', 'sqlalchemy', 'sqlmodel', 'pydantic') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
