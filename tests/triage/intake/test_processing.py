"""Processing stored mail: hostile input never escapes and never blocks the mail behind it."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from avgdesk.models.tables import Attachment, AuditEvent, InboundMessage, MessageState
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor
from avgdesk.triage.worker.runner import Worker

HOSTILE = Path(__file__).resolve().parents[2] / "data" / "hostile"


def _manifest() -> list[dict[str, Any]]:
    return list(json.loads((HOSTILE / "manifest.json").read_text()))


def _generate_large(folder: Path) -> list[Path]:
    spec = importlib.util.spec_from_file_location("make_hostile", HOSTILE / "make_hostile.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_hostile"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return list(module.generate_large(folder))


def test_hostile_corpus_is_stored_or_quarantined_and_mail_behind_still_flows(
    mailbox, engine, make_settings, mail_factory, tmp_path: Path
) -> None:
    entries = _manifest()
    assert len(entries) >= 30
    files = [HOSTILE / e["file"] for e in entries] + _generate_large(tmp_path / "large")
    appendable = [f for f in files if f.stat().st_size > 0]
    # Everything the IMAP server accepts goes through the mailbox; the rest (an empty
    # file) is stored as the contact form would store it.
    for f in files:
        if f.stat().st_size == 0:
            store_local_message(engine, f.read_bytes(), source="form")
    mailbox.append(*[f.read_bytes() for f in appendable])
    mailbox.append(mail_factory(1, subject="Gewoon verzoek"))
    settings = make_settings(**mailbox.settings_kwargs(), processing_max_attempts=2)
    worker = Worker(settings, engine)
    try:
        first = asyncio_run(worker.run_once())
        second = asyncio_run(worker.run_once())  # a failed message is retried, then quarantined
    finally:
        worker.close()
    assert first.intake_error is None
    assert first.ingested == len(appendable) + 1
    with Session(engine) as s:
        rows = list(s.execute(select(InboundMessage)).scalars())
    assert len(rows) == len(files) + 1
    states = {r.state for r in rows}
    assert states <= {MessageState.PROCESSED, MessageState.QUARANTINED}, states
    quarantined = [r for r in rows if r.state is MessageState.QUARANTINED]
    assert all(r.quarantine_reason for r in quarantined)
    normal = [r for r in rows if (r.subject or "").startswith("Gewoon verzoek")]
    assert len(normal) == 1 and normal[0].state is MessageState.PROCESSED
    # Only the two messages with nothing usable: the empty file and binary garbage.
    reasons = sorted(r.quarantine_reason or "" for r in quarantined)
    assert len(reasons) == 2 and "empty message" in reasons[0] and "not an e-mail" in reasons[1]
    assert second.processing.processed == 0


def asyncio_run(coro: Any) -> Any:
    import asyncio

    return asyncio.run(coro)


@pytest.mark.parametrize("entry", _manifest(), ids=lambda e: e["file"])
def test_hostile_message_fields(entry: dict[str, Any], sqlite_url: str, tmp_path: Path) -> None:
    from avgdesk.models.engine import make_engine
    from avgdesk.models.migrate import upgrade
    from avgdesk.triage.settings import load_settings

    engine = make_engine(sqlite_url)
    upgrade(engine)
    raw = (HOSTILE / entry["file"]).read_bytes()
    pk, _ = store_local_message(engine, raw, source="form")
    Processor(engine, load_settings(None, data_dir=tmp_path, database_url=sqlite_url)).drain()
    with Session(engine) as s:
        row = s.get(InboundMessage, pk)
        assert row is not None
        if entry.get("ingest") == "quarantine" or not raw.strip():
            assert row.state in {MessageState.QUARANTINED, MessageState.RECEIVED}
            return
        assert row.state is MessageState.PROCESSED, row.last_error
        assert "\x00" not in (row.text or "") and "\x00" not in (row.subject or "")
        if entry.get("expect_subject_contains"):
            assert entry["expect_subject_contains"].lower() in (row.subject or "").lower()
        if entry.get("expect_text_contains"):
            assert entry["expect_text_contains"].lower() in (row.text or "").lower()
        if entry.get("expect_no_message_id"):
            assert row.message_id_derived
        for att in s.execute(select(Attachment).where(Attachment.message_pk == pk)).scalars():
            assert att.filename is None or ("/" not in att.filename and "\\" not in att.filename)
    engine.dispose()


def test_poison_message_is_quarantined_after_the_attempt_limit(engine, make_settings, mail_factory) -> None:
    good, _ = store_local_message(engine, mail_factory(1))
    bad, _ = store_local_message(engine, mail_factory(2))
    settings = make_settings(processing_max_attempts=3)

    class Exploding:
        version = "test"

        def predict(self, docs: Any) -> Any:
            if any("nr 2" in d.text for d in docs):
                raise RuntimeError("model crashed")
            from avgdesk.classifiers import Prediction

            return [Prediction(["question"], {"question": 0.9}, False, "nl", {}, "test") for _ in docs]

    processor = Processor(engine, settings, classifier=Exploding())
    for _ in range(4):
        processor.drain()
    with Session(engine) as s:
        assert s.get(InboundMessage, good).state is MessageState.PROCESSED  # type: ignore[union-attr]
        row = s.get(InboundMessage, bad)
        assert row is not None and row.state is MessageState.QUARANTINED
        assert "model crashed" in (row.quarantine_reason or "")
        assert row.attempts == 3
        events = list(s.execute(select(AuditEvent).where(AuditEvent.message_pk == bad)).scalars())
        assert [e.action for e in events] == ["message.quarantined"]


def test_interrupted_attempts_count_so_a_crashing_message_cannot_loop(
    engine, make_settings, mail_factory
) -> None:
    pk, _ = store_local_message(engine, mail_factory(1))
    settings = make_settings(processing_max_attempts=2, processing_claim_s=0)
    processor = Processor(engine, settings)
    # Three claims that never finish, as if the worker died mid-message each time (the
    # claims expire at once here, so each next claim is a takeover).
    for _ in range(3):
        claimed = processor._claim()
        assert claimed is not None and claimed[1] == [pk]
    processor.drain()
    with Session(engine) as s:
        row = s.get(InboundMessage, pk)
        assert row is not None and row.state is MessageState.QUARANTINED


def test_a_live_claim_keeps_other_workers_off_and_a_stale_one_saves_nothing(
    engine, make_settings, mail_factory
) -> None:
    pk, _ = store_local_message(engine, mail_factory(1))
    first = Processor(engine, make_settings(processing_claim_s=300))
    second = Processor(engine, make_settings(processing_claim_s=300))
    claimed = first._claim()
    assert claimed is not None and claimed[1] == [pk]
    assert second._claim() is None  # the first worker lives: nobody else takes the message
    assert second.drain().processed == 0
    # The first worker's claim is overtaken (as if it had expired): its write phase must
    # not open a case for a message that is no longer its own.
    with Session(engine) as s:
        row = s.get(InboundMessage, pk)
        assert row is not None
        row.claim_token = "someone-else"
        s.add(row)
        s.commit()
    token, ids = claimed
    jobs, exhausted = first._jobs(ids)
    analyses = {a.pk: a for a in first.analyser.analyse(jobs)}
    result = first._write(token, ids, analyses, exhausted)
    assert result.processed == 0 and result.cases_opened == 0
    with Session(engine) as s:
        row = s.get(InboundMessage, pk)
        assert row is not None and row.state is MessageState.RECEIVED and row.case_id is None


def test_contact_form_mail_uses_the_address_inside_the_form(engine, make_settings) -> None:
    raw = (
        b"From: Website <website@nhmbsoftware.nl>\r\nTo: privacy@nhmbsoftware.nl\r\n"
        b"Subject: Contactformulier\r\nMessage-ID: <form1@nhmbsoftware.nl>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Naam: Jan de Vries\r\nE-mailadres: Jan.deVries@example.nl\r\nOnderwerp: Inzage\r\n"
        b"Bericht:\r\nIk wil graag inzage in mijn gegevens.\r\nMet groet, Jan\r\n"
    )
    pk, _ = store_local_message(engine, raw)
    Processor(engine, make_settings(own_domains=["other.example"])).drain()
    with Session(engine) as s:
        row = s.get(InboundMessage, pk)
    assert row is not None and row.via_form
    assert row.requester_email == "jan.devries@example.nl"
    assert row.requester_name == "Jan de Vries"


def test_auto_reply_headers_label_auto_without_the_model(engine, make_settings, mail_factory) -> None:
    ooo, _ = store_local_message(
        engine,
        mail_factory(
            1, subject="Automatisch antwoord: Re:", extra_headers="Auto-Submitted: auto-replied\r\n"
        ),
    )
    bulk, _ = store_local_message(
        engine,
        mail_factory(2, subject="Nieuwsbrief", extra_headers="List-Unsubscribe: <mailto:x@example.nl>\r\n"),
    )
    Processor(engine, make_settings()).drain()
    with Session(engine) as s:
        a = s.get(InboundMessage, ooo)
        b = s.get(InboundMessage, bulk)
    assert a is not None and a.labels == ["auto"] and a.is_automatic
    assert b is not None and b.is_automatic and b.labels != ["auto"]  # bulk mail is labelled by content


def test_spam_and_list_posts_to_others_open_no_case(engine, make_settings, mail_factory) -> None:
    """The words say erasure, the structure says no request to us: no case is opened."""
    from helpers import FixedLabels

    spam, _ = store_local_message(
        engine, mail_factory(1, body="#erasure", extra_headers="X-Spam-Flag: YES\r\n")
    )
    post = mail_factory(2, body="#erasure", extra_headers="List-Id: <dev.lists.example.org>\r\n")
    listed, _ = store_local_message(
        engine, post.replace(b"To: privacy@nhmbsoftware.nl", b"To: dev@lists.example.org")
    )
    request, _ = store_local_message(engine, mail_factory(3, body="#erasure"))
    result = Processor(engine, make_settings(), classifier=FixedLabels()).drain()
    with Session(engine) as s:
        rows = {pk: s.get(InboundMessage, pk) for pk in (spam, listed, request)}
    assert result.cases_opened == 1 and rows[request] is not None and rows[request].case_id is not None
    for pk in (spam, listed):
        row = rows[pk]
        assert row is not None and row.labels == ["other"] and row.case_id is None, pk
        assert row.model_version == "header-rules" and row.is_automatic and not row.needs_review


def test_a_write_failure_in_a_batch_fails_that_message_alone(
    engine, make_settings, mail_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch is written without a savepoint per message (issue 16); one message that
    raises sends it down the careful path: the others are saved, numbered without a gap."""
    from helpers import FixedLabels

    from avgdesk.models.tables import Case, Draft
    from avgdesk.triage.intake import linking

    pks = [store_local_message(engine, mail_factory(n, body=f"#access {n}"))[0] for n in range(1, 4)]
    real_open = linking.open_case

    def open_case(session: Any, message: InboundMessage, **kw: Any) -> Any:
        if message.id == pks[1]:
            raise RuntimeError("write phase broke on this one")
        return real_open(session, message, **kw)

    monkeypatch.setattr(linking, "open_case", open_case)
    result = Processor(engine, make_settings(), classifier=FixedLabels()).process_batch()
    assert (result.processed, result.failed, result.cases_opened) == (2, 1, 2)
    with Session(engine) as s:
        rows = {pk: s.get(InboundMessage, pk) for pk in pks}
        refs = sorted(c.reference for c in s.execute(select(Case)).scalars())
        drafts = len(list(s.execute(select(Draft)).scalars()))
    bad = rows[pks[1]]
    assert bad is not None and bad.state is MessageState.RECEIVED and bad.case_id is None
    assert bad.last_error is not None and "write phase broke" in bad.last_error
    assert bad.labels == ["access"]  # what was parsed is kept for the retry
    for pk in (pks[0], pks[2]):
        row = rows[pk]
        assert row is not None and row.state is MessageState.PROCESSED and row.case_id is not None
    assert [r.rsplit("-", 1)[1] for r in refs] == ["0001", "0002"] and drafts == 2


