"""channel.voice_only: replies spoken instead of written, where the platform has voice notes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 15:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('channel') as batch:
        batch.add_column(sa.Column('voice_only', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('channel') as batch:
        batch.drop_column('voice_only')
