"""Cases: opening a case for a request, or attaching a message to the case it belongs to.

Threading rules (nothing is merged silently, and a stranger cannot steer a case):
* In-Reply-To / References naming a Message-ID already linked to a case, or a case
  reference in the subject (``AVG-2026-0001``), name a case;
* the message joins that case only when it comes from the case's requester: its From
  address equals the case's requester address and it did not come through the contact
  form (anyone can type any address there, and any reference in a subject). Staff can
  link any message by hand (:func:`link_by_staff`);
* otherwise the named case is only *suggested* (``suggested_case_id`` on the message and
  an audit event on that case), and the message goes on as new mail: a request opens its
  own case.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select

from avgdesk.models.tables import (
    Case,
    CaseState,
    Draft,
    InboundMessage,
    ReferenceCounter,
    as_loaded,
    column_values,
)
from avgdesk.models.types import utcnow
from avgdesk.models.vocabulary import COMBINING, RIGHTS, reply_language
from avgdesk.triage.cases import audit
from avgdesk.triage.settings import Settings

REFERENCE_RE = re.compile(r"\bAVG-(\d{4})-(\d{4,6})\b", re.I)


CASE_IDS_KEY = "avgdesk.case_ids"
"""``session.info`` key of a callable handing out case ids reserved for a processing batch
(issue 16): its cases are then inserted together, before their rights and tasks."""

REFERENCES_KEY = "avgdesk.references"
"""``session.info`` key of the :class:`ReferenceBlock` of a processing batch."""


def _advance(session: Session, year: int, by: int) -> int:
    """Add ``by`` to the year's counter (row lock until commit) and return the new last."""
    stmt = (
        update(ReferenceCounter)
        .where(col(ReferenceCounter.year) == year)
        .values(last=col(ReferenceCounter.last) + by)
        .returning(col(ReferenceCounter.last))
    )
    value = session.execute(stmt).scalar_one_or_none()
    if value is None:
        try:
            with session.begin_nested():
                session.execute(insert(ReferenceCounter).values(year=year, last=0))
        except IntegrityError:
            pass  # another worker created the row first
        value = session.execute(stmt).scalar_one()
    return int(value)


def _format(year: int, number: int) -> str:
    return f"AVG-{year}-{number:04d}"


def next_reference(session: Session, year: int) -> str:
    """Allocate ``AVG-<year>-<nnnn>`` with a row lock, safe with several workers; inside a
    processing batch from the batch's :class:`ReferenceBlock`."""
    block = session.info.get(REFERENCES_KEY)
    if isinstance(block, ReferenceBlock):
        return block.take(year)
    return _format(year, _advance(session, year, 1))


class ReferenceBlock:
    """Reference numbers reserved for one processing batch: one counter UPDATE per year
    and batch instead of one per case (issue 16). The counter row stays locked by the
    batch's transaction, so the block is contiguous and nobody else numbers in between;
    :meth:`release` gives the unused tail back before the commit, so numbers stay gap-free.
    """

    def __init__(self, session: Session, wanted: dict[int, int]) -> None:
        self.session = session
        self._start: dict[int, int] = {}
        self._next: dict[int, int] = {}
        self._end: dict[int, int] = {}
        for year, count in sorted(wanted.items()):
            if count > 0:
                self._reserve(year, count)

    def _reserve(self, year: int, count: int) -> None:
        end = _advance(self.session, year, count)
        self._start.setdefault(year, end - count + 1)
        self._next.setdefault(year, end - count + 1)
        self._end[year] = end

    @property
    def total(self) -> int:
        """How many numbers were reserved (the cases the batch will probably open)."""
        return sum(self._end[y] - self._start[y] + 1 for y in self._end)

    def take(self, year: int) -> str:
        if self._next.get(year, 1) > self._end.get(year, 0):
            self._reserve(year, 1)  # more cases than foreseen: extend the block by one
        number = self._next[year]
        self._next[year] = number + 1
        return _format(year, number)

    def mark(self) -> dict[int, int]:
        return dict(self._next)

    def restore(self, mark: dict[int, int]) -> None:
        """A message's savepoint rolled back: its numbers go to the next case."""
        self._next = {**self._start, **mark}

    def release(self) -> None:
        """Give back what was reserved and not used (call before the commit)."""
        for year, end in self._end.items():
            unused = end - self._next[year] + 1
            if unused > 0:
                self.session.execute(
                    update(ReferenceCounter)
                    .where(col(ReferenceCounter.year) == year, col(ReferenceCounter.last) == end)
                    .values(last=col(ReferenceCounter.last) - unused)
                )
        self._end.clear()


@dataclass(frozen=True)
class ThreadMatch:
    """The case a message names, and whether it may join it."""

    case: Case
    from_requester: bool


def thread_match(session: Session, message: InboundMessage) -> ThreadMatch | None:
    case = find_thread_case(session, message)
    if case is None:
        return None
    return ThreadMatch(case, is_from_requester(message, case))


def is_from_requester(message: InboundMessage, case: Case) -> bool:
    """A verified reply: mail (not the contact form) whose From address is the case's
    requester address. Only such a message joins a case by itself or resumes its clock."""
    if message.via_form or not message.from_addr or not case.requester_email:
        return False
    return message.from_addr.strip().lower() == case.requester_email.strip().lower()