def _statements(engine: Any) -> Any:
    """A counter of executed statements by their first words (executemany counts once)."""
    from collections import Counter

    from sqlalchemy import event

    seen: Counter[str] = Counter()

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen[" ".join(statement.replace('"', "").split()[:3]).lower()] += 1

    event.listen(engine, "before_cursor_execute", count)
    return seen


def test_a_batch_writes_its_drafts_and_audit_events_together(engine, make_settings, mail_factory) -> None:
    """Issue 16: a draft gets a reserved id (no flush per draft), and the batch's drafts and
    audit events go in one INSERT each; every event still names the right draft, in the
    order it was recorded."""
    from helpers import FixedLabels

    from avgdesk.models.tables import Case, Draft

    for n in range(1, 7):
        store_local_message(engine, mail_factory(n, sender=f"k{n}@example.nl", body=f"#access {n}"))
    seen = _statements(engine)
    result = Processor(engine, make_settings(), classifier=FixedLabels()).process_batch()
    assert (result.processed, result.cases_opened) == (6, 6)
    assert seen["insert into draft"] == 1 and seen["insert into audit_event"] == 1, seen
    with Session(engine) as s:
        drafts = {d.id: d for d in s.execute(select(Draft)).scalars()}
        cases = {c.id: c for c in s.execute(select(Case)).scalars()}
        events = list(s.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars())  # type: ignore[arg-type]
    created = [e for e in events if e.action == "draft.created"]
    assert len(drafts) == len(created) == 6
    for event in created:
        assert drafts[event.detail["draft_id"]].case_id == event.case_id
    for case_id in cases:
        actions = [e.action for e in events if e.case_id == case_id]
        assert actions == ["case.opened", "draft.created"], actions


