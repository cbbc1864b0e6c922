"""message.user_id: who sent it, for quotas

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 20:50:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('message') as batch:
        batch.add_column(sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=200),
                                   nullable=True))
        batch.create_index(batch.f('ix_message_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('message') as batch:
        batch.drop_index(batch.f('ix_message_user_id'))
        batch.drop_column('user_id')
