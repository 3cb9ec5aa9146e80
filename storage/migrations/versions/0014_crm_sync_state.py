"""crm_sync_state (issue 16, the live CRM sync): per workspace, source and object the watermark of the next
pass, the resume position inside the current one (and the earliest modification time of a touch it skipped as
future), when the last pass finished and why the last run stopped

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 19:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('crm_sync_state',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('object', sa.String(length=40), nullable=False),
    sa.Column('watermark', sa.DateTime(), nullable=True),
    sa.Column('resume', sa.Text(), nullable=True),
    sa.Column('hold', sa.DateTime(), nullable=True),
    sa.Column('last_sync_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_crm_sync_state_team_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_sync_state')),
    sa.UniqueConstraint('team_id', 'source', 'object', name=op.f('uq_crm_sync_state_team_id')),
    )


def downgrade() -> None:
    op.drop_table('crm_sync_state')
