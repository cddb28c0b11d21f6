"""issue 16: indexes for every filter and sort of the staff pages (queue, dashboard, drafts,
summary, reminders, breach list)

Revision ID: 0008
Revises: 0007
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INDEXES = (
    # name, table, columns
    ('ix_case_state_due', 'case', ['state', 'due_date']),
    ('ix_case_assignee', 'case', ['assignee']),
    ('ix_case_received_at', 'case', ['received_at']),
    ('ix_case_closed_at', 'case', ['closed_at']),
    ('ix_draft_state_created', 'draft', ['state', 'created_at']),
    ('ix_draft_created_at', 'draft', ['created_at']),
    ('ix_reminder_sent_day', 'reminder_sent', ['day']),
    ('ix_audit_event_action', 'audit_event', ['action']),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
