"""stored classification: each account's tier and grade, and the rules fingerprint they were computed with

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 09:30:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tier', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('grade', sa.String(length=1), nullable=True))
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('classified_with', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.drop_column('classified_with')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('grade')
        batch_op.drop_column('tier')
