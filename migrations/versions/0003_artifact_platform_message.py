"""artifact.platform_message_id: the chat post that carried a file, for replies to it

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('artifact') as batch:
        batch.add_column(sa.Column('platform_message_id',
                                   sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('artifact') as batch:
        batch.drop_column('platform_message_id')
