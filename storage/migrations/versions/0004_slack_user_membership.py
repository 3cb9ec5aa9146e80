"""slack users: membership (member, guest, outsider, bot) next to the cached admin flag

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('slack_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('membership', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('slack_users', schema=None) as batch_op:
        batch_op.drop_column('membership')
