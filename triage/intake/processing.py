"""Processing of stored messages: parse, recognise automatic mail, classify, thread.

Runs from the local store only, after intake committed the raw bytes, so nothing here
can lose mail. A claim (token + expiry, set by the statement that selects the rows) keeps
other workers off a message while its worker lives, and the write phase saves only the
messages that still carry that token. Attempts are counted *before* the work (committed), so a message that
crashes the process — not only one that raises — is quarantined after
``processing_max_attempts`` and never blocks the messages behind it. Fresh messages go
in batches (one classifier call, one commit); a message that was already tried goes
alone, so one poison message cannot hold a batch of innocent ones hostage.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

import sqlalchemy as sa
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from avgdesk.mailbox.parsing import AttachmentInfo
from avgdesk.models.engine import is_postgres, session_scope
from avgdesk.models.errors import DatabaseBusy
from avgdesk.models.tables import Attachment, AuditEvent, Case, InboundMessage, MessageRaw, MessageState
from avgdesk.models.types import utcnow
from avgdesk.replies.drafting import DRAFT_IDS_KEY, DraftingContext, add_draft
from avgdesk.replies.rendering import DraftKind
from avgdesk.triage.cases import audit, legal, lifecycle
from avgdesk.triage.drafting_config import drafting_context
from avgdesk.triage.intake import bounces, linking
from avgdesk.triage.intake.analysis import Analyser, Analysis, InlineAnalyser, Job, describe
from avgdesk.triage.intake.reading import parse_limits
from avgdesk.triage.settings import Settings

if TYPE_CHECKING:
    from avgdesk.classifiers import Classifier

log = logging.getLogger(__name__)
_T = TypeVar("_T")


@dataclass
class ProcessResult:
    processed: int = 0
    failed: int = 0
    quarantined: int = 0
    cases_opened: int = 0
    attached: int = 0
    case_ids: list[int] = field(default_factory=list)


@dataclass
class _Work:
    """One message in the write phase, with what the analysis found."""

    message: InboundMessage
    attachments: list[AttachmentInfo] = field(default_factory=list)
    text_for_model: str = ""


@dataclass
class _Batch:
    """A claimed batch handed to the analyser, waiting for its results and its write."""

    token: str
    ids: list[int]
    exhausted: set[int]


class Processor:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        classifier: Classifier | None = None,
        drafting: DraftingContext | None = None,
        analyser: Analyser | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.drafting = drafting or drafting_context(settings)
        self.limits = parse_limits(settings)
        self.analyser: Analyser = analyser or InlineAnalyser(settings, self.limits, classifier)

    def drain(self, max_messages: int | None = None) -> ProcessResult:
        """Process until nothing is waiting (or ``max_messages`` were handled).

        With a background analyser (the child process) batch n+1 is analysed while batch n
        is written (issue 16: the write phase is most of the drain, and the child idled
        meanwhile). Batch n+1 is claimed in its own short transaction, committed, *before*
        batch n's write transaction begins: never during it (SQLite has one writer, and the
        claim would wait for our own lock) and not after it (the child would idle through
        the write). It is claimed only if batch n cannot reach ``max_messages``, so no more
        is claimed than the sequential drain claimed. Its claim runs from before the write
        of batch n; a write slower than ``processing_claim_s`` lets another worker retake it,
        and then the token check in the write leaves those messages to that worker."""
        total = ProcessResult()
        batch = self._begin() if _below(total, 0, max_messages) else None
        more = batch is not None
        while batch is not None:
            analyses = self._analyses(batch)
            following = None
            if more and self.analyser.background and _below(total, len(batch.ids), max_messages):
                # Committed before batch n's write: a crash during it leaves both batches
                # claimed (one attempt each) until the claim expires, then they are retried.
                following = self._begin_next(batch)
                more = following is not None  # nothing waiting: this drain ends after the write
            step = self._write_then_next(batch, analyses, following)
            _add(total, step)
            # Only failures (retried on a later pass) or nothing ours: claim no more. A batch
            # already claimed is still written (its attempt is counted: it must not be wasted).
            more = more and step.processed + step.quarantined > 0 and _below(total, 0, max_messages)
            if following is None and more:
                following = self._begin()
                more = following is not None
            batch = following
        return total

    def pending_count(self) -> int:
        from sqlalchemy import func

        with Session(self.engine) as session:
            return int(
                session.exec(
                    select(func.count())
                    .select_from(InboundMessage)
                    .where(InboundMessage.state == MessageState.RECEIVED)
                ).one()
            )

    # --------------------------------------------------------------------------------
    def process_one(self, message_pk: int) -> ProcessResult:
        """Process one given message now (the contact form names its case at once); a
        message that is not waiting is left alone."""
        return self.process_batch(only=message_pk)

    def process_batch(self, only: int | None = None) -> ProcessResult:
        """Claim, read, then parse and classify *outside* any transaction (the CPU-heavy
        part, possibly in a child process: on SQLite an open transaction holds the write
        lock, which the intake, the web UI and the other loops need), then write all results
        in one short transaction that keeps only the messages still carrying our claim."""
        batch = self._begin(only)
        if batch is None:
            return ProcessResult()
        analyses = self._analyses(batch)
        return self._write_then_next(batch, analyses, None)

    def _begin(self, only: int | None = None, spare: str | None = None) -> _Batch | None:
        """Claim a batch, read it and hand it to the analyser (which may start at once)."""
        claimed = retry_on_conflict(lambda: self._claim(only, spare))
        if claimed is None:
            return None
        token, ids = claimed
        try:
            jobs, exhausted = self._jobs(ids)
            self.analyser.submit(jobs)
        except BaseException:
            self._release(token)
            raise
        return _Batch(token, ids, exhausted)

    def _begin_next(self, current: _Batch) -> _Batch | None:
        """The next batch, claimed while ``current`` waits for its write; if that fails,
        ``current``'s claim is given back as well (it would only expire)."""
        try:
            return self._begin(spare=current.token)
        except BaseException:
            self._release(current.token)
            raise

    def _analyses(self, batch: _Batch) -> dict[int, Analysis]:
        try:
            return {a.pk: a for a in self.analyser.collect()}
        except BaseException:
            # A stop request (AnalysisStopped) or an error: the claim is given back unused.
            self._release(batch.token)
            raise

    def _write_then_next(
        self, batch: _Batch, analyses: dict[int, Analysis], following: _Batch | None
    ) -> ProcessResult:
        """Write ``batch``; if that fails, the batch claimed behind it is abandoned too."""
        try:
            return retry_on_conflict(lambda: self._write(batch.token, batch.ids, analyses, batch.exhausted))
        except BaseException:
            if following is not None:
                self.analyser.cancel()
                self._release(following.token)
            raise

    def _jobs(self, ids: list[int]) -> tuple[list[Job], set[int]]:
        """What the analyser needs; messages over the attempt limit get no more tries."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(
                    col(InboundMessage.id),
                    col(InboundMessage.attempts),
                    col(InboundMessage.truncated_reason),
                    MessageRaw.data,
                )
                .join(MessageRaw, col(MessageRaw.message_pk) == col(InboundMessage.id), isouter=True)
                .where(col(InboundMessage.id).in_(ids))
                .order_by(col(InboundMessage.id))
            ).all()
        limit = self.settings.processing_max_attempts
        exhausted = {int(pk) for pk, attempts, _, _ in rows if pk is not None and attempts > limit}
        jobs = [
            Job(int(pk), raw, reason) for pk, _, reason, raw in rows if pk is not None and pk not in exhausted
        ]
        return jobs, exhausted

    def _write(
        self, token: str, ids: list[int], analyses: dict[int, Analysis], exhausted: set[int]
    ) -> ProcessResult:
        """The batch's results in one transaction. First without a savepoint per message, so
        rows of one table go together at the commit (issue 16); a message that raises sends
        the batch down the careful path: all of it rolled back and written again with a
        savepoint per message, so only that message fails."""
        if len(ids) > 1:
            try:
                return self._write_batch(token, ids, analyses, exhausted, careful=False)
            except DatabaseBusy:
                raise  # a lock conflict: retry_on_conflict runs the whole write again
            except Exception as exc:
                log.warning("batch write failed (%s); writing one message at a time", describe(exc))
        return self._write_batch(token, ids, analyses, exhausted, careful=True)

    def _write_batch(
        self, token: str, ids: list[int], analyses: dict[int, Analysis], exhausted: set[int], *, careful: bool
    ) -> ProcessResult:
        result = ProcessResult()
        with session_scope(self.engine) as session:
            messages = self._still_ours(session, token, ids)
            references = self._reserve_references(session, messages, analyses)
            session.info[DRAFT_IDS_KEY] = IdBlock(session, "draft", len(messages) + 1).take
            if not careful:  # rows kept back for the commit: a batch that fails goes careful
                # Cases first: the rights and tasks kept back after them refer to them.
                session.info[lifecycle.PENDING_ROWS_KEY] = {Case.__table__: []}  # type: ignore[attr-defined]
                session.info[linking.CASE_IDS_KEY] = IdBlock(session, "case", references.total + 1).take
                session.info[lifecycle.RECENT_CASES_KEY] = _recent_cases(session, messages, analyses)
                session.info[audit.ROWS_KEY] = []
                # Whatever flushes (a thread lookup, a breach alert queued in the outbox, the
                # commit) writes the kept-back rows first: the flushed rows refer to them.
                sa.event.listen(session, "before_flush", _send_kept_rows)
            with session.no_autoflush:  # nothing flushes unless a lookup needs it
                for message in messages:
                    analysis = analyses.get(message.id or -1)
                    if message.id in exhausted or analysis is None:
                        message.claim_token = None
                        message.claimed_until = None
                        reason = message.last_error or "processing was interrupted repeatedly"
                        self._quarantine(session, message, reason)
                        result.quarantined += 1
                        continue
                    self._apply(session, message, analysis, result, careful=careful)
                lifecycle.write_pending_rows(session)
                _update_messages(session, messages)
                _insert_audit_events(session)
                references.release()
            # Crash before: the attempts were already counted; after the claim expires the
            # next pass retries these messages one at a time. Crash after: they are done.
            session.commit()
        return result

    def _still_ours(self, session: Session, token: str, ids: list[int]) -> list[InboundMessage]:
        """Compare-and-set: only rows still received AND still carrying our token are ours;
        a row another worker retook (our claim expired) is left to it."""
        query = (
            select(InboundMessage)
            .where(
                col(InboundMessage.id).in_(ids),
                col(InboundMessage.claim_token) == token,
                col(InboundMessage.state) == MessageState.RECEIVED,
            )
            .order_by(col(InboundMessage.id))
        )
        if is_postgres(self.engine):
            query = query.with_for_update()
        messages = list(session.exec(query))
        if len(messages) < len(ids):
            log.warning("%d claimed message(s) were taken over meanwhile", len(ids) - len(messages))
        return messages

    def _reserve_references(
        self, session: Session, messages: Sequence[InboundMessage], analyses: dict[int, Analysis]
    ) -> linking.ReferenceBlock:
        """One counter update per year for the cases this batch will probably open."""
        wanted: dict[int, int] = {}
        for message in messages:
            analysis = analyses.get(message.id or -1)
            labels = analysis.fields.get("labels") or [] if analysis and analysis.error is None else []
            if linking.opens_case(labels):
                year = message.received_at.astimezone(self.settings.tz).year
                wanted[year] = wanted.get(year, 0) + 1
        block = linking.ReferenceBlock(session, wanted)
        session.info[linking.REFERENCES_KEY] = block
        return block

    def _apply(
        self,
        session: Session,
        message: InboundMessage,
        analysis: Analysis,
        result: ProcessResult,
        *,
        careful: bool,
    ) -> None:
        """Everything one message changes. The message's columns are all set first and
        nothing flushes on its own (no autoflush), so its row gets one UPDATE with the
        analysis and the state, and a second one only for a new case's id. ``careful``:
        in a savepoint that a failure rolls back (the message alone fails); otherwise a
        failure propagates and the caller writes the batch again carefully."""
        error = analysis.error
        if error is None and not careful:
            self._process(session, message, analysis, result)
            result.processed += 1
            return
        if error is None:
            references: linking.ReferenceBlock = session.info[linking.REFERENCES_KEY]
            mark = references.mark()
            try:
                with session.begin_nested():
                    self._process(session, message, analysis, result)
            except Exception as exc:
                references.restore(mark)  # the rolled-back case's number goes to the next one
                error = describe(exc)
        if error is None:
            result.processed += 1
            return
        _set_fields(message, analysis)  # the rollback undid them; what was parsed is kept
        message.last_error = error
        if analysis.timed_out or message.attempts >= self.settings.processing_max_attempts:
            self._quarantine(session, message, error)
            result.quarantined += 1
        else:
            result.failed += 1
            log.warning("message %s failed attempt %d: %s", message.id, message.attempts, error)

    def _process(
        self, session: Session, message: InboundMessage, analysis: Analysis, result: ProcessResult
    ) -> None:
        _set_fields(message, analysis)
        message.state = MessageState.PROCESSED
        message.processed_at = utcnow()
        message.last_error = None
        self._thread(session, _Work(message, analysis.attachments, analysis.text_for_model), result)

    def _claim(self, only: int | None = None, spare: str | None = None) -> tuple[str, list[int]] | None:
        """Claim the next messages in ONE statement and count the attempt before any work.

        The UPDATE that selects the rows also sets a claim token and an expiry, so no other
        worker takes them while this one lives (PostgreSQL: ``FOR UPDATE SKIP LOCKED`` in the
        sub-select; SQLite: ``BEGIN IMMEDIATE`` serialises claimers). Never-tried messages
        come in batches; a message that was tried before comes alone. ``spare``: the token of
        our own batch still waiting for its write, whose claim may have run out meanwhile
        (a slow first analysis); claiming it again would leave that batch's write nothing.
        """
        now = utcnow()
        token = uuid.uuid4().hex
        t = InboundMessage.__table__  # type: ignore[attr-defined]
        expired = t.c.claimed_until.is_(None) | (t.c.claimed_until < now)
        free = (t.c.state == MessageState.RECEIVED) & expired
        if spare is not None:
            free = free & (t.c.claim_token.is_(None) | (t.c.claim_token != spare))
        pick = sa.select(t.c.id).where(free).order_by(t.c.id)
        if only is not None:
            pick = pick.where(t.c.id == only)
        with session_scope(self.engine) as session:
            first = session.execute(pick.add_columns(t.c.attempts).limit(1)).first()
            if first is None:
                return None
            if first[1] == 0:
                pick = pick.where(t.c.attempts == 0).limit(self.settings.processing_batch)
            else:
                pick = pick.limit(1)
            if is_postgres(self.engine):
                pick = pick.with_for_update(skip_locked=True)
            picked = pick.cte("picked")
            rows = session.execute(
                sa.update(t)
                # A CTE runs once; a plain IN (sub-select ... LIMIT) may be re-run per row by
                # PostgreSQL and then claims more rows than the LIMIT.
                .where(t.c.id.in_(sa.select(picked.c.id)), free)
                .values(
                    attempts=t.c.attempts + 1,
                    claim_token=token,
                    claimed_until=now + timedelta(seconds=self.settings.processing_claim_s),
                )
                .returning(t.c.id)
            ).all()
            # Crash after: these count one attempt and stay claimed until the claim expires;
            # a message that keeps crashing the worker is quarantined after max attempts.
            session.commit()
        ids = sorted(int(r[0]) for r in rows)
        return (token, ids) if ids else None

    def _release(self, token: str) -> None:
        """Give an unfinished claim back (stop requested): the messages wait no claim period."""
        try:
            with session_scope(self.engine) as session:
                session.execute(
                    update(InboundMessage)
                    .where(col(InboundMessage.claim_token) == token)
                    .values(claim_token=None, claimed_until=None)
                )
                # Crash before: the claim expires after processing_claim_s instead.
                session.commit()
        except Exception as exc:
            log.warning("could not release a processing claim: %s", describe(exc))

    def _thread(self, session: Session, item: _Work, result: ProcessResult) -> None:
        message = item.message
        self._store_attachments(session, message, item.attachments)
        if message.labels == ["auto"]:
            bounces.link_bounce(session, message, item.text_for_model, settings=self.settings)
            return
        if _may_thread(message):
            # The lookups read rows and flags of this batch's earlier messages: send them.
            lifecycle.write_pending_rows(session)
            _insert_audit_events(session)
            session.flush()
        match = linking.thread_match(session, message)
        if match is not None and match.from_requester:
            existing = match.case
            linking.attach(session, existing, message, how="thread")
            result.attached += 1
            legal.on_message(session, existing, message, item.text_for_model or "", settings=self.settings)
            if existing.state in lifecycle.PAUSED_STATES and not message.is_automatic:
                # A reply from the customer resumes the clock (EDPB 01/2022 §159).
                lifecycle.resume(
                    session, existing, by="system:triage", now=message.received_at, settings=self.settings
                )
            return
        if match is not None:
            # Named a case it may not join (another sender, or the open contact form).
            linking.suggest(session, match.case, message)
        if not linking.opens_case(message.labels):
            return legal.on_caseless_message(session, message, item.text_for_model, settings=self.settings)
        case = linking.open_case(session, message, settings=self.settings)
        result.cases_opened += 1
        # Marketing objection and possible breach are flagged at once (issue 13); the case
        # is new, so its flags are known without reading them back.
        marketing = legal.on_message(
            session, case, message, item.text_for_model or "", settings=self.settings, fresh=True
        )
        if case.id is not None:
            result.case_ids.append(case.id)
        if not message.is_automatic:
            self._first_drafts(session, case, message, marketing=marketing)

    def _first_drafts(
        self, session: Session, case: Case, message: InboundMessage, *, marketing: bool
    ) -> None:
        """The acknowledgement for every new case; an identity confirmation as well when the
        request came through the web form (anyone can type an address there) and asks for
        data to be shown, moved or erased. Both wait for a person's approval."""
        if legal.confirm_marketing_stop(session, case, self.drafting, flagged=marketing, inbound=message):
            return  # an objection to direct marketing: the immediate confirmation is the answer
        add_draft(
            session,
            case,
            DraftKind.ACKNOWLEDGEMENT,
            author="system:triage",
            ctx=self.drafting,
            automatic=True,
            inbound=message,
        )
        if message.via_form and set(case.rights) & {"access", "portability", "erasure"}:
            add_draft(
                session,
                case,
                DraftKind.IDENTITY_REQUEST,
                author="system:triage",
                ctx=self.drafting,
                automatic=True,
                inbound=message,
            )

    def _store_attachments(
        self, session: Session, message: InboundMessage, infos: Sequence[AttachmentInfo]
    ) -> None:
        for info in infos[: self.settings.parse_max_parts]:
            session.add(
                Attachment(
                    message_pk=message.id,  # type: ignore[arg-type]
                    part_index=info.part_index,
                    filename=info.filename,
                    content_type=info.content_type[:200],
                    size_bytes=info.size_bytes,
                    sha256=info.sha256,
                )
            )

    def _quarantine(self, session: Session, message: InboundMessage, reason: str) -> None:
        message.state = MessageState.QUARANTINED
        message.quarantine_reason = reason[:1000]
        audit.record(
            session,
            actor="system:processing",
            action="message.quarantined",
            message_pk=message.id,
            reason=reason[:300],
            attempts=message.attempts,
        )
        log.error(
            "message %s quarantined after %d attempt(s): %s", message.id, message.attempts, reason[:300]
        )


