"""CRM identity: source and source id on accounts, contacts and touches; every contact of a touch; deals

Accounts and contacts of accountbot's own files (source_id NULL) stay unique by name; CRM records are unique by
(team, source, source id), so two CRM companies may share a name. interaction_contacts is filled from
interactions.contact_id.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 18:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
NATIVE = sa.text('source_id IS NULL')


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('source_id', sa.String(length=255), nullable=True))
        batch_op.drop_constraint('uq_accounts_team_id', type_='unique')
        batch_op.create_unique_constraint('uq_accounts_source_id', ['team_id', 'source', 'source_id'])
    op.create_index('uq_accounts_team_name_key', 'accounts', ['team_id', 'name_key'], unique=True,
                    sqlite_where=NATIVE, postgresql_where=NATIVE)
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('source_id', sa.String(length=255), nullable=True))
        batch_op.drop_constraint('uq_contacts_account_id', type_='unique')
        batch_op.create_unique_constraint('uq_contacts_source_id', ['team_id', 'source', 'source_id'])
    op.create_index('uq_contacts_account_name_key', 'contacts', ['account_id', 'name_key'], unique=True,
                    sqlite_where=NATIVE, postgresql_where=NATIVE)
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('source_id', sa.String(length=255), nullable=True))
    op.create_table('interaction_contacts',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('interaction_id', BIG_ID, nullable=False),
    sa.Column('contact_id', BIG_ID, nullable=False),
    sa.Column('account_id', BIG_ID, nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('colleague', sa.String(length=320), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_interaction_contacts_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], name=op.f('fk_interaction_contacts_interaction_id_interactions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_interaction_contacts_team_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interaction_contacts')),
    sa.UniqueConstraint('interaction_id', 'contact_id', name=op.f('uq_interaction_contacts_interaction_id'))
    )
    with op.batch_alter_table('interaction_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interaction_contacts_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_interaction_contacts_team_account_when', ['team_id', 'account_id', 'occurred_at'], unique=False)
    op.execute(
        "INSERT INTO interaction_contacts (team_id, interaction_id, contact_id, account_id, occurred_at, colleague)"
        " SELECT team_id, id, contact_id, account_id, occurred_at, colleague FROM interactions"
        " WHERE contact_id IS NOT NULL"
    )
    op.create_table('deals',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.String(length=255), nullable=False),
    sa.Column('account_id', BIG_ID, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('amount', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_deals_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], name=op.f('fk_deals_team_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deals')),
    sa.UniqueConstraint('team_id', 'source', 'source_id', name=op.f('uq_deals_team_id'))
    )
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deals_account_id'), ['account_id'], unique=False)


def downgrade() -> None:
    op.drop_table('deals')
    op.drop_table('interaction_contacts')
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.drop_column('source_id')
        batch_op.drop_column('source')
    op.drop_index('uq_contacts_account_name_key', table_name='contacts')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_constraint('uq_contacts_source_id', type_='unique')
        batch_op.create_unique_constraint('uq_contacts_account_id', ['account_id', 'name_key'])
        batch_op.drop_column('source_id')
        batch_op.drop_column('source')
    op.drop_index('uq_accounts_team_name_key', table_name='accounts')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint('uq_accounts_source_id', type_='unique')
        batch_op.create_unique_constraint('uq_accounts_team_id', ['team_id', 'name_key'])
        batch_op.drop_column('source_id')
        batch_op.drop_column('source')
