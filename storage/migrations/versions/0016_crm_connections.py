"""crm_connections (issue 16, the scheduled crm_sync job): per workspace and CRM the saved connection, its
secret encrypted with TOKEN_ENCRYPTION_KEYS, how often it is synced, how its last run went, and the lease
of the run syncing it now

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 23:45:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('crm_connections',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('base_url', sa.String(length=500), nullable=False),
    sa.Column('consumer_key', sa.String(length=255), nullable=True),
    sa.Column('username', sa.String(length=255), nullable=True),
    sa.Column('interval_minutes', sa.Integer(), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('saved_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('last_run_at', sa.DateTime(), nullable=True),
    sa.Column('last_ok_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.Column('failure', sa.String(length=40), nullable=True),
    sa.Column('failing_since', sa.DateTime(), nullable=True),
    sa.Column('notified_at', sa.DateTime(), nullable=True),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('leased_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_crm_connections_team_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_connections')),
    sa.UniqueConstraint('team_id', 'source', name=op.f('uq_crm_connections_team_id')),
    )


def downgrade() -> None:
    op.drop_table('crm_connections')