def test_a_batch_checks_duplicates_once_and_sees_its_own_cases(engine, make_settings, mail_factory) -> None:
    """Issue 16: the duplicate check reads the batch's requesters' cases in one query and
    sees the cases the batch itself opens; cases, rights and tasks go in one INSERT each."""
    from helpers import FixedLabels

    from avgdesk.models.tables import Case, CaseRight

    processor = Processor(engine, make_settings(), classifier=FixedLabels())
    store_local_message(engine, mail_factory(1, sender="k@example.nl", body="#access"))
    processor.process_batch()
    for n in (2, 3):
        store_local_message(engine, mail_factory(n, sender="k@example.nl", body="#access"))
    store_local_message(engine, mail_factory(4, sender="other@example.nl", body="#erasure"))
    seen = _statements(engine)
    assert processor.process_batch().cases_opened == 3
    assert seen["select case.id, case.reference,"] == 1, seen
    assert seen["insert into case"] == 1, seen  # the batch's cases together, ids reserved
    assert seen["insert into case_right"] == 1 and seen["insert into case_task"] == 1, seen
    with Session(engine) as s:
        cases = sorted(s.execute(select(Case)).scalars(), key=lambda c: c.id or 0)
        rights = {(r.case_id, r.right) for r in s.execute(select(CaseRight)).scalars()}
    first, second, third, other = cases
    assert second.duplicate_of_case_id == first.id and second.suggested_case_id == first.id
    assert third.duplicate_of_case_id == second.id and third.suggested_case_id == second.id
    assert other.duplicate_of_case_id is None and other.suggested_case_id is None
    expected = {(first.id, "access"), (second.id, "access"), (third.id, "access"), (other.id, "erasure")}
    assert rights == expected