class IdBlock:
    """Ids of one table for the rows a processing batch inserts, handed out before the rows
    are written (issue 16), so a row needs no flush to learn its id. Reserved when first
    taken: on PostgreSQL ``count`` at a time from the table's sequence (an unused one is a
    gap, as after any rollback); on SQLite counted on from the largest id, which is safe
    because the batch's transaction holds the write lock (``BEGIN IMMEDIATE``) and every
    row of that table the batch inserts takes its id here."""

    def __init__(self, session: Session, table: str, count: int) -> None:
        self.session = session
        self.table = table
        self.count = count
        self._ids: list[int] = []
        self._last: int | None = None

    def take(self) -> int:
        if not self._ids:
            self._ids = self._reserve()
        return self._ids.pop(0)

    def _reserve(self) -> list[int]:
        if self.session.get_bind().dialect.name == "postgresql":
            rows = self.session.execute(
                sa.text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                {"t": f'"{self.table}"', "n": self.count},
            )
            return [int(r[0]) for r in rows]
        if self._last is None:
            # The table name is one of ours, never input.
            last = self.session.execute(sa.text(f'SELECT max(id) FROM "{self.table}"')).scalar()
            self._last = int(last or 0)
        start = self._last + 1
        self._last += self.count
        return list(range(start, start + self.count))


