"""stored rollups: each account's active decision makers and revenue windows, and the month they are for

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision_makers', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('sole_decision_maker', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('revenue_recent', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('revenue_prior', sa.Float(), nullable=True))
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rollups_for', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.drop_column('rollups_for')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('revenue_prior')
        batch_op.drop_column('revenue_recent')
        batch_op.drop_column('sole_decision_maker')
        batch_op.drop_column('decision_makers')
