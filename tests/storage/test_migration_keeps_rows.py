"""Upgrading an SQLite database that holds data keeps every row: SQLite rebuilds a table to change its
constraints, and with foreign keys enforced the rebuild would cascade-delete the rows that reference it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from storage.db import make_engine, upgrade_schema


def test_upgrading_to_head_keeps_contacts_touches_and_revenue(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade_schema(engine, "0008")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO workspaces (team_id, created_at) VALUES ('T1', '2026-01-01')"))
        conn.execute(text(
            "INSERT INTO accounts (id, team_id, name, name_key, stage, aliases, exclusions, decision_makers,"
            " created_at, updated_at) VALUES (1, 'T1', 'Acme', 'acme', 'client', '[]', '[]', 0, '2026-01-01', '2026-01-01')"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO contacts (id, team_id, account_id, name, name_key, role, active)"
            " VALUES (1, 'T1', 1, 'Ann', 'ann', 'user', 1)"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO interactions (team_id, account_id, occurred_at, kind, contact_id, dedup_key)"
            " VALUES ('T1', 1, '2026-02-01', 'call', 1, 'k1')"
        ))  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO revenue_months (team_id, account_id, month, amount) VALUES ('T1', 1, '2026-01-01', 5)"
            )
        )
    upgrade_schema(engine)
    with engine.connect() as conn:
        counts = [conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608 - fixed table names
                  for t in ("accounts", "contacts", "interactions", "revenue_months", "interaction_contacts")]  # fmt: skip
        fk_on = conn.execute(text("PRAGMA foreign_keys")).scalar_one()
    engine.dispose()
    assert counts == [1, 1, 1, 1, 1]
    assert fk_on == 1
