"""The access package (issue 17): one ZIP with what the controller holds about a person.

``inzage-<reference>.zip`` (English ``access-``, German ``auskunft-``; portability
``overdracht-``, ``portability-``, ``datenuebertragung-``) holds, named in the reply language
(Dutch shown; :data:`_NAMES`):

* ``overzicht.html`` — a readable cover page in the reply language with the Art. 15(1)
  (a)–(h) facts from the controller profile, the systems searched and what each held;
* ``<system>/<query>.csv`` and ``.json`` — the rows each ``sql`` system returned;
* ``berichten/NN-<date>.txt`` — a copy of the person's messages in this case;
* ``bijlagen/<name>`` — files staff added (exports from ``manual`` systems, scans).

The ZIP is built from the database each time and stored only as bytes, so nothing reads
these names back.

For portability (Art. 20) only the machine-readable files go in. Pure: no database, no
clock (the caller passes ``created_at``), so the same input gives the same bytes.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from avgdesk.replies.profile import ControllerProfile

__all__ = ["Extract", "MessageCopy", "PackageInput", "build_package", "package_name"]


@dataclass(frozen=True)
class Extract:
    system_id: str
    system_name: str
    query: str
    category: str
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = False


@dataclass(frozen=True)
class MessageCopy:
    received_at: datetime
    sender: str
    subject: str
    text: str


@dataclass(frozen=True)
class PackageInput:
    reference: str
    language: str
    requester_name: str | None
    created_at: datetime
    extracts: Sequence[Extract] = ()
    messages: Sequence[MessageCopy] = ()
    files: Sequence[tuple[str, bytes]] = ()
    manual_systems: Sequence[str] = field(default_factory=tuple)
    """Systems a person searched by hand (their exports are among ``files``)."""
    portability: bool = False


_NAMES = {
    "nl": {
        "access": "inzage",
        "portability": "overdracht",
        "cover": "overzicht.html",
        "messages": "berichten",
        "files": "bijlagen",
        "from": "Van",
        "date": "Datum",
        "subject": "Onderwerp",
    },
    "en": {
        "access": "access",
        "portability": "portability",
        "cover": "overview.html",
        "messages": "messages",
        "files": "files",
        "from": "From",
        "date": "Date",
        "subject": "Subject",
    },
    "de": {
        "access": "auskunft",
        "portability": "datenuebertragung",
        "cover": "uebersicht.html",
        "messages": "nachrichten",
        "files": "anlagen",
        "from": "Von",
        "date": "Datum",
        "subject": "Betreff",
    },
}
"""Names inside and of the package per reply language (ASCII: ZIP readers differ on others)."""


def _names(language: str) -> dict[str, str]:
    return _NAMES.get(language, _NAMES["nl"])


def package_name(reference: str, *, language: str = "nl", portability: bool = False) -> str:
    """The file the letter names by default; the letter and the attachment both use this."""
    prefix = _names(language)["portability" if portability else "access"]
    return f"{prefix}-{_safe(reference)}.zip"


def clean_file_name(filename: str) -> str:
    """A file name as it is stored and mailed: the last path part, NFC, without control
    characters or characters mail clients trip on, at most 120 characters. A name staff type
    for the letter must already be in this form (the letter names the stored file)."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>:|?*]+", "", name).strip(" .")
    return name[:120]


