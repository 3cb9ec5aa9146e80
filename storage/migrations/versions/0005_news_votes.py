"""news votes: one "Not relevant" vote per person and mention

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:20:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('news_votes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('mention_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['mention_id'], ['news_mentions.id'], name=op.f('fk_news_votes_mention_id_news_mentions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_news_votes_team_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_news_votes')),
    sa.UniqueConstraint('team_id', 'mention_id', 'user_id', name=op.f('uq_news_votes_team_id'))
    )
    with op.batch_alter_table('news_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_news_votes_mention_id'), ['mention_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_news_votes_team_id'), ['team_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('news_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_news_votes_team_id'))
        batch_op.drop_index(batch_op.f('ix_news_votes_mention_id'))

    op.drop_table('news_votes')
