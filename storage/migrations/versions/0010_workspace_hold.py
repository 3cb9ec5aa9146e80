"""workspace hold: why and since when a workspace's outbox waits (Slack refused its bot token)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 18:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('workspaces', sa.Column('held_reason', sa.Text(), nullable=True))
    op.add_column('workspaces', sa.Column('held_since', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.drop_column('held_since')
        batch_op.drop_column('held_reason')
