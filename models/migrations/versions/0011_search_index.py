"""issue 16: an index for the queue's search (reference, requester name and address, subject)

SQLite: two FTS5 tables with the trigram tokenizer over the rows they index (external
content, so nothing is stored twice but the index): ``case_search`` (reference,
requester_name, requester_email of ``case``) and ``message_search`` (subject of
``inbound_message``), kept in step by triggers on insert, update of those columns and
delete, so every writer (the worker, the web, retention, bulk inserts) keeps them right.
The queue uses them for terms of three characters or more and checks each hit with the
same LIKE as before, so a search finds exactly what it found without the index.

PostgreSQL: a pg_trgm GIN index on the subjects (40,000 messages were scanned with ILIKE
for every search); the queue's ILIKE uses it as it is. Where pg_trgm is not installed (or
may not be created), no index is made and the search is the plain scan it was.

A later migration that recreates ``case`` or ``inbound_message`` on SQLite (a batch
"move and copy") drops their triggers: it must create them again (``_sqlite_triggers``).
tests/triage/cases/test_search_index.py checks that they exist at head.

Revision ID: 0011
Revises: 0010
"""
from collections.abc import Sequence

from alembic import op
from sqlalchemy import text
from sqlalchemy.engine import Connection

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# index table, content table, its columns
FTS_TABLES = (
    ('case_search', 'case', ('reference', 'requester_name', 'requester_email')),
    ('message_search', 'inbound_message', ('subject',)),
)
PG_INDEXES = (('ix_inbound_message_subject_trgm', 'inbound_message', 'subject'),)
"""Only the subjects: the queue filters the cases first (open ones, a right, a due date) and
reads the three case columns of those; PostgreSQL's planner took a sequential scan of all
cases over the GIN indexes of those columns for common names (measured at 20k cases)."""
SQLITE_TRIGRAM = (3, 34, 0)
"""The first SQLite with FTS5's trigram tokenizer."""


def _sqlite_triggers(fts: str, table: str, columns: Sequence[str]) -> list[str]:
    names = ', '.join(columns)
    new = ', '.join(f'new.{c}' for c in columns)
    old = ', '.join(f'old.{c}' for c in columns)
    insert = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"
    # An external-content index forgets a row by being told the values it indexed.
    delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
    return [
        f'CREATE TRIGGER {fts}_ai AFTER INSERT ON "{table}" BEGIN {insert} END',
        f'CREATE TRIGGER {fts}_ad AFTER DELETE ON "{table}" BEGIN {delete} END',
        f'CREATE TRIGGER {fts}_au AFTER UPDATE OF {names} ON "{table}" BEGIN {delete} {insert} END',
    ]


def _sqlite_has_trigram(conn: Connection) -> bool:
    version = tuple(int(p) for p in conn.execute(text('SELECT sqlite_version()')).scalar_one().split('.'))
    fts5 = conn.execute(text("SELECT sqlite_compileoption_used('ENABLE_FTS5')")).scalar_one()
    return version >= SQLITE_TRIGRAM and bool(fts5)


def _pg_has_trigram(conn: Connection) -> bool:
    available = conn.execute(
        text("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'")
    ).scalar_one()
    if not available:
        return False
    savepoint = conn.begin_nested()
    try:
        conn.execute(text('CREATE EXTENSION IF NOT EXISTS pg_trgm'))
    except Exception:  # not allowed to create it here: the search keeps its plain scan
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == 'sqlite':
        if not _sqlite_has_trigram(conn):
            return
        for fts, table, columns in FTS_TABLES:
            op.execute(
                f"CREATE VIRTUAL TABLE {fts} USING fts5({', '.join(columns)}, "
                f"content='{table}', content_rowid='id', tokenize='trigram')"
            )
            # The rows already there; the triggers keep it in step from now on.
            op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
            for trigger in _sqlite_triggers(fts, table, columns):
                op.execute(trigger)
    elif conn.dialect.name == 'postgresql' and _pg_has_trigram(conn):
        for name, table, column in PG_INDEXES:
            op.execute(f'CREATE INDEX {name} ON "{table}" USING gin ({column} gin_trgm_ops)')


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == 'sqlite':
        for fts, _, _ in FTS_TABLES:
            for suffix in ('ai', 'ad', 'au'):
                op.execute(f'DROP TRIGGER IF EXISTS {fts}_{suffix}')
            op.execute(f'DROP TABLE IF EXISTS {fts}')
    elif conn.dialect.name == 'postgresql':
        # The extension stays: other databases objects may use it, and it holds no data.
        for name, _, _ in PG_INDEXES:
            op.execute(f'DROP INDEX IF EXISTS {name}')
