"""Issue 17: the access package ZIP — cover page with the Art. 15 facts in the reply's
language, CSV and JSON per system and query, the messages, staff files; portability gets
only the machine-readable files; equal input gives equal bytes."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime

from avgdesk.replies import load_profile
from avgdesk.replies.package import Extract, MessageCopy, PackageInput, build_package, package_name

PROFILE = load_profile()
AT = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
ROWS = Extract(
    "crm", "CRM", "klantgegevens", "contact", ["name", "email"], [["Jan de Vriës", "jan@example.nl"]]
)
CONTRACTS = Extract("crm", "CRM", "contracten", "customer", ["nr"], [["C-1"], ["C-2"]], truncated=True)


def _input(**changes: object) -> PackageInput:
    values: dict[str, object] = {
        "reference": "AVG-2026-0001",
        "language": "nl",
        "requester_name": "Jan",
        "created_at": AT,
        "extracts": [ROWS, CONTRACTS],
        "messages": [MessageCopy(AT, "jan@example.nl", "Inzage", "Welke gegevens hebt u?")],
        "files": [("export boekhouding.pdf", b"%PDF-1.4 x"), ("../../etc/passwd", b"x")],
        "manual_systems": ["boekhouding"],
    }
    values.update(changes)
    return PackageInput(**values)  # type: ignore[arg-type]


def test_access_package_contents() -> None:
    data = build_package(_input(), PROFILE)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == [
        "overzicht.html",
        "crm/klantgegevens.csv",
        "crm/klantgegevens.json",
        "crm/contracten.csv",
        "crm/contracten.json",
        "berichten/01-2026-03-09.txt",
        "bijlagen/export-boekhouding.pdf",
        "bijlagen/etc-passwd",  # never a path out of the folder
    ]
    cover = archive.read("overzicht.html").decode()
    assert "Uw gegevens bij NHMB software" in cover and "AVG-2026-0001" in cover
    assert "CRM — klantgegevens: 1 record, contracten: 2 records (meer dan" in cover
    assert "boekhouding — doorzocht door een medewerker" in cover
    assert "Autoriteit Persoonsgegevens" in cover and "Belastingdienst" in cover  # (f) and (c)
    rows = list(csv.reader(io.StringIO(archive.read("crm/klantgegevens.csv").decode("utf-8-sig"))))
    assert rows == [["name", "email"], ["Jan de Vriës", "jan@example.nl"]]
    document = json.loads(archive.read("crm/contracten.json"))
    assert document["complete"] is False and document["records"] == [{"nr": "C-1"}, {"nr": "C-2"}]
    assert "Welke gegevens hebt u?" in archive.read("berichten/01-2026-03-09.txt").decode()
    assert build_package(_input(), PROFILE) == data  # reproducible


def test_english_cover_and_portability() -> None:
    cover = zipfile.ZipFile(io.BytesIO(build_package(_input(language="en"), PROFILE))).read("overview.html")
    assert b"Your data at NHMB software" in cover and b"Dutch Data Protection" not in cover
    names = zipfile.ZipFile(io.BytesIO(build_package(_input(portability=True), PROFILE))).namelist()
    assert "overzicht.html" not in names and not any(n.startswith("berichten/") for n in names)
    assert "crm/klantgegevens.json" in names
    assert package_name("AVG-2026-0001") == "inzage-AVG-2026-0001.zip"
    assert package_name("AVG-2026-0001", portability=True) == "overdracht-AVG-2026-0001.zip"


def test_german_cover() -> None:
    """Issue 15: a German access answer's package speaks German too (only names stay)."""
    archive = zipfile.ZipFile(io.BytesIO(build_package(_input(language="de"), PROFILE)))
    cover = archive.read("uebersicht.html").decode()
    assert '<html lang="de">' in cover and "Ihre Daten bei NHMB software" in cover
    assert "CRM — klantgegevens: 1 Datensatz, contracten: 2 Datensätze (mehr als" in cover
    assert "Art. 15 DSGVO" in cover and "die Speicherung von Daten" in cover
    for foreign in ("Uw gegevens", "Your data", "gegevens bij", "records", "artikel 15 AVG"):
        assert foreign not in cover


def test_counts_are_singular_for_one_row() -> None:
    """Reviewer (issue 15): '1 Datensätze', '1 records', '1 gegevens' read wrong."""
    for language, one, two in (
        ("nl", "1 record,", "2 records"),
        ("en", "1 record,", "2 records"),
        ("de", "1 Datensatz,", "2 Datensätze"),
    ):
        archive = zipfile.ZipFile(io.BytesIO(build_package(_input(language=language), PROFILE)))
        cover = archive.read(archive.namelist()[0]).decode()
        assert f"klantgegevens: {one} contracten: {two}" in cover, language


def test_folders_and_cover_are_named_in_the_letters_language() -> None:
    """The German cover page no longer points to Dutch folders ('bijlagen', 'berichten'); the
    ZIP is built from the database each time, so no stored format depends on these names."""
    expected = {
        "nl": ("overzicht.html", "berichten/", "bijlagen/", "Van: jan@example.nl"),
        "en": ("overview.html", "messages/", "files/", "From: jan@example.nl"),
        "de": ("uebersicht.html", "nachrichten/", "anlagen/", "Von: jan@example.nl"),
    }
    for language, (cover_name, messages, files, sender) in expected.items():
        archive = zipfile.ZipFile(io.BytesIO(build_package(_input(language=language), PROFILE)))
        names = archive.namelist()
        assert names[0] == cover_name and f"{files}export-boekhouding.pdf" in names, language
        assert archive.read(f"{messages}01-2026-03-09.txt").decode().startswith(sender)
        cover = archive.read(cover_name).decode()
        for folder in (messages, files):
            assert re.search(rf"\b{folder.rstrip('/')}\b", cover), (language, folder)


def test_cover_names_the_readers_own_authority_in_english_and_german() -> None:
    """Art. 77(1) as in the letters (the Dutch cover, for readers in NL, names the AP only)."""
    for language, own in (("en", "(Art. 77(1) GDPR)"), ("de", "(Art. 77 Abs. 1 DSGVO)"), ("nl", None)):
        archive = zipfile.ZipFile(io.BytesIO(build_package(_input(language=language), PROFILE)))
        cover = archive.read(archive.namelist()[0]).decode()
        assert "Autoriteit Persoonsgegevens" in cover
        assert (own in cover) if own else ("77" not in cover), language
