"""Processing of stored messages: parse, recognise automatic mail, classify, thread.

Runs from the local store only, after intake committed the raw bytes, so nothing here
can lose mail. Attempts are counted *before* the work (committed), so a message that
crashes the process — not only one that raises — is quarantined after
``processing_max_attempts`` and never blocks the messages behind it. Fresh messages go
in batches (one classifier call, one commit); a message that was already tried goes
alone, so one poison message cannot hold a batch of innocent ones hostage.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from avgdesk.mailbox.contact_form import is_form_sender
from avgdesk.mailbox.parsing import AttachmentInfo, ParsedMessage
from avgdesk.models import (
    Attachment,
    Case,
    InboundMessage,
    MessageRaw,
    MessageState,
    OutboxItem,
    is_postgres,
    session_scope,
    utcnow,
)
from avgdesk.models.errors import MessageParseError
from avgdesk.replies.drafting import DraftingContext, create_draft
from avgdesk.replies.rendering import DraftKind
from avgdesk.triage.cases import audit, lifecycle
from avgdesk.triage.drafting_config import drafting_context
from avgdesk.triage.intake import linking
from avgdesk.triage.intake.reading import parse_limits, read_message
from avgdesk.triage.settings import Settings

if TYPE_CHECKING:
    from avgdesk.classifiers import Classifier

log = logging.getLogger(__name__)


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
    message: InboundMessage
    parsed: ParsedMessage | None = None
    subject_for_model: str = ""
    text_for_model: str = ""
    error: str | None = None


class Processor:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        classifier: Classifier | None = None,
        drafting: DraftingContext | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.classifier = classifier
        self.drafting = drafting or drafting_context(settings)
        self.limits = parse_limits(settings)

    def drain(self, max_messages: int | None = None) -> ProcessResult:
        """Process until nothing is waiting (or ``max_messages`` were handled)."""
        total = ProcessResult()
        while max_messages is None or total.processed + total.quarantined < max_messages:
            step = self.process_batch()
            if step.processed + step.quarantined + step.failed == 0:
                break
            total.processed += step.processed
            total.failed += step.failed
            total.quarantined += step.quarantined
            total.cases_opened += step.cases_opened
            total.attached += step.attached
            total.case_ids.extend(step.case_ids)
            if step.processed + step.quarantined == 0:
                break  # only failures that will be retried on a later pass
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
        part: on SQLite an open transaction holds the write lock, which the intake, the
        web UI and the other loops need), then write all results in one short transaction."""
        result = ProcessResult()
        ids = self._claim(only)
        if not ids:
            return result
        with Session(self.engine, expire_on_commit=False) as session:
            messages = list(
                session.exec(
                    select(InboundMessage)
                    .where(col(InboundMessage.id).in_(ids))
                    .order_by(col(InboundMessage.id))
                )
            )
            raws: dict[int, bytes] = {
                pk: data
                for pk, data in session.exec(
                    select(MessageRaw.message_pk, MessageRaw.data).where(col(MessageRaw.message_pk).in_(ids))
                ).all()
            }
            session.expunge_all()
        exhausted = [m for m in messages if m.attempts > self.settings.processing_max_attempts]
        work: list[_Work] = []
        for message in messages:
            if message in exhausted:
                continue
            item = _Work(message)
            try:
                self._parse(item, raws.get(message.id or -1))
            except Exception as exc:
                item.error = _describe(exc)
            work.append(item)
        del raws
        self._classify([w for w in work if w.error is None and w.parsed is not None])

        with session_scope(self.engine) as session:
            for message in exhausted:
                session.add(message)
                reason = message.last_error or "processing was interrupted repeatedly"
                self._quarantine(session, message, reason)
                result.quarantined += 1
            for item in work:
                message = item.message
                session.add(message)
                if item.error is None:
                    try:
                        with session.begin_nested():
                            self._thread(session, item, result)
                            message.state = MessageState.PROCESSED
                            message.processed_at = utcnow()
                            message.last_error = None
                    except Exception as exc:
                        item.error = _describe(exc)
                if item.error is not None:
                    message.last_error = item.error
                    if message.attempts >= self.settings.processing_max_attempts:
                        self._quarantine(session, message, item.error)
                        result.quarantined += 1
                    else:
                        result.failed += 1
                        log.warning(
                            "message %s failed attempt %d: %s", message.id, message.attempts, item.error
                        )
                    continue
                result.processed += 1
            # Crash before: the attempts were already counted; the next pass retries
            # these messages one at a time. Crash after: they are done.
            session.commit()
        return result

    def _claim(self, only: int | None = None) -> list[int]:
        """Pick the next messages and count the attempt before doing any work.

        Never-tried messages come in batches; a message that was tried before comes
        alone. On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several workers share the
        queue without taking the same rows.
        """
        with session_scope(self.engine) as session:
            base = (
                select(col(InboundMessage.id), col(InboundMessage.attempts))
                .where(InboundMessage.state == MessageState.RECEIVED)
                .order_by(col(InboundMessage.id))
            )
            if only is not None:
                base = base.where(col(InboundMessage.id) == only)
            first = session.exec(base.limit(1)).first()
            if first is None:
                return []
            query = base.where(col(InboundMessage.attempts) == 0) if first[1] == 0 else base
            limit = self.settings.processing_batch if first[1] == 0 else 1
            query = query.limit(limit)
            if is_postgres(self.engine):
                query = query.with_for_update(skip_locked=True, of=InboundMessage)
            ids = [row[0] for row in session.exec(query).all() if row[0] is not None]
            if not ids:
                return []
            session.execute(
                update(InboundMessage)
                .where(col(InboundMessage.id).in_(ids))
                .values(attempts=col(InboundMessage.attempts) + 1)
            )
            # Crash after: these count one attempt; a message that keeps crashing the
            # worker is quarantined after processing_max_attempts.
            session.commit()
            return ids

    def _parse(self, item: _Work, raw: bytes | None) -> None:
        message = item.message
        if raw is None:
            raise MessageParseError("raw bytes missing")
        read = read_message(raw, self.settings, self.limits)
        parsed = read.parsed
        item.parsed = parsed
        message.subject = parsed.subject
        message.from_addr = parsed.from_addr
        message.from_name = parsed.from_name
        message.to_addrs = parsed.to_addrs
        message.cc_addrs = parsed.cc_addrs
        message.date_header = parsed.date
        message.in_reply_to = parsed.in_reply_to
        message.references = parsed.references
        message.headers = parsed.headers
        message.text = parsed.text
        message.html = parsed.html
        message.defects = parsed.defects[:50]
        if message.truncated_reason:
            message.defects = [*message.defects, "header-only record (size limit)"]
        if is_form_sender(parsed.from_addr, self.settings.form_senders) and read.form is None:
            message.defects = [*message.defects, "form mail without a readable e-mail address"]
        message.via_form = read.form is not None
        message.requester_email = read.requester_email
        message.requester_name = read.requester_name
        item.subject_for_model = read.subject_for_model
        item.text_for_model = read.text_for_model
        verdict = read.verdict
        message.is_automatic = verdict.never_auto_answer
        message.automatic_reasons = verdict.reasons
        if verdict.machine_reply:
            message.labels = ["auto"]
            message.scores = {"auto": 1.0}
            message.explanations = {"auto": verdict.reasons[:5]}
            message.needs_review = False
            message.model_version = "header-rules"

    def _classify(self, items: Sequence[_Work]) -> None:
        todo = [w for w in items if w.message.labels != ["auto"]]
        if not todo:
            return
        if self.classifier is None:
            for w in todo:
                w.message.needs_review = True
            return
        from avgdesk.classifiers import Document, detect_language

        try:
            predictions = self.classifier.predict(
                [Document(subject=w.subject_for_model, text=w.text_for_model) for w in todo]
            )
        except Exception as exc:
            for w in todo:
                w.error = f"classifier failed: {_describe(exc)}"
            return
        for w, p in zip(todo, predictions, strict=True):
            w.message.labels = list(p.labels)
            w.message.scores = {k: round(float(v), 4) for k, v in p.scores.items()}
            w.message.explanations = {k: list(v)[:8] for k, v in p.explanations.items()}
            w.message.needs_review = bool(p.needs_review) or bool(w.message.truncated_reason)
            w.message.model_version = p.model_version
            w.message.language = p.language
        for w in items:
            if w.message.language is None:
                w.message.language = detect_language(f"{w.subject_for_model}\n{w.text_for_model}")

    def _thread(self, session: Session, item: _Work, result: ProcessResult) -> None:
        message = item.message
        if item.parsed is not None:
            self._store_attachments(session, message, item.parsed.attachments)
        if message.labels == ["auto"]:
            self._link_bounce(session, message, item)
            return
        match = linking.thread_match(session, message)
        if match is not None and match.from_requester:
            existing = match.case
            linking.attach(session, existing, message, how="thread")
            result.attached += 1
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
            return
        case = linking.open_case(session, message, settings=self.settings)
        result.cases_opened += 1
        if case.id is not None:
            result.case_ids.append(case.id)
        if not message.is_automatic:
            self._first_drafts(session, case, message)

    def _first_drafts(self, session: Session, case: Case, message: InboundMessage) -> None:
        """The acknowledgement for every new case; an identity confirmation as well when the
        request came through the web form (anyone can type an address there) and asks for
        data to be shown, moved or erased. Both wait for a person's approval."""
        create_draft(
            session,
            case,
            DraftKind.ACKNOWLEDGEMENT,
            author="system:triage",
            ctx=self.drafting,
            automatic=True,
        )
        if message.via_form and set(case.rights) & {"access", "portability", "erasure"}:
            create_draft(
                session,
                case,
                DraftKind.IDENTITY_REQUEST,
                author="system:triage",
                ctx=self.drafting,
                automatic=True,
            )

    def _link_bounce(self, session: Session, message: InboundMessage, item: _Work) -> None:
        """A bounce of one of our replies joins its case, so staff see the reply did not arrive."""
        ids = set(re.findall(r"<([^<>\s]+@[^<>\s]+)>", item.text_for_model or ""))
        ids.update(m for m in [message.in_reply_to, *message.references] if m)
        if not ids:
            return
        sent = session.exec(
            select(OutboxItem).where(col(OutboxItem.message_id).in_(list(ids))).limit(1)
        ).first()
        if sent is None or sent.case_id is None:
            return
        message.case_id = sent.case_id
        audit.record(
            session,
            actor="system:triage",
            action="reply.bounced",
            case_id=sent.case_id,
            message_pk=message.id,
            outbox_id=sent.id,
            message_id=sent.message_id,
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


def _describe(exc: BaseException) -> str:
    """Type and message of an error, bounded; never message content by construction."""
    return f"{type(exc).__name__}: {str(exc)[:300]}"
