"""security: draft editors, suggested message links, stored sanitised HTML (issue 11)

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing drafts had no recorded editors: an empty list, as if only the author wrote them.
    op.add_column("draft", sa.Column("editors", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("draft") as batch:
        batch.alter_column("editors", server_default=None)
    op.add_column("inbound_message", sa.Column("suggested_case_id", sa.Integer(), nullable=True))
    op.add_column("inbound_message", sa.Column("html_safe", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_message") as batch:
        batch.drop_column("html_safe")
        batch.drop_column("suggested_case_id")
    with op.batch_alter_table("draft") as batch:
        batch.drop_column("editors")
