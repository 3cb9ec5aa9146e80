"""latest touches: each account's latest interaction and latest review (storage.last_touch), filled in

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 12:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('latest_touches',
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('last_touch_at', sa.DateTime(), nullable=True),
    sa.Column('last_review_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_latest_touches_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_latest_touches_team_id_workspaces')),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_latest_touches'))
    )
    with op.batch_alter_table('latest_touches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_latest_touches_team_id'), ['team_id'], unique=False)
    op.execute(  # an account's interactions in its own workspace (as storage.last_touch.recompute)
        "INSERT INTO latest_touches (account_id, team_id, last_touch_at, last_review_at)"
        " SELECT a.id, a.team_id, max(i.occurred_at), max(CASE WHEN i.kind = 'review' THEN i.occurred_at END)"
        " FROM interactions i JOIN accounts a ON a.id = i.account_id AND a.team_id = i.team_id"
        " GROUP BY a.id, a.team_id"
    )


def downgrade() -> None:
    with op.batch_alter_table('latest_touches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_latest_touches_team_id'))
    op.drop_table('latest_touches')