def test_a_reply_joins_the_case_its_batch_opened(engine, make_settings, mail_factory) -> None:
    """Issue 16: a batch's cases wait for its commit; a later message of the same batch that
    replies to one of them still finds and joins it (the thread lookup sends them first)."""
    from helpers import FixedLabels

    from avgdesk.models.tables import Case

    reply_to = "In-Reply-To: <m1@example.nl>\r\n"
    first, _ = store_local_message(
        engine, mail_factory(1, sender="k@example.nl", body="#access", message_id="<m1@example.nl>")
    )
    reply, _ = store_local_message(
        engine, mail_factory(2, sender="k@example.nl", body="nog iets", extra_headers=reply_to)
    )
    result = Processor(engine, make_settings(), classifier=FixedLabels()).process_batch()
    assert (result.processed, result.cases_opened, result.attached) == (2, 1, 1)
    with Session(engine) as s:
        case = s.execute(select(Case)).scalar_one()
        rows = [s.get(InboundMessage, pk) for pk in (first, reply)]
    assert [r.case_id if r else None for r in rows] == [case.id, case.id]


def test_a_breach_alert_in_a_batch_keeps_the_batch_path(
    engine, make_settings, mail_factory, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 16: queueing a breach alert flushes in the middle of a batch; the cases and rows
    the batch kept back go first, so the batch is not written again the careful way."""
    from helpers import FixedLabels

    from avgdesk.models.tables import OutboxItem

    settings = make_settings(breach_alert_recipients=["privacy-team@nhmbsoftware.nl"])
    store_local_message(engine, mail_factory(1, body="#access"))
    store_local_message(
        engine, mail_factory(2, body="#complaint Datalek?? Ik kreeg de factuur van een ander.")
    )
    store_local_message(engine, mail_factory(3, body="#erasure"))
    with caplog.at_level("WARNING"):
        result = Processor(engine, settings, classifier=FixedLabels()).process_batch()
    assert (result.processed, result.cases_opened) == (3, 3)
    assert "batch write failed" not in caplog.text
    with Session(engine) as s:
        alert = s.execute(select(OutboxItem).where(OutboxItem.kind == "breach_alert")).scalar_one()  # type: ignore[arg-type]
        flagged = s.execute(
            select(AuditEvent).where(AuditEvent.action == "case.possible_breach")
        ).scalar_one()  # type: ignore[arg-type]
    assert alert.case_id == flagged.case_id is not None


# --- issue 16: the next batch is analysed while this one is written ---------------------------
class _Recording:
    """A background analyser (as the child is) that notes, whenever a batch is handed over
    or collected, how many messages were already written, and whether SQLite's write lock
    was free while the drain waited for results."""

    background = True

    def __init__(self, engine: Any, settings: Any) -> None:
        from helpers import FixedLabels

        from avgdesk.triage.intake.analysis import InlineAnalyser
        from avgdesk.triage.intake.reading import parse_limits

        self.engine = engine
        self.inner = InlineAnalyser(settings, parse_limits(settings), FixedLabels())
        self.events: list[tuple[str, list[int], int]] = []
        self.lock_free: list[bool] = []
        self.on_submit: Any = None
        self.jobs: list[Any] = []

    def _processed(self) -> int:
        with Session(self.engine) as s:
            rows = s.execute(select(InboundMessage.id).where(InboundMessage.state == MessageState.PROCESSED))
            return len(rows.all())

    def _write_lock_free(self) -> bool:
        import sqlite3

        if self.engine.dialect.name != "sqlite":
            return True
        probe = sqlite3.connect(str(self.engine.url.database), timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")  # fails at once while anyone holds the write lock
            probe.rollback()
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            probe.close()

    def submit(self, jobs: Any) -> None:
        pks = [j.pk for j in jobs]
        self.events.append(("submit", pks, self._processed()))
        if self.on_submit is not None:
            self.on_submit(len([e for e in self.events if e[0] == "submit"]))
        self.jobs = list(jobs)

    def collect(self) -> Any:
        self.events.append(("collect", [], self._processed()))
        self.lock_free.append(self._write_lock_free())
        jobs, self.jobs = self.jobs, []
        return self.inner.analyse(jobs)

    def cancel(self) -> None:
        self.events.append(("cancel", [], self._processed()))
        self.jobs = []

    def analyse(self, jobs: Any) -> Any:  # the only entry point before the overlap
        self.submit(jobs)
        return self.collect()

    def close(self) -> None:
        return None


def _rows(engine: Any) -> dict[int, InboundMessage]:
    with Session(engine) as s:
        return {int(m.id or 0): m for m in s.execute(select(InboundMessage)).scalars()}


def test_the_next_batch_is_handed_over_before_this_batch_is_written(engine, make_settings) -> None:
    """Fails before: batch n+1 was claimed and analysed only after batch n's commit."""
    from helpers import mail

    pks = [store_local_message(engine, mail(n), source="imap")[0] for n in range(1, 8)]
    settings = make_settings(processing_batch=2)
    analyser = _Recording(engine, settings)
    assert Processor(engine, settings, analyser=analyser).drain(max_messages=0).processed == 0
    assert analyser.events == []  # a limit of nothing claims nothing
    result = Processor(engine, settings, analyser=analyser).drain(max_messages=5)
    submits = [(batch, written) for kind, batch, written in analyser.events if kind == "submit"]
    # Batch 2 goes to the analyser before batch 1 is written, batch 3 before batch 2 is.
    assert submits == [(pks[0:2], 0), (pks[2:4], 0), (pks[4:6], 2)]
    assert all(analyser.lock_free)  # no write transaction open while waiting for results
    # max_messages: no more claimed than the sequential drain claimed (three batches of two).
    assert result.processed == 6 and result.cases_opened == 6
    rows = _rows(engine)
    assert [rows[pk].attempts for pk in pks] == [1, 1, 1, 1, 1, 1, 0]
    assert rows[pks[6]].state is MessageState.RECEIVED and rows[pks[6]].claim_token is None


def test_a_batch_whose_claim_ran_out_while_analysed_is_not_claimed_again_by_its_own_drain(
    engine, make_settings
) -> None:
    """Fails before (found by the kill -9 crash test at low load): the first batch's analysis
    outlasted its claim (the child starts and loads the model), the claim of the next batch
    took the same messages again, the first write found none of them ours, and the drain
    stopped after one message with 999 waiting."""
    import time

    from helpers import mail

    pks = [store_local_message(engine, mail(n), source="imap")[0] for n in range(1, 6)]
    settings = make_settings(processing_batch=2, processing_claim_s=0.2)
    analyser = _Recording(engine, settings)
    collect = analyser.collect

    def slow_first(_calls: list[int] = []) -> Any:  # noqa: B006 - a counter across calls
        _calls.append(1)
        if len(_calls) == 1:
            time.sleep(0.5)  # longer than the claim
        return collect()

    analyser.collect = slow_first  # type: ignore[method-assign]
    result = Processor(engine, settings, analyser=analyser).drain()
    assert result.processed == 5
    rows = _rows(engine)
    assert all(rows[pk].state is MessageState.PROCESSED for pk in pks)
    assert [rows[pk].attempts for pk in pks] == [1, 1, 1, 1, 1]


def _drain_and_die_at_the_second_handover(url: str, settings: Any) -> None:
    import os
    import signal

    from avgdesk.models.engine import make_engine

    engine = make_engine(url)
    analyser = _Recording(engine, settings)

    def die(submits: int) -> None:
        if submits == 2:  # batch 2 claimed and committed, batch 1 analysed, not yet written
            os.kill(os.getpid(), signal.SIGKILL)

    analyser.on_submit = die
    Processor(engine, settings, analyser=analyser).drain()


def test_a_kill_between_handover_and_write_loses_and_duplicates_nothing(
    engine, db_url, make_settings
) -> None:
    """kill -9 with batch 1 analysed and batch 2 claimed: both claims expire, every message
    is processed once afterwards, with the interrupted attempt counted. Fails before: batch 1
    was already written when batch 2 was handed over."""
    import multiprocessing

    from helpers import mail, wait_for

    from avgdesk.models.tables import Case
    from avgdesk.models.types import utcnow

    pks = [store_local_message(engine, mail(n), source="imap")[0] for n in range(1, 7)]
    settings = make_settings(processing_batch=2, processing_claim_s=1.0)
    engine.dispose()  # the forked drain opens its own connections
    proc = multiprocessing.get_context("fork").Process(
        target=_drain_and_die_at_the_second_handover, args=(db_url, settings)
    )
    proc.start()
    proc.join(120)
    assert proc.exitcode == -9
    rows = _rows(engine)
    assert [rows[pk].attempts for pk in pks] == [1, 1, 1, 1, 0, 0]
    assert all(rows[pk].state is MessageState.RECEIVED for pk in pks)
    assert all(rows[pk].claim_token is not None for pk in pks[:4])
    until = max(rows[pk].claimed_until for pk in pks[:4] if rows[pk].claimed_until is not None)
    wait_for(lambda: utcnow() > until, timeout_s=30)  # the dead drain's claims expire

    result = Processor(engine, settings, analyser=_Recording(engine, settings)).drain()
    assert result.processed == 6 and result.cases_opened == 6
    rows = _rows(engine)
    assert [rows[pk].attempts for pk in pks] == [2, 2, 2, 2, 1, 1]
    assert all(rows[pk].state is MessageState.PROCESSED and rows[pk].claim_token is None for pk in pks)
    with Session(engine) as s:
        cases = list(s.execute(select(Case.id)).scalars())
    assert len(cases) == 6 and len({rows[pk].case_id for pk in pks}) == 6  # one case each


def test_a_failed_write_abandons_and_gives_back_the_batch_in_flight(
    engine, make_settings, monkeypatch
) -> None:
    """Fails before: nothing was in flight, so nothing was cancelled or given back."""
    from helpers import mail

    pks = [store_local_message(engine, mail(n), source="imap")[0] for n in range(1, 5)]
    settings = make_settings(processing_batch=2)
    analyser = _Recording(engine, settings)

    def broken_write(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Processor, "_write", broken_write)
    with pytest.raises(RuntimeError):
        Processor(engine, settings, analyser=analyser).drain()
    assert [kind for kind, _, _ in analyser.events] == ["submit", "collect", "submit", "cancel"]
    rows = _rows(engine)
    # Batch 2 was claimed (its attempt counted) and given back at once; batch 1's claim is
    # left to expire as before (its write failed: a retry after the claim period).
    assert [rows[pk].attempts for pk in pks] == [1, 1, 1, 1]
    assert [rows[pk].claim_token is None for pk in pks] == [False, False, True, True]
    assert all(rows[pk].state is MessageState.RECEIVED for pk in pks)
