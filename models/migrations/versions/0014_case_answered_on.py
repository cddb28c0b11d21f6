"""A late answer stays visible: ``case.answered_on``, the local day of ``answers_sent_at``

After ``due_date`` the case was answered late (Art. 12(3) breached): the case page, the
queue, the dashboard, the weekly summary and the backlog snapshot say so. The snapshot
compares it with ``due_date`` in SQL, so SQLite's covering index (0012, 0013) gains it.
``answers_sent_at`` is cleared: the worker's next pass over sent letters sets both (with the
configured time zone, which a migration does not know).

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SNAPSHOT = "ix_case_open_snapshot"
OLD_COLUMNS = "state, due_date, is_complaint, extended_at, extension_notice_sent_at, rights, answers_sent_at"
NEW_COLUMNS = f"{OLD_COLUMNS}, answered_on"


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute(f"DROP INDEX IF EXISTS {SNAPSHOT}")
    op.add_column("case", sa.Column("answered_on", sa.Date(), nullable=True))  # no table rebuild
    op.execute('UPDATE "case" SET answers_sent_at = NULL')
    if sqlite:
        op.execute(f'CREATE INDEX {SNAPSHOT} ON "case" ({NEW_COLUMNS})')


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute(f"DROP INDEX IF EXISTS {SNAPSHOT}")
        # ALTER TABLE ... DROP COLUMN (SQLite 3.35): a batch rebuild of "case" fails on the
        # foreign keys of its rows and drops the search triggers (0011).
        op.execute('ALTER TABLE "case" DROP COLUMN answered_on')
        op.execute(f'CREATE INDEX {SNAPSHOT} ON "case" ({OLD_COLUMNS})')
    else:
        op.drop_column("case", "answered_on")
