"""nudge ledger and escalation (issue 15): one row per delivered nudge, account and reason (nudge_ledger, written
by the relay as it marks the message sent), accounts escalated per ISO week (escalations), each workspace's
escalation switch and channel (escalation_settings, off unless a row says enabled) and owners' managers
(owner_managers, from an owner directory's manager column or the CLI)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 18:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('escalation_settings',
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_escalation_settings_team_id_workspaces')),
    sa.PrimaryKeyConstraint('team_id', name=op.f('pk_escalation_settings'))
    )
    op.create_table('owner_managers',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('owner', sa.String(length=320), nullable=False),
    sa.Column('manager', sa.String(length=320), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_owner_managers_team_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner_managers')),
    sa.UniqueConstraint('team_id', 'owner', name=op.f('uq_owner_managers_team_id'))
    )
    op.create_table('escalations',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('account_id', BIG_ID, nullable=False),
    sa.Column('week', sa.String(length=10), nullable=False),
    sa.Column('owner_user_id', sa.String(length=32), nullable=False),
    sa.Column('sent_to', sa.String(length=64), nullable=False),
    sa.Column('to_kind', sa.String(length=8), nullable=False),
    sa.Column('days_overdue', sa.Integer(), nullable=True),
    sa.Column('nudges_ignored', sa.Integer(), nullable=False),
    sa.Column('escalated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_escalations_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_escalations_team_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalations')),
    sa.UniqueConstraint('team_id', 'account_id', 'week', name=op.f('uq_escalations_team_id'))
    )
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.create_index('ix_escalations_team_at', ['team_id', 'escalated_at'], unique=False)
    op.create_table('nudge_ledger',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('outbox_id', BIG_ID, nullable=False),
    sa.Column('account_id', BIG_ID, nullable=False),
    sa.Column('recipient', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_nudge_ledger_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_nudge_ledger_team_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nudge_ledger')),
    sa.UniqueConstraint('team_id', 'outbox_id', 'account_id', 'reason', name=op.f('uq_nudge_ledger_team_id'))
    )
    with op.batch_alter_table('nudge_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_nudge_ledger_team_account_sent', ['team_id', 'account_id', 'sent_at'], unique=False)
        batch_op.create_index('ix_nudge_ledger_team_sent', ['team_id', 'sent_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('nudge_ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_nudge_ledger_team_sent')
        batch_op.drop_index('ix_nudge_ledger_team_account_sent')
    op.drop_table('nudge_ledger')
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_index('ix_escalations_team_at')
    op.drop_table('escalations')
    op.drop_table('owner_managers')
    op.drop_table('escalation_settings')
