"""Intake: IMAP → local store, effectively once.

One pass (:meth:`Intake.sync_once`), bounded by ``ingest_run_max_messages``:

1. SELECT the folder; if UIDVALIDITY changed, the UID cursor is void: rescan the
   whole folder and let the content key find what is already stored.
2. Candidate UIDs: with ``move`` everything still in the folder (processed mail has
   left it); with ``seen`` the UIDs above the cursor, filtered client-side.
3. UIDs already stored under this UIDVALIDITY only need their server action
   redone (a crash hit between commit and action).
4. New UIDs: metadata, then ``BODY.PEEK[]`` in batches bounded by count and bytes;
   each batch's rows and raw bytes are committed in ONE transaction, and only then is
   the server copy moved or flagged. A message over the size limit is stored as a
   header-only record with the reason.

The unique key is sha256(Message-ID, sha256(raw)), so a crash between commit and
server action only makes the next pass skip the insert and redo the action.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from avgdesk.mailbox.imap import FolderState, ImapGateway, MessageMeta
from avgdesk.mailbox.parsing import (
    dedupe_key,
    derived_message_id,
    raw_sha256,
    read_message_id,
)
from avgdesk.models.engine import session_scope
from avgdesk.models.errors import ConfigurationError
from avgdesk.models.tables import InboundMessage, MailboxCursor, MessageRaw, MessageSource, new_message_values
from avgdesk.models.types import utcnow
from avgdesk.triage.settings import ServerAction, Settings

log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    stored: int = 0
    duplicates: int = 0
    acked: int = 0
    oversized: int = 0
    vanished: int = 0
    uidvalidity_reset: bool = False
    more_waiting: bool = False
    stored_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Fetched:
    uid: int
    raw: bytes
    meta: MessageMeta
    truncated_reason: str | None = None


class Intake:
    """Moves mail from one IMAP folder into the store. Not thread-safe: one per poller."""

    def __init__(self, engine: Engine, settings: Settings, clock: Callable[[], datetime] = utcnow) -> None:
        if settings.imap_server_action is ServerAction.MOVE and (
            settings.imap_processed_folder == settings.imap_folder
        ):
            raise ConfigurationError("AVGDESK_IMAP_PROCESSED_FOLDER must differ from AVGDESK_IMAP_FOLDER")
        self.engine = engine
        self.settings = settings
        self.account = settings.imap_account
        self.folder = settings.imap_folder
        self.clock = clock
        self._folder_ready = False

    # ------------------------------------------------------------------------------
    def sync_once(self, imap: ImapGateway) -> IngestResult:
        s = self.settings
        result = IngestResult()
        if s.imap_server_action is ServerAction.MOVE and not self._folder_ready:
            imap.ensure_folder(s.imap_processed_folder)
            self._folder_ready = True
        state = imap.select(self.folder)
        cursor = self._cursor_for(state, result)

        after = cursor.last_uid if s.imap_server_action is ServerAction.SEEN else 0
        candidates = imap.search_uids(after)
        if len(candidates) > s.ingest_run_max_messages:
            candidates = candidates[: s.ingest_run_max_messages]
            result.more_waiting = True

        known = self._known_uids(state.uidvalidity, candidates)
        redo = [uid for uid in candidates if uid in known]
        if redo:
            log.info("intake redoing server action for %d stored message(s)", len(redo))
            self._server_action(imap, redo)
            self._mark_acked(state.uidvalidity, redo)
            result.acked += len(redo)

        new = [uid for uid in candidates if uid not in known]
        for batch in self._body_batches(imap, new, result):
            self._store_batch(batch, state.uidvalidity, result)
            uids = [f.uid for f in batch]
            self._server_action(imap, uids)
            self._mark_acked(state.uidvalidity, uids)
            result.acked += len(uids)

        self._heartbeat(state, candidates)
        return result

    # --- cursor ------------------------------------------------------------------------
    def _cursor_query(self) -> SelectOfScalar[MailboxCursor]:
        return select(MailboxCursor).where(
            MailboxCursor.account == self.account, MailboxCursor.folder == self.folder
        )

    def _cursor_for(self, state: FolderState, result: IngestResult) -> MailboxCursor:
        with session_scope(self.engine) as session:
            cursor = session.exec(self._cursor_query()).one_or_none()
            if cursor is None:
                cursor = MailboxCursor(
                    account=self.account, folder=self.folder, uidvalidity=state.uidvalidity
                )
                session.add(cursor)
            elif cursor.uidvalidity != state.uidvalidity:
                log.warning(
                    "UIDVALIDITY of %s changed (%s -> %s): rescanning the folder",
                    self.folder,
                    cursor.uidvalidity,
                    state.uidvalidity,
                )
                cursor.uidvalidity = state.uidvalidity
                cursor.last_uid = 0
                result.uidvalidity_reset = True
            # Crash after: harmless, the cursor only narrows the next search.
            session.commit()
            return cursor

    def _heartbeat(self, state: FolderState, candidates: Sequence[int]) -> None:
        with session_scope(self.engine) as session:
            cursor = session.exec(self._cursor_query()).one()
            cursor.last_poll_at = self.clock()
            cursor.last_error = None
            if candidates and cursor.uidvalidity == state.uidvalidity:
                cursor.last_uid = max(cursor.last_uid, max(candidates))
            # Crash before: the next pass searches a little more; nothing is lost.
            session.commit()

    def record_poll(self) -> None:
        """Move ``last_poll_at`` while IDLE waits without news: a live session is visible."""
        with session_scope(self.engine) as session:
            session.execute(
                update(MailboxCursor)
                .where(col(MailboxCursor.account) == self.account, col(MailboxCursor.folder) == self.folder)
                .values(last_poll_at=self.clock())
            )
            # Crash either side: only the status display is affected.
            session.commit()

    def record_error(self, message: str) -> None:
        """Keep the last intake error visible in ``avgdesk status``."""
        with session_scope(self.engine) as session:
            cursor = session.exec(self._cursor_query()).one_or_none()
            if cursor is None:
                cursor = MailboxCursor(account=self.account, folder=self.folder)
                session.add(cursor)
            cursor.last_error = message[:500]
            cursor.last_error_at = self.clock()
            # Crash either side: only the status display is affected.
            session.commit()

    # --- fetching ------------------------------------------------------------------------
    def _known_uids(self, uidvalidity: int, candidates: Sequence[int]) -> set[int]:
        if not candidates:
            return set()
        lo, hi = min(candidates), max(candidates)
        with Session(self.engine) as session:
            rows = session.exec(
                select(InboundMessage.uid).where(
                    InboundMessage.account == self.account,
                    InboundMessage.folder == self.folder,
                    InboundMessage.uidvalidity == uidvalidity,
                    col(InboundMessage.uid) >= lo,
                    col(InboundMessage.uid) <= hi,
                )
            )
            stored = {int(u) for u in rows if u is not None}
        return stored & set(candidates)

    def _body_batches(
        self, imap: ImapGateway, uids: Sequence[int], result: IngestResult
    ) -> Iterator[list[_Fetched]]:
        """Fetch metadata, then yield bodies batch by batch (bounded by count and bytes), so
        each batch is committed and acknowledged before the next is fetched: memory stays
        bounded and a failure mid-run keeps what was already stored."""
        s = self.settings
        if not uids:
            return
        metas = imap.fetch_meta(uids)
        result.vanished += len(set(uids) - set(metas))
        plan: list[list[MessageMeta]] = []
        current: list[MessageMeta] = []
        current_bytes = 0
        for uid in uids:
            meta = metas.get(uid)
            if meta is None:
                continue
            size = meta.size if meta.size <= s.imap_max_message_bytes else 0
            if current and (
                len(current) >= s.imap_fetch_batch_messages or current_bytes + size > s.imap_fetch_batch_bytes
            ):
                plan.append(current)
                current, current_bytes = [], 0
            current.append(meta)
            current_bytes += size
        if current:
            plan.append(current)

        for group in plan:
            batch: list[_Fetched] = []
            small = [m.uid for m in group if m.size <= s.imap_max_message_bytes]
            large = [m.uid for m in group if m.size > s.imap_max_message_bytes]
            bodies = imap.fetch_bodies(small)
            heads = imap.fetch_headers(large)
            for meta in group:
                if meta.uid in bodies:
                    batch.append(_Fetched(meta.uid, bodies[meta.uid], meta))
                elif meta.uid in heads:
                    result.oversized += 1
                    reason = (
                        f"message of {meta.size} bytes exceeds the limit of {s.imap_max_message_bytes} bytes;"
                        " only the header was stored, the full message stays on the server"
                    )
                    batch.append(_Fetched(meta.uid, heads[meta.uid], meta, reason))
                else:
                    result.vanished += 1
            if batch:
                yield batch

    # --- storing -------------------------------------------------------------------------
    def _store_batch(self, batch: Sequence[_Fetched], uidvalidity: int, result: IngestResult) -> None:
        """Insert the batch's rows and raw bytes in one transaction (Core inserts: building
        thousands of ORM objects costs more than the IMAP fetch itself)."""
        now = self.clock()
        rows = [(self._values(item, uidvalidity, now), item.raw) for item in batch]
        with session_scope(self.engine) as session:
            keys = [values["dedupe_key"] for values, _ in rows]
            existing = set(
                session.exec(
                    select(InboundMessage.dedupe_key).where(col(InboundMessage.dedupe_key).in_(keys))
                )
            )
            fresh: list[tuple[dict[str, Any], bytes]] = []
            seen: set[str] = set()
            for values, raw in rows:
                key = values["dedupe_key"]
                if key in existing or key in seen:
                    result.duplicates += 1
                    continue
                seen.add(key)
                fresh.append((values, raw))
            if fresh:
                ids = (
                    session.execute(
                        insert(InboundMessage).returning(
                            col(InboundMessage.id), sort_by_parameter_order=True
                        ),
                        [values for values, _ in fresh],
                    )
                    .scalars()
                    .all()
                )
                session.execute(
                    insert(MessageRaw),
                    [{"message_pk": pk, "data": raw} for pk, (_, raw) in zip(ids, fresh, strict=True)],
                )
                result.stored_ids.extend(int(pk) for pk in ids)
            # Crash before: nothing stored, the server copy untouched; the next pass refetches.
            # Crash after: stored; the next pass finds the UIDs stored and only redoes the
            # server action (or the dedupe key skips the insert after a UIDVALIDITY change).
            session.commit()
            result.stored += len(fresh)

    def _values(self, item: _Fetched, uidvalidity: int, now: datetime) -> dict[str, Any]:
        """The new row of one fetched message (dedupe key, Message-ID, receipt time)."""
        digest = raw_sha256(item.raw)
        mid = read_message_id(item.raw)
        derived = mid is None
        if mid is None:
            mid = derived_message_id(digest)
        received_at, source = (
            (item.meta.internaldate, "internaldate") if item.meta.internaldate else (now, "ingest_time")
        )
        return new_message_values(
            dedupe_key=dedupe_key(mid, digest),
            message_id=mid,
            message_id_derived=derived,
            raw_sha256=digest,
            size_bytes=item.meta.size or len(item.raw),
            source=MessageSource.IMAP,
            account=self.account,
            folder=self.folder,
            uidvalidity=uidvalidity,
            uid=item.uid,
            received_at=received_at,
            received_at_source=source,
            ingested_at=now,
            truncated_reason=item.truncated_reason,
        )

    def _server_action(self, imap: ImapGateway, uids: Sequence[int]) -> None:
        if not uids:
            return
        if self.settings.imap_server_action is ServerAction.MOVE:
            # Crash before: the message stays in the folder; the next pass sees its UID
            # stored and moves it then. Crash after: it has left the folder; done.
            imap.move(uids, self.settings.imap_processed_folder)
        else:
            # Crash before or after: the cursor has not advanced; the next pass flags again.
            imap.mark_seen(uids)

    def _mark_acked(self, uidvalidity: int, uids: Sequence[int]) -> None:
        with session_scope(self.engine) as session:
            session.execute(
                update(InboundMessage)
                .where(
                    col(InboundMessage.account) == self.account,
                    col(InboundMessage.folder) == self.folder,
                    col(InboundMessage.uidvalidity) == uidvalidity,
                    col(InboundMessage.uid).in_(list(uids)),
                )
                .values(server_acked=True)
            )
            # Crash before: server_acked stays false, which only affects status display.
            session.commit()