def _recent_cases(
    session: Session, messages: Sequence[InboundMessage], analyses: dict[int, Analysis]
) -> lifecycle.RecentCases:
    """The duplicate check's cases for the batch's requesters, read once when first needed."""
    found = [analyses.get(m.id or -1) for m in messages]
    emails = {str(a.fields["requester_email"]) for a in found if a and a.fields.get("requester_email")}
    earliest = min((m.received_at for m in messages), default=utcnow())
    return lifecycle.RecentCases(session, emails, earliest)


def _update_messages(session: Session, messages: Sequence[InboundMessage]) -> None:
    """Every changed message row in one UPDATE, the batch's in one executemany (issue 16).
    The unit of work groups only neighbouring rows that changed the same columns, so a
    batch went as hundreds of statements. Each row gets every column changed anywhere in
    the batch (an unchanged one its own value); the rows then leave the session, written."""
    changed = [m for m in messages if sa.inspect(m).modified]
    if not changed:
        return
    keys: set[str] = set()
    for message in changed:
        state = sa.inspect(message)
        keys.update(set(state.attrs.keys()) - state.unmodified)
    table = InboundMessage.__table__  # type: ignore[attr-defined]
    stmt = (
        table.update()
        .where(table.c.id == sa.bindparam("row_id"))
        .values({table.c[key]: sa.bindparam(f"new_{key}") for key in sorted(keys)})
    )
    rows = [{"row_id": m.id, **{f"new_{key}": getattr(m, key) for key in keys}} for m in changed]
    session.connection().execute(stmt, rows)
    for message in changed:
        session.expunge(message)


