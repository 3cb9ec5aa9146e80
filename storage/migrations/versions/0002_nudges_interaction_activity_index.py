"""nudges: covering index for the per-account activity aggregates (last touch, reviews, contacts, pairs)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 07:10:00
"""
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.create_index(
            'ix_interactions_team_activity',
            ['team_id', 'account_id', 'occurred_at', 'kind', 'contact_id', 'colleague'],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.drop_index('ix_interactions_team_activity')
