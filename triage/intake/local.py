"""Storing a message that did not come over IMAP (the web contact form, an import).

It is stored exactly as an e-mail would be — raw RFC 5322 bytes, the same dedupe key,
state ``received`` — so the same processing makes the case, with or without a mailbox.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from avgdesk.mailbox.parsing import dedupe_key, derived_message_id, raw_sha256, read_message_id
from avgdesk.models import InboundMessage, MessageRaw, MessageSource, session_scope, utcnow


def store_local_message(
    engine: Engine,
    raw: bytes,
    *,
    source: str = "form",
    received_at: datetime | None = None,
) -> tuple[int, bool]:
    """Store ``raw``; returns ``(id, created)`` — the same bytes twice are one message."""
    digest = raw_sha256(raw)
    mid = read_message_id(raw)
    derived = mid is None
    if mid is None:
        mid = derived_message_id(digest)
    key = dedupe_key(mid, digest)
    now = utcnow()
    with session_scope(engine) as session:
        existing = session.execute(
            select(InboundMessage.id).where(InboundMessage.dedupe_key == key)  # type: ignore[call-overload]
        ).scalar_one_or_none()
        if existing is not None:
            return int(existing), False
        row = InboundMessage(
            dedupe_key=key,
            message_id=mid,
            message_id_derived=derived,
            raw_sha256=digest,
            size_bytes=len(raw),
            source=MessageSource(source),
            server_acked=True,
            received_at=received_at or now,
            received_at_source="form" if source == "form" else "ingest_time",
            ingested_at=now,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        session.add(MessageRaw(message_pk=row.id, data=raw))
        # Crash before: nothing stored and the caller saw no confirmation.
        # Crash after: stored; the worker's next pass processes it.
        session.commit()
        return row.id, True