def _send_kept_rows(session: Session, _context: object, _instances: object) -> None:
    lifecycle.write_pending_rows(session)
    _insert_kept_events(session)


def _insert_kept_events(session: Session) -> None:
    """The audit rows kept back under ``audit.ROWS_KEY`` (inside a flush: no ORM objects)."""
    kept = session.info.get(audit.ROWS_KEY)
    if isinstance(kept, list) and kept:
        table = AuditEvent.__table__  # type: ignore[attr-defined]
        keys = [c.key for c in table.columns if c.key != "id"]
        session.connection().execute(table.insert(), [{k: row.get(k) for k in keys} for row in kept])
        kept.clear()


def _insert_audit_events(session: Session) -> None:
    """The batch's audit events in one executemany INSERT, in the order they were recorded
    (issue 16): the rows kept back under ``audit.ROWS_KEY`` and any event added as an ORM
    object (the unit of work would insert those one at a time to read back ids nobody
    needs). Their cases are already in the database (:func:`linking.open_case`)."""
    kept = session.info.get(audit.ROWS_KEY)
    rows = list(kept) if isinstance(kept, list) else []
    if isinstance(kept, list):
        kept.clear()
    events = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    events.sort(key=lambda event: sa.inspect(event).insert_order)
    table = AuditEvent.__table__  # type: ignore[attr-defined]
    rows += [{c.key: getattr(e, c.key) for c in table.columns if c.key != "id"} for e in events]
    for event in events:
        session.expunge(event)
    if rows:
        rows.sort(key=lambda row: row["at"])  # stable: the order of recording, as the timeline reads
        keys = [c.key for c in table.columns if c.key != "id"]
        session.connection().execute(table.insert(), [{k: row.get(k) for k in keys} for row in rows])