def _safe(name: str) -> str:
    """A file name without paths or odd characters (ZIP readers differ on them)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")
    return cleaned[:80] or "bestand"


def _csv(extract: Extract) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(extract.columns)
    writer.writerows(["" if v is None else v for v in row] for row in extract.rows)
    # utf-8-sig: Excel opens the accents correctly.
    return out.getvalue().encode("utf-8-sig")


def _json(extract: Extract) -> bytes:
    records = [dict(zip(extract.columns, row, strict=False)) for row in extract.rows]
    document = {
        "system": extract.system_name,
        "category": extract.category,
        "complete": not extract.truncated,
        "records": records,
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


_TEXTS = {
    "nl": {
        "title": "Uw gegevens bij {org}",
        "intro": "Dit overzicht hoort bij ons antwoord op uw verzoek {ref}. Het bevat een kopie van de "
        "persoonsgegevens die wij van u verwerken, en de informatie van artikel 15 AVG.",
        "systems": "Waar wij hebben gezocht",
        "row": "1 record",
        "rows": "{n} records",
        "incomplete": " (meer dan in dit bestand: vraag ons om de rest)",
        "manual": "doorzocht door een medewerker; een export staat in de map {files} als er iets was",
        "purposes": "Waarvoor wij uw gegevens gebruiken (art. 15 lid 1 sub a)",
        "categories": "Welke gegevens (sub b)",
        "recipients": "Aan wie wij gegevens verstrekken (sub c)",
        "retention": "Hoe lang wij ze bewaren (sub d)",
        "rights": "Uw rechten (sub e en f)",
        "rights_text": "U kunt ons vragen uw gegevens te verbeteren, aan te vullen of te wissen, of de "
        "verwerking te beperken, en u kunt bezwaar maken. U kunt een klacht indienen bij de {sa}.",
        "sources": "Waar de gegevens vandaan komen (sub g)",
        "adm": "Geautomatiseerde besluiten (sub h)",
        "adm_none": "Wij nemen geen besluiten over u die uitsluitend geautomatiseerd zijn.",
        "messages": "Uw berichten aan ons staan in de map {messages}.",
        "files": "Bestanden in dit pakket",
    },
    "en": {
        "title": "Your data at {org}",
        "intro": "This overview belongs to our answer to your request {ref}. It contains a copy of the "
        "personal data we process about you and the information of Article 15 GDPR.",
        "systems": "Where we searched",
        "row": "1 record",
        "rows": "{n} records",
        "incomplete": " (more than in this file: ask us for the rest)",
        "manual": "searched by a member of staff; an export is in the folder {files} if anything was found",
        "purposes": "What we use your data for (Art. 15(1)(a))",
        "categories": "Which data (b)",
        "recipients": "To whom we disclose data (c)",
        "retention": "How long we keep them (d)",
        "rights": "Your rights (e and f)",
        "rights_text": "You may ask us to correct, complete or erase your data or to restrict its "
        "processing, and you may object. You may lodge a complaint with the {sa} or with the supervisory "
        "authority in the member state of your habitual residence, your place of work or the alleged "
        "infringement (Art. 77(1) GDPR).",
        "sources": "Where the data come from (g)",
        "adm": "Automated decisions (h)",
        "adm_none": "We take no decisions about you based solely on automated processing.",
        "messages": "Your messages to us are in the folder {messages}.",
        "files": "Files in this package",
    },
    "de": {
        "title": "Ihre Daten bei {org}",
        "intro": "Diese Übersicht gehört zu unserer Antwort auf Ihren Antrag {ref}. Sie enthält eine "
        "Kopie der personenbezogenen Daten, die wir über Sie verarbeiten, und die Informationen nach "
        "Art. 15 DSGVO.",
        "systems": "Wo wir gesucht haben",
        "row": "1 Datensatz",
        "rows": "{n} Datensätze",
        "incomplete": " (mehr als in dieser Datei: fragen Sie uns nach dem Rest)",
        "manual": "von Hand durchsucht; ein Export liegt im Ordner {files}, wenn etwas gefunden wurde",
        "purposes": "Wofür wir Ihre Daten verwenden (Art. 15 Abs. 1 Buchst. a)",
        "categories": "Welche Daten (Buchst. b)",
        "recipients": "An wen wir Daten weitergeben (Buchst. c)",
        "retention": "Wie lange wir sie speichern (Buchst. d)",
        "rights": "Ihre Rechte (Buchst. e und f)",
        "rights_text": "Sie können von uns verlangen, Ihre Daten zu berichtigen, zu vervollständigen oder zu "
        "löschen oder ihre Verarbeitung einzuschränken, und Sie können Widerspruch einlegen. Sie können sich "
        "bei der {sa} beschweren oder bei der Datenschutzaufsichtsbehörde des Mitgliedstaats Ihres "
        "gewöhnlichen Aufenthalts, Ihres Arbeitsplatzes oder des mutmaßlichen Verstoßes "
        "(Art. 77 Abs. 1 DSGVO).",
        "sources": "Woher die Daten stammen (Buchst. g)",
        "adm": "Automatisierte Entscheidungen (Buchst. h)",
        "adm_none": "Wir treffen keine Entscheidungen über Sie, die ausschließlich auf automatisierter "
        "Verarbeitung beruhen.",
        "messages": "Ihre Nachrichten an uns liegen im Ordner {messages}.",
        "files": "Dateien in diesem Paket",
    },
}


def _list(items: Sequence[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"


def _overview(data: PackageInput, profile: ControllerProfile, names: Sequence[str]) -> bytes:
    lang = data.language if data.language in _TEXTS else "nl"
    t = _TEXTS[lang]
    org = profile.controller.name
    counts: dict[str, list[str]] = {}
    for e in data.extracts:
        count = t["row"] if len(e.rows) == 1 else t["rows"].format(n=len(e.rows))
        line = count + (t["incomplete"] if e.truncated else "")
        counts.setdefault(e.system_name, []).append(f"{e.query}: {line}")
    systems = [f"{name} — {', '.join(parts)}" for name, parts in counts.items()]
    manual = t["manual"].format(files=_names(lang)["files"])
    systems += [f"{name} — {manual}" for name in data.manual_systems]
    sections = [
        (t["systems"], _list(systems)),
        (t["purposes"], _list([p.description.get(lang) for p in profile.purposes])),
        (t["categories"], _list([c.description.get(lang) for c in profile.data_categories])),
        (
            t["recipients"],
            _list([f"{r.name or r.category.get(lang)} ({r.purpose.get(lang)})" for r in profile.recipients]),
        ),
        (t["retention"], _list([f"{r.data.get(lang)}: {r.period.get(lang)}" for r in profile.retention])),
        (
            t["rights"],
            "<p>" + html.escape(t["rights_text"].format(sa=profile.supervisory_authority.name)) + "</p>",
        ),
        (t["sources"], _list([s.get(lang) for s in profile.sources])),
        (
            t["adm"],
            "<p>"
            + html.escape(
                profile.automated_decision_making_details.get(lang)
                if profile.automated_decision_making and profile.automated_decision_making_details
                else t["adm_none"]
            )
            + "</p>",
        ),
        (t["files"], _list(names)),
    ]
    title = html.escape(t["title"].format(org=org))
    body = "".join(f"<h2>{html.escape(h)}</h2>{content}" for h, content in sections)
    page = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        "<style>body{font-family:sans-serif;max-width:46em;margin:2em auto;line-height:1.5}</style>"
        f"</head><body><h1>{title}</h1><p>{html.escape(t['intro'].format(ref=data.reference))}</p>"
        f"<p>{html.escape(t['messages'].format(messages=_names(lang)['messages']))}</p>{body}</body></html>\n"
    )
    return page.encode("utf-8")


def _message_text(index: int, m: MessageCopy, names: dict[str, str]) -> tuple[str, bytes]:
    name = f"{names['messages']}/{index:02d}-{m.received_at:%Y-%m-%d}.txt"
    head = f"{names['from']}: {m.sender}\n{names['date']}: {m.received_at:%Y-%m-%d %H:%M} UTC\n"
    text = f"{head}{names['subject']}: {m.subject}\n\n{m.text}\n"
    return name, text.encode("utf-8")


def _entries(data: PackageInput) -> list[tuple[str, bytes]]:
    names = _names(data.language)
    entries: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for e in data.extracts:
        base = f"{_safe(e.system_id)}/{_safe(e.query)}"
        if base in seen:
            continue
        seen.add(base)
        entries.append((f"{base}.csv", _csv(e)))
        entries.append((f"{base}.json", _json(e)))
    if not data.portability:
        entries += [_message_text(i, m, names) for i, m in enumerate(data.messages, start=1)]
    entries += [(f"{names['files']}/{_safe(name)}", content) for name, content in data.files]
    return entries


def build_package(data: PackageInput, profile: ControllerProfile) -> bytes:
    """The ZIP's bytes (deflated; fixed timestamps, so equal input gives equal bytes)."""
    entries = _entries(data)
    if not data.portability:
        cover = _names(data.language)["cover"]
        names = [cover, *(name for name, _ in entries)]
        entries.insert(0, (cover, _overview(data, profile, names)))
    stamp = data.created_at.timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()