def suggest(session: Session, case: Case, message: InboundMessage, *, reason: str | None = None) -> None:
    """Offer ``case`` to staff for this message; the message itself stays unlinked.
    The one place a suggestion is made and audited (threading here, unproven bounces in
    :mod:`~avgdesk.triage.intake.bounces`); ``reason`` defaults to how the message came."""
    message.suggested_case_id = case.id
    audit.record(
        session,
        actor="system:triage",
        action="message.link_suggested",
        case_id=case.id,
        message_pk=message.id,
        reason=reason or ("via_form" if message.via_form else "other_sender"),
    )


def link_by_staff(session: Session, case: Case, message: InboundMessage, *, by: str) -> None:
    """A person decided this message belongs to ``case`` (in the caller's transaction)."""
    before = message.case_id
    message.case_id = case.id
    message.suggested_case_id = None
    audit.record(
        session,
        actor=by,
        action="message.attached",
        case_id=case.id,
        message_pk=message.id,
        how="staff",
        before=before,
    )


def find_thread_case(session: Session, message: InboundMessage) -> Case | None:
    """The case this message names: by In-Reply-To/References naming a message of the
    case (theirs or one of our replies), then by a case reference in the subject. Whether
    it may join that case is :func:`is_from_requester`'s question."""
    ids = [m for m in [message.in_reply_to, *message.references] if m]
    if ids:
        ours = session.exec(
            select(Draft.case_id)
            .where(col(Draft.message_id).in_(ids))
            .order_by(col(Draft.id).desc())
            .limit(1)
        ).first()
        if ours is not None:
            return session.get(Case, ours)
        case_id = session.exec(
            select(InboundMessage.case_id)
            .where(col(InboundMessage.message_id).in_(ids), col(InboundMessage.case_id).is_not(None))
            .order_by(col(InboundMessage.id).desc())
            .limit(1)
        ).first()
        if case_id is not None:
            return session.get(Case, case_id)
    match = REFERENCE_RE.search(message.subject or "")
    if match:
        reference = f"AVG-{match.group(1)}-{match.group(2)}".upper()
        return session.exec(select(Case).where(Case.reference == reference)).one_or_none()
    return None


def opens_case(labels: Sequence[str]) -> bool:
    return any(label in COMBINING for label in labels)


def open_case(session: Session, message: InboundMessage, *, settings: Settings) -> Case:
    """Open a case for ``message`` (in the caller's transaction) and link the message:
    rights, deadlines, duplicate flag and suggested link included."""
    from avgdesk.triage.cases.lifecycle import new_case_deadlines, setup_new_case

    received: datetime = message.received_at
    reference = next_reference(session, received.astimezone(settings.tz).year)
    rights = [label for label in message.labels if label in RIGHTS]
    values: dict[str, Any] = {
        "reference": reference,
        "state": CaseState.NEW,
        "requester_email": message.requester_email,
        "requester_name": message.requester_name,
        "rights": rights,
        "is_complaint": "complaint" in message.labels,
        "language": reply_language(message.language),
        "via_form": message.via_form,
        "received_at": received,
        # Given, not defaulted: pydantic reads every default factory's signature per object.
        "created_at": (now := utcnow()),
        "updated_at": now,
    }
    reserved = session.info.get(CASE_IDS_KEY)
    if reserved is None:
        case = Case(**values)
    else:
        # The row waits for the batch's commit (below); the object is made as if read from
        # it, without Case's __init__ (a quarter of a millisecond per case, issue 16).
        case = as_loaded(Case, column_values(Case, **values, id=reserved()))
    new_case_deadlines(case, settings)  # in the INSERT, not an UPDATE after it
    if reserved is None:
        _insert_now(session, case)
    message.case_id = case.id
    audit.record(
        session,
        actor="system:triage",
        action="case.opened",
        case_id=case.id,
        message_pk=message.id,
        after={"state": case.state.value, "rights": rights, "complaint": case.is_complaint},
    )
    setup_new_case(session, case, settings)
    if reserved is not None:
        _keep_back(session, case)
    return case


def _insert_now(session: Session, case: Case) -> None:
    """INSERT the case at once, alone, and keep ``case`` as its persistent row (issue 16).

    A flush would write everything else pending as well, one statement per object; the
    rows that need the case's id (rights, tasks, the message's link, audit events, drafts)
    then wait for the batch's commit, where rows of one table go together."""
    table = Case.__table__  # type: ignore[attr-defined]
    values = {c.key: getattr(case, c.key) for c in table.columns if c.key != "id"}
    case.id = session.connection().execute(table.insert().returning(table.c.id), values).scalar_one()
    make_transient_to_detached(case)  # as if loaded: later changes are UPDATEs
    session.add(case)


def _keep_back(session: Session, case: Case) -> None:
    """A processing batch's case: its row, with its final columns (duplicate flag and
    suggested link included), goes with the batch's other cases before their rights and
    tasks (``lifecycle.PENDING_ROWS_KEY``); ``case`` is kept as that row from now on."""
    from avgdesk.triage.cases.lifecycle import insert_rows

    table = Case.__table__  # type: ignore[attr-defined]
    insert_rows(session, table, [{c.key: getattr(case, c.key) for c in table.columns}])
    make_transient_to_detached(case)  # as if loaded: later changes are UPDATEs after the INSERT
    session.add(case)


def attach(session: Session, case: Case, message: InboundMessage, *, how: str) -> None:
    message.case_id = case.id
    audit.record(
        session,
        actor="system:triage",
        action="message.attached",
        case_id=case.id,
        message_pk=message.id,
        how=how,
    )
