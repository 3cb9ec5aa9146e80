"""linked channels (issue 15, touches the bot can see): channels linked to an account (channel_links), the
touch of each link and UTC day (channel_touches, pointing at the interaction it counts as) and the Slack user
ids that took part in it (channel_touch_users). Metadata only: no message text is stored.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 00:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('channel_links',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('channel_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', BIG_ID, nullable=False),
    sa.Column('linked_by', sa.String(length=32), nullable=False),
    sa.Column('linked_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_channel_links_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_channel_links_team_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_links')),
    sa.UniqueConstraint('team_id', 'channel_id', 'account_id', name=op.f('uq_channel_links_team_id'))
    )
    with op.batch_alter_table('channel_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_links_account_id'), ['account_id'], unique=False)
    op.create_table('channel_touches',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('link_id', BIG_ID, nullable=False),
    sa.Column('interaction_id', BIG_ID, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], name=op.f('fk_channel_touches_interaction_id_interactions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['link_id'], ['channel_links.id'], name=op.f('fk_channel_touches_link_id_channel_links'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_channel_touches_team_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_touches')),
    sa.UniqueConstraint('link_id', 'day', name=op.f('uq_channel_touches_link_id'))
    )
    with op.batch_alter_table('channel_touches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_touches_interaction_id'), ['interaction_id'], unique=False)
    op.create_table('channel_touch_users',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('touch_id', BIG_ID, nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_channel_touch_users_team_id_workspaces')),
    sa.ForeignKeyConstraint(['touch_id'], ['channel_touches.id'], name=op.f('fk_channel_touch_users_touch_id_channel_touches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_touch_users')),
    sa.UniqueConstraint('touch_id', 'user_id', name=op.f('uq_channel_touch_users_touch_id'))
    )


def downgrade() -> None:
    op.drop_table('channel_touch_users')
    with op.batch_alter_table('channel_touches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_touches_interaction_id'))
    op.drop_table('channel_touches')
    with op.batch_alter_table('channel_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_links_account_id'))
    op.drop_table('channel_links')
