"""workspace hold (why and since when a workspace's outbox waits: Slack refused its bot token), seen events
(each Slack event is handled once, whatever Slack's retries and however many replicas), and paused feed alerts
(the bot cannot post in the feed's channel)

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
    op.add_column('outbox', sa.Column('dead_at', sa.DateTime(), nullable=True))
    op.add_column('feeds', sa.Column('alerts_paused', sa.Text(), nullable=True))
    op.add_column('feeds', sa.Column('alerts_paused_at', sa.DateTime(), nullable=True))
    op.create_table('seen_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seen_events')),
    sa.UniqueConstraint('team_id', 'event_id', name=op.f('uq_seen_events_team_id')),
    )
    with op.batch_alter_table('seen_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seen_events_seen_at'), ['seen_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('seen_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seen_events_seen_at'))
    op.drop_table('seen_events')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('dead_at')
    with op.batch_alter_table('feeds', schema=None) as batch_op:
        batch_op.drop_column('alerts_paused_at')
        batch_op.drop_column('alerts_paused')
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.drop_column('held_since')
        batch_op.drop_column('held_reason')
