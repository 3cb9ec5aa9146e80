"""preferences: each person's digest time, days, frequency, quiet days, pause (vacation) and backup per
workspace, and the workspace defaults (user_id "*"); every setting optional (NULL: the next level decides)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 16:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('preferences',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('digest_at', sa.Time(), nullable=True),
    sa.Column('days', sa.Integer(), nullable=True),
    sa.Column('frequency', sa.String(length=8), nullable=True),
    sa.Column('weekly_day', sa.Integer(), nullable=True),
    sa.Column('quiet', sa.Boolean(), nullable=True),
    sa.Column('paused_until', sa.Date(), nullable=True),
    sa.Column('paused_since', sa.DateTime(), nullable=True),
    sa.Column('backup_user_id', sa.String(length=32), nullable=True),
    sa.Column('updated_by', sa.String(length=32), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_preferences_team_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_preferences')),
    sa.UniqueConstraint('team_id', 'user_id', name=op.f('uq_preferences_team_id')),
    )


def downgrade() -> None:
    op.drop_table('preferences')
