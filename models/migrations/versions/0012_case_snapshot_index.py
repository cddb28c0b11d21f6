"""issue 16: a covering index for the dashboard's backlog snapshot on SQLite

The snapshot is one pass over the open cases (queries._open_groups) that reads state, due
date, complaint flag, extension columns and rights. From the table, that is a lookup of a
wide row per open case (8,000 at 20k cases), and every write to the database (a web session
is touched on each request) empties a reader's page cache; from this index it is a walk of
a narrow index: 36 -> 12 ms CPU for the statement at 20k cases. PostgreSQL keeps the heap
rows in shared buffers and cannot put a json column in a btree key: nothing changes there.

The index exists on SQLite only, so models.migrate.include_object leaves it out of the
comparison with the metadata.

Revision ID: 0012
Revises: 0011
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = 'ix_case_open_snapshot'
COLUMNS = 'state, due_date, is_complaint, extended_at, extension_notice_sent_at, rights'


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'CREATE INDEX {NAME} ON "case" ({COLUMNS})')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'DROP INDEX IF EXISTS {NAME}')
