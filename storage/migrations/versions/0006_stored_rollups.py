"""stored rollups: each account's active decision makers and revenue windows, the month they are for, and
the changes since

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
    op.create_table('rollup_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_rollup_changes_team_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollup_changes'))
    )
    with op.batch_alter_table('rollup_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rollup_changes_team_id'), ['team_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rollup_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rollup_changes_team_id'))
    op.drop_table('rollup_changes')
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.drop_column('rollups_for')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('revenue_prior')
        batch_op.drop_column('revenue_recent')
        batch_op.drop_column('sole_decision_maker')
        batch_op.drop_column('decision_makers')
