"""``case.answers_checked_at``: how far ``lifecycle.mark_answered`` read a case's sent letters

The worker's pass after every outbox run (15 s) read every open partly answered case and its
letters (0.8 s CPU at 20,000 such cases); now only a case with an answer letter sent after
its last check is read (0.07 s CPU on SQLite, the SQL check of the open cases). Empty at
first: the next pass reads every case once.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import avgdesk.models.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    column = sa.Column("answers_checked_at", avgdesk.models.types.UTCDateTime(), nullable=True)
    op.add_column("case", column)  # no table rebuild on SQLite


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # no batch rebuild: see 0013
        op.execute('ALTER TABLE "case" DROP COLUMN answers_checked_at')
    else:
        op.drop_column("case", "answers_checked_at")
