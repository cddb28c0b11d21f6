"""issue 15: the classifier's runner-up label (label + score) stored with the message

Revision ID: 0007
Revises: 0006
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_message') as batch:
        batch.add_column(sa.Column('runner_up', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('inbound_message') as batch:
        batch.drop_column('runner_up')
