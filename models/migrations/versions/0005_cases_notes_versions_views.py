"""cases (issue 14): extension notice sent time, internal notes, draft versions, saved views

Revision ID: 0005
Revises: 0004
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import avgdesk.models.types


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('case') as batch:
        batch.add_column(
            sa.Column('extension_notice_sent_at', avgdesk.models.types.UTCDateTime(timezone=True), nullable=True)
        )
    # Extensions made before this revision were shown as binding at once: keep them so.
    op.execute("UPDATE \"case\" SET extension_notice_sent_at = extended_at WHERE extended_at IS NOT NULL")
    op.create_table(
        'case_note',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('author', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', avgdesk.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_case_note_case_id'), 'case_note', ['case_id'], unique=False)
    op.create_table(
        'draft_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('draft_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('body_text', sa.Text(), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('editor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('how', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('created_at', avgdesk.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['draft_id'], ['draft.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('draft_id', 'version', name='uq_draft_version'),
    )
    op.create_index(op.f('ix_draft_version_draft_id'), 'draft_version', ['draft_id'], unique=False)
    op.create_table(
        'saved_view',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('query', sa.Text(), nullable=False),
        sa.Column('created_at', avgdesk.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('owner', 'name', name='uq_saved_view_owner_name'),
    )
    op.create_index(op.f('ix_saved_view_owner'), 'saved_view', ['owner'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_saved_view_owner'), table_name='saved_view')
    op.drop_table('saved_view')
    op.drop_index(op.f('ix_draft_version_draft_id'), table_name='draft_version')
    op.drop_table('draft_version')
    op.drop_index(op.f('ix_case_note_case_id'), table_name='case_note')
    op.drop_table('case_note')
    with op.batch_alter_table('case') as batch:
        batch.drop_column('extension_notice_sent_at')
