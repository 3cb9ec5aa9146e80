"""outbox facts compressed with lz4 on PostgreSQL (where the server has it)

A digest's facts are a few kilobytes of JSON, written once by a job and read once by the relay: lz4 compresses
and decompresses them several times faster than the default pglz, at a similar size. PostgreSQL 14 and later
built with lz4 (the usual packages are) get it; other servers and SQLite keep their default.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 11:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

HAS_LZ4 = "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"


def _lz4_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or (bind.dialect.server_version_info or (0,)) < (14,):
        return False
    return bool(bind.execute(sa.text(HAS_LZ4)).scalar())


def upgrade() -> None:
    if _lz4_available():
        op.execute("ALTER TABLE outbox ALTER COLUMN facts SET COMPRESSION lz4")


def downgrade() -> None:
    if _lz4_available():
        op.execute("ALTER TABLE outbox ALTER COLUMN facts SET COMPRESSION pglz")
