"""issue 17: identity keys on the case (customer and contract number), erasure counts and the
approver's override on case tasks

Revision ID: 0010
Revises: 0009
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import avgdesk.models.types


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table('case') as batch:
        batch.add_column(sa.Column('customer_number', _STR(length=64), nullable=True))
        batch.add_column(sa.Column('contract_number', _STR(length=64), nullable=True))
    with op.batch_alter_table('case_task') as batch:
        batch.add_column(sa.Column('erasure_counts', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('override_reason', sa.Text(), nullable=True))
        batch.add_column(sa.Column('override_by', _STR(), nullable=True))
        batch.add_column(sa.Column('override_at', avgdesk.models.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case_task') as batch:
        for name in ('override_at', 'override_by', 'override_reason', 'erasure_counts'):
            batch.drop_column(name)
    with op.batch_alter_table('case') as batch:
        batch.drop_column('contract_number')
        batch.drop_column('customer_number')
