"""issue 17: per-case tasks per system, collected connector rows, draft attachments

Revision ID: 0006
Revises: 0005
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import avgdesk.models.types


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_STR = sqlmodel.sql.sqltypes.AutoString
_TS = avgdesk.models.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        'case_task',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('system_id', _STR(length=40), nullable=False),
        sa.Column('right', _STR(length=32), nullable=False),
        sa.Column('title', _STR(), nullable=False),
        sa.Column(
            'status',
            sa.Enum('open', 'done', 'not_applicable', name='taskstatus', native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column('assignee', _STR(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('closed_by', _STR(), nullable=True),
        sa.Column('closed_at', _TS(timezone=True), nullable=True),
        sa.Column('created_at', _TS(timezone=True), nullable=False),
        sa.Column('updated_at', _TS(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('case_id', 'system_id', 'right', name='uq_case_task'),
    )
    op.create_index(op.f('ix_case_task_case_id'), 'case_task', ['case_id'], unique=False)
    op.create_index(op.f('ix_case_task_status'), 'case_task', ['status'], unique=False)
    op.create_table(
        'case_extract',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('system_id', _STR(length=40), nullable=False),
        sa.Column('query_name', _STR(length=60), nullable=False),
        sa.Column('category', _STR(), nullable=False),
        sa.Column('columns', sa.JSON(), nullable=False),
        sa.Column('rows', sa.JSON(), nullable=False),
        sa.Column('row_count', sa.Integer(), nullable=False),
        sa.Column('truncated', sa.Boolean(), nullable=False),
        sa.Column('collected_by', _STR(), nullable=False),
        sa.Column('collected_at', _TS(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_case_extract_case_id'), 'case_extract', ['case_id'], unique=False)
    op.create_table(
        'draft_attachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('draft_id', sa.Integer(), nullable=False),
        sa.Column('filename', _STR(length=120), nullable=False),
        sa.Column('content_type', _STR(length=100), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('sha256', _STR(length=64), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('origin', _STR(), nullable=False),
        sa.Column('uploaded_by', _STR(), nullable=False),
        sa.Column('created_at', _TS(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['draft_id'], ['draft.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('draft_id', 'filename', name='uq_draft_attachment_name'),
    )
    op.create_index(op.f('ix_draft_attachment_draft_id'), 'draft_attachment', ['draft_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_draft_attachment_draft_id'), table_name='draft_attachment')
    op.drop_table('draft_attachment')
    op.drop_index(op.f('ix_case_extract_case_id'), table_name='case_extract')
    op.drop_table('case_extract')
    op.drop_index(op.f('ix_case_task_status'), table_name='case_task')
    op.drop_index(op.f('ix_case_task_case_id'), table_name='case_task')
    op.drop_table('case_task')
