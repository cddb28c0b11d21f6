"""worker claims: processing claim token and lease, outbox uncertain attempts

Revision ID: 0004
Revises: 0003
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import avgdesk.models.types


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_message') as batch:
        batch.add_column(sa.Column('claim_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.add_column(
            sa.Column('claimed_until', avgdesk.models.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table('outbox_item') as batch:
        batch.add_column(sa.Column('uncertain_attempts', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('outbox_item') as batch:
        batch.drop_column('uncertain_attempts')
    with op.batch_alter_table('inbound_message') as batch:
        batch.drop_column('claimed_until')
        batch.drop_column('claim_token')
