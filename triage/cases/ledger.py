"""The compliance ledger: proof of what NHMB did, kept after the case itself is purged.

Art. 5(2) and 24 AVG: the controller must be able to show that it handled requests
lawfully. Retention deletes a closed case with its mail and letters after
``retention_days``; just before that, one ledger entry per case is written. It is
content-free: reference, rights, dates (received, deadline, extended, paused, answered,
closed) with the *kind* of reason (extension ground, pause reason), the outcome per
right, who approved each letter and the sha256 of the exact bytes sent, and a possible data
breach with every decision on it (Art. 33(5): the breach register outlives the case; the
reasons stay out like every free text). No names, no addresses, no message text, no free-text
reasons.

Entries are audit events without a case (``action = "compliance.ledger"``), kept until
``closed_at + ledger_retention_days`` (default five years) and then deleted by
:func:`expire`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from avgdesk.models.tables import AuditEvent, Case, CasePause, CaseRight, Draft, DraftState, OutboxItem
from avgdesk.triage.cases import legal
from avgdesk.triage.settings import Settings

LEDGER_ACTION = "compliance.ledger"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def entry(session: Session, case: Case, settings: Settings) -> dict[str, Any]:
    """The content-free record of one case."""
    rights = session.exec(select(CaseRight).where(CaseRight.case_id == case.id))
    pauses = session.exec(select(CasePause).where(CasePause.case_id == case.id))
    events = list(session.exec(select(AuditEvent).where(AuditEvent.case_id == case.id)))
    ground = next((e.detail.get("ground") for e in events if e.action == "case.extended"), None)
    closed = case.closed_at
    return {
        "reference": case.reference,
        "rights": list(case.rights),
        "complaint": case.is_complaint,
        "received_at": _iso(case.received_at),
        "legal_deadline": _iso(case.legal_deadline),
        "extended_at": _iso(case.extended_at),
        "extended_deadline": _iso(case.extended_deadline),
        "extension_ground": ground,
        "extension_notice_sent_at": _iso(case.extension_notice_sent_at),
        "pauses": [
            {"reason": p.reason.value, "from": _iso(p.requested_at), "to": _iso(p.resumed_at)} for p in pauses
        ],
        "identity_verified_at": _iso(case.identity_verified_at),
        "outcome": case.outcome,
        "outcome_per_right": {r.right: r.status.value for r in rights},
        "closed_at": _iso(closed),
        "letters": _letters(session, case),
        "answered_at": _answered_at(session, case),
        "possible_breach": _breach(events),
        "keep_until": _iso(closed + timedelta(days=settings.ledger_retention_days) if closed else None),
    }


def _breach(events: list[AuditEvent]) -> dict[str, Any] | None:
    """When a possible breach was flagged and every decision on it (the last one stands)."""
    flag = next((e for e in events if e.action == legal.BREACH_FLAG), None)
    if flag is None:
        return None
    decided = sorted((e for e in events if e.action == legal.BREACH_DECIDED), key=lambda e: e.id or 0)
    return {
        "since": flag.detail.get("since"),
        "decisions": [
            {
                "decision": e.detail.get("decision"),
                "reported_on": e.detail.get("reported_on"),
                "decided_by": e.actor,
                "decided_at": _iso(e.at),
                "corrects_earlier": bool(e.detail.get("corrects")),
            }
            for e in decided
        ],
    }


def _letters(session: Session, case: Case) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Draft, OutboxItem)
        .join(OutboxItem, col(OutboxItem.draft_id) == col(Draft.id))
        .where(Draft.case_id == case.id, Draft.state == DraftState.SENT)
        .order_by(col(Draft.id))
    )
    return [
        {
            "kind": draft.kind,
            "approved_by": draft.approved_by,
            "approved_at": _iso(draft.approved_at),
            "sent_at": _iso(item.sent_at),
            "sha256": draft.approved_sha256,
        }
        for draft, item in rows
    ]


_SUBSTANTIVE = frozenset(
    {
        "access", "rectification", "erasure", "restriction", "portability", "objection", "refusal",
        "complaint", "objection_answer", "no_data", "withheld", "abandoned",
    }
)  # fmt: skip


def _answered_at(session: Session, case: Case) -> str | None:
    sent = [
        d.updated_at
        for d in session.exec(select(Draft).where(Draft.case_id == case.id, Draft.state == DraftState.SENT))
        if d.kind in _SUBSTANTIVE
    ]
    return _iso(max(sent)) if sent else None


def record(session: Session, cases: list[Case], settings: Settings, now: datetime) -> int:
    """Write one ledger entry per case (in the purge's transaction, before it deletes)."""
    for case in cases:
        session.add(
            AuditEvent(
                at=now, actor="system:retention", action=LEDGER_ACTION, detail=entry(session, case, settings)
            )
        )
    return len(cases)


def expire(session: Session, now: datetime) -> int:
    """Delete ledger entries past their ``keep_until`` (in the caller's transaction)."""
    old = [
        e.id
        for e in session.exec(select(AuditEvent).where(AuditEvent.action == LEDGER_ACTION))
        if e.id is not None and (keep := e.detail.get("keep_until")) and datetime.fromisoformat(keep) < now
    ]
    if old:
        session.execute(delete(AuditEvent).where(col(AuditEvent.id).in_(old)))
    return len(old)


def entries(session: Session) -> list[dict[str, Any]]:
    """Every ledger entry, oldest first (for an audit or the AP)."""
    rows = session.exec(
        select(AuditEvent).where(AuditEvent.action == LEDGER_ACTION).order_by(col(AuditEvent.id))
    )
    return [dict(e.detail) for e in rows]
