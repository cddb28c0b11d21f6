"""issue 17: time-limited download links for replies too large to attach

Revision ID: 0009
Revises: 0008
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import avgdesk.models.types


revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_STR = sqlmodel.sql.sqltypes.AutoString
_TS = avgdesk.models.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        'download_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_sha256', _STR(length=64), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('draft_id', sa.Integer(), nullable=False),
        sa.Column('attachment_id', sa.Integer(), nullable=False),
        sa.Column('expires_at', _TS(timezone=True), nullable=False),
        sa.Column('max_downloads', sa.Integer(), nullable=False),
        sa.Column('downloads', sa.Integer(), nullable=False),
        sa.Column('revoked_at', _TS(timezone=True), nullable=True),
        sa.Column('created_by', _STR(), nullable=False),
        sa.Column('created_at', _TS(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case.id']),
        sa.ForeignKeyConstraint(['draft_id'], ['draft.id']),
        sa.ForeignKeyConstraint(['attachment_id'], ['draft_attachment.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_sha256'),
    )
    op.create_index(op.f('ix_download_link_case_id'), 'download_link', ['case_id'], unique=False)
    op.create_index(op.f('ix_download_link_draft_id'), 'download_link', ['draft_id'], unique=False)
    op.create_index(op.f('ix_download_link_attachment_id'), 'download_link', ['attachment_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_download_link_attachment_id'), table_name='download_link')
    op.drop_index(op.f('ix_download_link_draft_id'), table_name='download_link')
    op.drop_index(op.f('ix_download_link_case_id'), table_name='download_link')
    op.drop_table('download_link')