def _may_thread(message: InboundMessage) -> bool:
    """Whether the thread lookup will query: reply headers or a case reference in the subject."""
    return bool(
        message.in_reply_to or message.references or linking.REFERENCE_RE.search(message.subject or "")
    )


def _set_fields(message: InboundMessage, analysis: Analysis) -> None:
    for name, value in analysis.fields.items():
        setattr(message, name, value)
    message.claim_token = None
    message.claimed_until = None


def _below(total: ProcessResult, pending: int, limit: int | None) -> bool:
    """Whether ``total`` plus ``pending`` more messages stays under ``limit``."""
    return limit is None or total.processed + total.quarantined + pending < limit


def _add(total: ProcessResult, step: ProcessResult) -> None:
    total.processed += step.processed
    total.failed += step.failed
    total.quarantined += step.quarantined
    total.cases_opened += step.cases_opened
    total.attached += step.attached
    total.case_ids.extend(step.case_ids)


def retry_on_conflict(fn: Callable[[], _T], attempts: int = 4) -> _T:
    """Run a transaction again after a deadlock, serialization failure or lock timeout:
    the loser of a conflict rolls back cleanly, and a retry usually wins."""
    for attempt in range(attempts):
        try:
            return fn()
        except DatabaseBusy as exc:
            if attempt == attempts - 1:
                raise
            delay = random.uniform(0.05, 0.2) * 2**attempt
            log.info("database conflict (%s); retrying in %.2f s", describe(exc)[:120], delay)
            time.sleep(delay)
    raise AssertionError("unreachable")
