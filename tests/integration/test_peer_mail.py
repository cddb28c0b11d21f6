"""812 real test mails of 15 other mail projects (``../shared/corpora/peer-mail/``, read at run
time, never copied): every file parses or is refused with a reason, the peers' own
expectations in ``expected.jsonl`` hold except the documented list below, every bounce,
auto-reply and read receipt is automatic, and through a real Dovecot every file is stored
exactly once and processed.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from helpers import FixedLabels
from sqlalchemy import select
from sqlmodel import Session

from avgdesk.mailbox.automatic import judge
from avgdesk.mailbox.parsing import ParsedMessage, parse_message
from avgdesk.models.errors import MessageParseError
from avgdesk.models.tables import InboundMessage, MessageRaw

PEER = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "peer-mail"
if not (PEER / "expected.jsonl").is_file():
    print(f"\n[avgdesk tests] peer-mail corpus not found at {PEER}; tests skipped", file=sys.stderr)
    pytest.skip(f"peer-mail corpus not found at {PEER}", allow_module_level=True)

pytestmark = pytest.mark.integration

MACHINE_KINDS = {
    "bounce",
    "bounce-cr-newlines",
    "autoreply",
    "read-receipt",
    "feedback-report",
    "report-tlsrpt",
}
PERSON_KINDS = {"helpdesk", "reply", "real-helpdesk"}

# Files avgdesk refuses as not being mail at all (quarantined with the reason).
NOT_MAIL = {
    "0318.eml": "an Outlook .msg file (OLE compound document), not RFC 5322: no header, binary",
}

# Where a peer's expectation is the peer's own choice, not a parsing error of avgdesk.
EXCEPTIONS = {
    ("0196.eml", "body_contains"): (
        "a part with two Content-Type headers (multipart/alternative, then text/plain): Stalwart "
        "takes the last and shows the inner boundary lines as text; avgdesk (Python's email) takes "
        "the first and reads the nested parts, so the text is 'Plain Text' without the boundary lines"
    ),
    ("0197.eml", "body_contains"): "the same two-Content-Type part as 0196 (with UTF-8 text)",
    ("0206.eml", "from_addr"): (
        "'<moderator>' has no domain: Stalwart keeps it as an address; avgdesk has no use for an "
        "address it can neither answer nor match, so From counts as absent (never written to)"
    ),
}

# Machine mail in a peer's bounce set that nothing marks as machine-made.
NOT_MACHINE = {
    "0719.eml": (
        "flufl.bounce's groupwise_03: a person's reply ('RE: Vuille - (PO28169) - IND', a Word "
        "document attached) that flufl keeps among bounce samples to check it finds no bounce; "
        "no header, structure or text marks it as automatic"
    ),
}


def _ws(value: str | None) -> str:
    return re.sub(r"\s+", " ", value or "").strip()


@cache
def kinds() -> dict[str, str]:
    rows = (PEER / "SOURCES.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return {row.split("\t")[0]: row.split("\t")[5] for row in rows if row.strip()}


@cache
def parsed_corpus() -> tuple[dict[str, ParsedMessage], dict[str, str]]:
    parsed: dict[str, ParsedMessage] = {}
    refused: dict[str, str] = {}
    for path in sorted(PEER.glob("*.eml")):
        try:
            parsed[path.name] = parse_message(path.read_bytes())
        except MessageParseError as exc:
            refused[path.name] = str(exc)
    return parsed, refused


def test_every_peer_mail_parses_or_is_refused_with_a_reason() -> None:
    parsed, refused = parsed_corpus()  # any other exception fails here
    assert len(parsed) + len(refused) == len(kinds()) == 812
    assert set(refused) == set(NOT_MAIL), refused
    assert all(refused.values())
    for name, message in parsed.items():
        assert "\n" not in message.subject and "\r" not in message.subject, name
        assert all("\n" not in v for v in message.headers.values()), name


def _failures(expected: dict[str, Any], message: ParsedMessage) -> list[str]:
    failed: list[str] = []
    if "subject" in expected and _ws(message.subject) != _ws(expected["subject"]):
        failed.append("subject")
    if "subject_contains" in expected and _ws(expected["subject_contains"]) not in _ws(message.subject):
        failed.append("subject_contains")
    if "from_addr" in expected:
        want = (expected["from_addr"] or "").lower() or None
        # The address as the header gives it; from_addr is that same address once validated.
        if message.from_addr_raw != want or message.from_addr not in (None, message.from_addr_raw):
            failed.append("from_addr")
    text = _ws(message.text)
    if any(_ws(snippet) not in text for snippet in expected.get("body_contains", [])):
        failed.append("body_contains")
    return failed


def test_peer_expectations_hold_except_the_documented_ones() -> None:
    parsed, _ = parsed_corpus()
    lines = (PEER / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    expectations = [json.loads(line) for line in lines if line.strip()]
    failed = {(e["file"], what) for e in expectations for what in _failures(e, parsed[e["file"]])}
    checks = sum(
        ("subject" in e) + ("subject_contains" in e) + ("from_addr" in e) + ("body_contains" in e)
        for e in expectations
    )
    names = [e for e in expectations if "from_name" in e]
    name_differs = [
        e["file"] for e in names if (parsed[e["file"]].from_name or None) != (e["from_name"] or None)
    ]
    print(
        f"\npeer-mail expectations: {checks - len(failed)} of {checks} met in {len(expectations)} files; "
        f"exceptions {sorted(failed)}; from_name (informational) differs in {len(name_differs)} of "
        f"{len(names)}: {name_differs}"
    )
    assert failed == set(EXCEPTIONS)


def test_every_bounce_auto_reply_and_read_receipt_is_automatic() -> None:
    parsed, _ = parsed_corpus()
    verdicts = {name: judge(message) for name, message in parsed.items()}
    machine = {name for name, kind in kinds().items() if kind in MACHINE_KINDS}
    missed = {name for name in machine if not verdicts[name].machine_reply}
    people = {name for name, kind in kinds().items() if kind in PERSON_KINDS and name in parsed}
    silenced = {name for name in people if verdicts[name].machine_reply}
    print(
        f"\npeer-mail automatic: {len(machine) - len(missed)} of {len(machine)} machine mails found; "
        f"{sum(v.machine_reply for v in verdicts.values())} of {len(parsed)} parsed mails judged machine"
    )
    assert missed == set(NOT_MACHINE)
    assert all(verdicts[name].never_auto_answer for name in machine - missed)
    assert silenced == set(), "helpdesk mail and replies of people must reach the classifier"


_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bqBQ]\?")
_MOJIBAKE = re.compile("Ã[\x80-\xbf]|â€|Ð[\x90-\xbf]Ð|縺|繧")


def _letters_beyond_ascii(value: str | None) -> bool:
    return any(c.isalpha() and not c.isascii() for c in value or "")


def test_the_peer_mails_named_in_issue_11_decode_as_written() -> None:
    """Properties only (nothing of the corpus is copied here): raw 8-bit headers, encoded
    words with odd charsets, bodies with a bad byte or a wrong label, malformed header
    lines, and senders whose encoded display name holds a comma."""
    parsed, _ = parsed_corpus()
    for name in ("0314.eml", "0364.eml"):  # raw 8-bit header bytes
        fields = [parsed[name].subject, parsed[name].from_name]
        assert any(_letters_beyond_ascii(f) for f in fields), name
        assert not any("\ufffd" in (f or "") for f in fields), name
    for name in ("0550.eml", "0666.eml", "0547.eml", "0337.eml"):  # encoded words, odd charsets
        subject = parsed[name].subject
        assert _letters_beyond_ascii(subject) and "\ufffd" not in subject, name
        assert not _ENCODED_WORD.search(subject), name
    for name in ("0648.eml", "0334.eml", "0045.eml"):  # one bad byte, a wrong label
        text = parsed[name].text
        assert _letters_beyond_ascii(text) and text.count("\ufffd") <= 1, name
        assert not _MOJIBAKE.search(text), name
    for name in ("0195.eml", "0291.eml", "0562.eml"):  # a malformed header line
        assert parsed[name].subject, name
    assert parsed["0291.eml"].from_addr and parsed["0562.eml"].from_addr
    for name in ("0328.eml", "0362.eml", "0589.eml"):  # "=?..?Q?Last=2C_First?= <addr>"
        message = parsed[name]
        assert message.from_addr, name
        assert any(c in (message.from_name or "") for c in ',"'), name  # the decoded special stays
        verdict = judge(message)
        assert not verdict.never_auto_answer and not verdict.machine_reply, name


def _normalised(raw: bytes) -> str:
    """A file and what Dovecot serves for it hash alike: Dovecot rewrites line ends (LF to
    CRLF, stray CRs) and serves NUL as 0x80 (see the corpus README); every other byte is kept."""
    data = raw.replace(b"\r", b"").replace(b"\x00", b"\x80")
    return hashlib.sha256(data).hexdigest()


def test_peer_mail_is_stored_once_and_processed_through_dovecot(
    mailbox: Any, engine: Any, make_settings: Any
) -> None:
    from avgdesk.mailbox.imap import ImapConnection
    from avgdesk.triage.intake.ingest import Intake
    from avgdesk.triage.intake.processing import Processor
    from avgdesk.triage.worker.runner import imap_params

    files = {path.name: path.read_bytes() for path in sorted(PEER.glob("*.eml"))}
    mailbox.append(*files.values())
    settings = make_settings(**mailbox.settings_kwargs(), processing_max_attempts=1)
    conn = ImapConnection(imap_params(settings))
    conn.connect()
    try:
        first = Intake(engine, settings).sync_once(conn)
        second = Intake(engine, settings).sync_once(conn)
    finally:
        conn.close()
    assert (first.stored, second.stored) == (812, 0)
    with Session(engine) as s:
        stored = Counter(_normalised(r.data) for r in s.execute(select(MessageRaw)).scalars())
    missing = [name for name, raw in files.items() if stored[_normalised(raw)] != 1]
    assert not missing

    result = Processor(engine, settings, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        rows = list(s.execute(select(InboundMessage)).scalars())
    quarantined = {r.quarantine_reason for r in rows if r.state == "quarantined"}
    auto = sum(1 for r in rows if r.labels == ["auto"])
    print(
        f"\npeer-mail through Dovecot: stored {first.stored}, processed {result.processed}, "
        f"quarantined {result.quarantined} {sorted(q or '' for q in quarantined)}, labelled auto {auto}"
    )
    assert result.processed + result.quarantined == 812
    assert result.quarantined == len(NOT_MAIL)
    assert all("not an e-mail message" in (q or "") for q in quarantined)
    parsed, _ = parsed_corpus()
    # FixedLabels never says auto: every auto label is the structure and header rules' verdict.
    assert auto == sum(judge(message).machine_reply for message in parsed.values())
    # Spam verdicts and list posts not addressed to us are 'other' by the rules, no case.
    by_rule = sum(judge(m, own_domains=settings.own_domains).rule_label == "other" for m in parsed.values())
    ruled_other = [r for r in rows if r.labels == ["other"] and r.model_version == "header-rules"]
    assert by_rule > 0 and len(ruled_other) == by_rule
    assert all(r.case_id is None for r in ruled_other)


# Peer mails the trained classifier may still open a case for. None is a privacy request, so
# each would be a known fault (flagged for review), left to the classifier's decision rules;
# any other peer mail that opens a case fails the test. Was 8 (two now 'other' by the
# spam-verdict and list rules, three by the business_breadth_2 training mail), then 3 (a
# greeting above a forwarded app notice whose only cue was its unsubscribe footer, and a
# photo caption with 'my' and 'name'): a right now needs a request and an action cue in the
# writer's own words, above any forward (decision.request_cue), so none was left. With the
# corpus of 2026-12-01 (check sets 1-7 and eleven hands promoted into training; issue 15 allows
# 8 of 812) five test messages again open a flagged case: the model reads their odd words as
# a person's, with low scores, and a rule that vetoed them cost real requests on the dev set
# (a lower margin for "other" saved 0688 but lost requests written below support text). With the
# corpus of the sixth session (check sets 8-18 and hands m-w promoted) five open one: 0240, 0385,
# 0605, 0384 and 0234 (0271 and 0688 no longer do; they stay listed, a retrain may tip them back).
MAY_OPEN_A_CASE: dict[str, str] = {
    "0240.eml": "pharmacy spam without a spam header: complaint 0.35 against other 0.42",
    "0271.eml": "a signature test, 'not signed correctly': rectification as the half-way fallback",
    "0385.eml": "MIME torture test quoting 'I disagree violently': complaint 0.33",
    "0688.eml": "a lorem-ipsum ticket whose subject says 'this is really annoying': complaint 0.33",
    "0605.eml": "a MIME test, 'I'm sorry but I'm using a brain-dead ISP': complaint 0.33 against 0.41",
    "0384.eml": "the MIME torture text of 0385 in another peer's fixture: complaint 0.18 as the fallback",
    "0234.eml": "a survey site's 'you have a survey waiting' (no list headers): objection 0.20, fallback",
}


def test_peer_mail_opens_few_cases_through_the_real_classifier(trained_model_dir: Path) -> None:
    """The worker's path: intake's reader and the structural rules (auto for machine mail,
    other for spam verdicts and list posts to others), then the trained model for whatever the
    rules let through. No peer mail is a privacy request, so every case is wrong."""
    from avgdesk.classifiers import Document, load_or_train
    from avgdesk.classifiers.labels import is_request
    from avgdesk.triage.intake.reading import read_message
    from avgdesk.triage.settings import Settings

    settings = Settings()
    names, docs, machine = [], [], set()
    for path in sorted(PEER.glob("*.eml")):
        try:
            read = read_message(path.read_bytes(), settings)
        except MessageParseError:
            continue
        if read.verdict.rule_label is not None:
            # Machine mail (auto), spam verdicts and list posts to others (other): no model.
            machine.add(path.name)
            continue
        names.append(path.name)
        docs.append(Document(subject=read.subject_for_model, text=read.text_for_model))
    predictions = load_or_train(trained_model_dir).predict(docs)
    cases = {n: p for n, p in zip(names, predictions, strict=True) if is_request(p.labels)}
    print(
        f"\npeer-mail through the classifier: {len(machine)} labelled by the rules, "
        f"{sum(p.labels == ['auto'] for p in predictions)} auto by the model, {len(cases)} cases "
        f"({sum(p.needs_review for p in cases.values())} flagged): "
        + ", ".join(f"{n} {'+'.join(p.labels)}" for n, p in sorted(cases.items()))
    )
    assert set(cases) <= set(MAY_OPEN_A_CASE), sorted(set(cases) - set(MAY_OPEN_A_CASE))
    assert all(p.needs_review for p in cases.values())  # a person sees each before anything is sent
    kinds_of = kinds()
    assert not [n for n in cases if kinds_of[n] in MACHINE_KINDS]
