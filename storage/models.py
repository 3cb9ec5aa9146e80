"""SQLAlchemy 2 models. Every row carries `team_id`, the Slack workspace it belongs to.

Schema changes go through an Alembic migration in storage/migrations/versions/ (never edit an applied one).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite autoincrement needs INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC on every backend, returned as aware UTC; naive input is taken to be UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """A mapped class's Table, typed as such (the ORM exposes it as a generic FromClause): for Core statements."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class Workspace(Base):
    __tablename__ = "workspaces"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    news_channel: Mapped[str | None] = mapped_column(String(64))
    # Rules fingerprint (storage.stored.grades) of the accounts' stored tier and grade; None: recompute before use.
    classified_with: Mapped[str | None] = mapped_column(String(64))
    # Month and window (storage.stored.rollups) the accounts' stored contact and revenue rollups were computed for;
    # None: recompute before use.
    rollups_for: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # On hold (storage.holds): Slack refused the workspace's bot token; its outbox waits until it works again.
    held_reason: Mapped[str | None] = mapped_column(Text)
    held_since: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SlackUser(Base):
    """What we remember of a Slack user: email -> id resolution, time zone, admin flag, and whether they are a
    full member of the workspace (`membership`: member, guest, outsider (Slack Connect) or bot; None = not
    known yet, asked again)."""

    __tablename__ = "slack_users"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id"),
        Index("ix_slack_users_team_email", "team_id", "email"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    real_name: Mapped[str | None] = mapped_column(String(200))
    tz: Mapped[str | None] = mapped_column(String(64))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    membership: Mapped[str | None] = mapped_column(String(16))
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Preference(Base):
    """A person's digest preferences in one workspace (accounts.timing.Prefs; read and written by
    storage.preferences). The row whose user_id is DEFAULTS_USER ("*", never a Slack id) holds the workspace
    defaults an admin set. Every setting is optional: NULL means "not set here", the next level decides
    (person -> workspace -> built-in)."""

    __tablename__ = "preferences"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"))
    user_id: Mapped[str] = mapped_column(String(32))  # a Slack user id, or "*" for the workspace defaults
    digest_at: Mapped[time | None] = mapped_column(Time)  # local time of day
    days: Mapped[int | None] = mapped_column(Integer)  # weekdays as bits: 1 = Monday ... 64 = Sunday
    frequency: Mapped[str | None] = mapped_column(String(8))  # daily | weekly | off
    weekly_day: Mapped[int | None] = mapped_column(Integer)  # 0 = Monday, with frequency weekly
    quiet: Mapped[bool | None] = mapped_column(Boolean)  # no digest when nothing is due
    paused_until: Mapped[date | None] = mapped_column(Date)  # first local date back (a person's only)
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime())  # kept until the digest after it
    backup_user_id: Mapped[str | None] = mapped_column(String(32))  # covers key accounts while paused
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        # A CRM record's identity; accounts of accountbot's own CSV (source_id NULL) are unique by name.
        UniqueConstraint("team_id", "source", "source_id", name="uq_accounts_source_id"),
        Index(
            "uq_accounts_team_name_key",
            "team_id",
            "name_key",
            unique=True,
            sqlite_where=text("source_id IS NULL"),
            postgresql_where=text("source_id IS NULL"),
        ),
        Index("ix_accounts_team_owner", "team_id", "owner_user_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(
        String(200)
    )  # casefolded name, unique per workspace among manual ones
    source: Mapped[str | None] = mapped_column(String(20))  # hubspot | salesforce | pipedrive (None: by name)
    source_id: Mapped[str | None] = mapped_column(String(255))  # the record's id in `source`
    owner: Mapped[str | None] = mapped_column(String(320))  # as imported: Slack user id or email
    owner_user_id: Mapped[str | None] = mapped_column(String(32))  # resolved Slack user id
    sponsor_user_id: Mapped[str | None] = mapped_column(String(32))
    sponsor_level: Mapped[str | None] = mapped_column(String(20))  # executive | project_manager
    stage: Mapped[str] = mapped_column(String(16), default="client")  # client | prospect
    annual_revenue: Mapped[float | None] = mapped_column(Float)
    wallet_share: Mapped[float | None] = mapped_column(Float)  # percent 0..100
    profit_margin: Mapped[float | None] = mapped_column(Float)  # percent, may be negative
    profitability: Mapped[str | None] = mapped_column(String(8))  # high | medium | low (explicit)
    strategic_value: Mapped[str | None] = mapped_column(String(8))
    pain_factor: Mapped[str | None] = mapped_column(String(8))
    engagement: Mapped[str | None] = mapped_column(String(8))  # explicit high | low
    potential: Mapped[str | None] = mapped_column(String(8))  # explicit high | low
    prospect_fit: Mapped[str | None] = mapped_column(String(8))  # ideal | lead
    industry: Mapped[str | None] = mapped_column(String(120))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    exclusions: Mapped[list[str]] = mapped_column(JSON, default=list)  # news exclusion phrases
    domain: Mapped[str | None] = mapped_column(String(253))
    news_feed: Mapped[str | None] = mapped_column(Text)
    # Tier and grade as the rules give them now (storage.stored.grades keeps them current; valid while the
    # workspace's classified_with matches the rules fingerprint).
    tier: Mapped[str | None] = mapped_column(String(16))
    grade: Mapped[str | None] = mapped_column(String(1))
    # Rollups of the account's contacts and revenue months (storage.stored.rollups keeps them current; valid while
    # the workspace's rollups_for names the month and window they were computed for).
    decision_makers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # active ones
    sole_decision_maker: Mapped[str | None] = mapped_column(String(200))  # the name, when exactly one
    revenue_recent: Mapped[float | None] = mapped_column(Float)  # last N complete months (None: no rows)
    revenue_prior: Mapped[float | None] = mapped_column(Float)  # the N months before (None: no rows)
    # Last announced classification, for tier_watch (changes are announced once).
    last_tier: Mapped[str | None] = mapped_column(String(16))
    last_grade: Mapped[str | None] = mapped_column(String(1))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    contacts: Mapped[list[Contact]] = relationship(back_populates="account", cascade="all, delete-orphan")


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("team_id", "source", "source_id", name="uq_contacts_source_id"),
        Index(
            "uq_contacts_account_name_key",
            "account_id",
            "name_key",
            unique=True,
            sqlite_where=text("source_id IS NULL"),
            postgresql_where=text("source_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20), default="user")  # decision_maker | influencer | user
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    source: Mapped[str | None] = mapped_column(String(20))
    source_id: Mapped[str | None] = mapped_column(String(255))

    account: Mapped[Account] = relationship(back_populates="contacts")


class Interaction(Base):
    """A touch: meeting, call, video, email, visit, review, other."""

    __tablename__ = "interactions"
    __table_args__ = (
        UniqueConstraint("team_id", "dedup_key"),
        Index("ix_interactions_account_when", "account_id", "occurred_at"),
        # Covers the workspace-wide activity aggregates of the nudge jobs (index-only scans).
        Index(
            "ix_interactions_team_activity",
            "team_id",
            "account_id",
            "occurred_at",
            "kind",
            "contact_id",
            "colleague",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(16))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    colleague: Mapped[str | None] = mapped_column(String(320))  # Slack user id or email
    note: Mapped[str | None] = mapped_column(Text)
    dedup_key: Mapped[str] = mapped_column(
        String(64)
    )  # hash of account, time, kind, contact, colleague, note; CRM touches: of source, source_id, account
    created_by: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(20))
    source_id: Mapped[str | None] = mapped_column(String(255))


class InteractionContact(Base):
    """A contact a touch involved: one row per (touch, contact); interactions.contact_id is the first of them.
    Carries the touch's account, time and colleague so the contact aggregates need no join."""

    __tablename__ = "interaction_contacts"
    __table_args__ = (
        UniqueConstraint("interaction_id", "contact_id"),
        Index("ix_interaction_contacts_team_account_when", "team_id", "account_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"))
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(BigId)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    colleague: Mapped[str | None] = mapped_column(String(320))


class Deal(Base):
    """A CRM deal / opportunity. Its account's revenue months are the sums of its won deals by close month."""

    __tablename__ = "deals"
    __table_args__ = (UniqueConstraint("team_id", "source", "source_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"))
    source: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[str] = mapped_column(String(255))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(8))  # won | lost | open
    closed_on: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[float | None] = mapped_column(Float)


class SyncState(Base):
    """Where the live CRM sync (issue 16) is, per workspace, source and object: the watermark of the next pass
    and the resume position inside the current one (crm.pages), written in the transaction of each page."""

    __tablename__ = "crm_sync_state"
    __table_args__ = (UniqueConstraint("team_id", "source", "object"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"))
    source: Mapped[str] = mapped_column(String(20))  # hubspot | salesforce
    object: Mapped[str] = mapped_column(String(40))  # the API's object: companies, Account, ...
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime())  # since of the next pass (None: full)
    resume: Mapped[str | None] = mapped_column(Text)  # inside a pass: where its last written page ended
    # inside a pass: the earliest modification time of a record skipped as `future` (the next pass reads again
    # from there, so that a touch is written once its time has come)
    hold: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the last pass that finished
    last_error: Mapped[str | None] = mapped_column(String(1000))  # why the last run stopped, if it failed
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CrmConnection(Base):
    """A workspace's saved CRM connection (`accountbot crm connect SYSTEM --team T --save`), synced by the
    scheduled crm_sync job. The secret (HubSpot token, Salesforce private key PEM) is Fernet-encrypted with
    TOKEN_ENCRYPTION_KEYS (storage.crypto); the other columns are not secret (storage.crm_connections)."""

    __tablename__ = "crm_connections"
    __table_args__ = (UniqueConstraint("team_id", "source"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"))
    source: Mapped[str] = mapped_column(String(20))  # hubspot | salesforce
    base_url: Mapped[str] = mapped_column(String(500))  # HubSpot API base URL or Salesforce login URL
    consumer_key: Mapped[str | None] = mapped_column(String(255))  # Salesforce
    username: Mapped[str | None] = mapped_column(String(255))  # Salesforce
    interval_minutes: Mapped[int] = mapped_column(Integer)  # how often the job syncs it
    secret: Mapped[str] = mapped_column(Text)  # encrypted: never in clear, never logged
    saved_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the job's last attempt
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the last run that finished
    last_error: Mapped[str | None] = mapped_column(String(1000))  # why the last run stopped
    # a failure only an admin can fix (auth, daily_limit, allocation, keys), since when, and when admins heard
    failure: Mapped[str | None] = mapped_column(String(40))
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the run syncing it now (renewed with its pages), so that two runs never sync one connection at once
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    leased_by: Mapped[str | None] = mapped_column(String(200))


class RevenueMonth(Base):
    __tablename__ = "revenue_months"
    __table_args__ = (UniqueConstraint("account_id", "month"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)  # first day of the month
    amount: Mapped[float] = mapped_column(Float)


class RollupChange(Base):
    """A write to a workspace's contacts or revenue months since its rollups were last computed
    (storage.stored.rollups): a row per writing transaction, so writers never wait for each other or for a refresh."""

    __tablename__ = "rollup_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"), index=True)


class LatestTouch(Base):
    """An account's latest interaction and latest `review` (storage.stored.latest_touch keeps them on every write to
    interactions). A table of its own: a touch never waits for a classification writing the account row."""

    __tablename__ = "latest_touches"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"), index=True)
    last_touch_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Snooze(Base):
    __tablename__ = "snoozes"
    __table_args__ = (Index("ix_snoozes_account_until", "account_id", "until"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountChange(Base):
    """Audit trail: who changed what, when, old -> new."""

    __tablename__ = "account_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Feed(Base):
    __tablename__ = "feeds"
    __table_args__ = (UniqueConstraint("team_id", "url", "account_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE")
    )  # None: workspace-wide
    channel: Mapped[str | None] = mapped_column(String(64))
    interval_minutes: Mapped[int] = mapped_column(Integer, default=30)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # Why its channel alerts stopped (Slack said not_in_channel, channel_not_found, is_archived); None: alerting
    alerts_paused: Mapped[str | None] = mapped_column(Text)
    alerts_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    added_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NewsMention(Base):
    """A story seen for an account: unique per (workspace, account, story key) so it never alerts twice."""

    __tablename__ = "news_mentions"
    __table_args__ = (UniqueConstraint("team_id", "account_id", "story_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    story_key: Mapped[str] = mapped_column(String(64))
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    not_relevant_votes: Mapped[int] = mapped_column(Integer, default=0)


class NewsVote(Base):
    """One person's "Not relevant" vote on a mention: unique per (workspace, mention, user), so a person counts
    once however often they click. news_mentions.not_relevant_votes is the number of these rows."""

    __tablename__ = "news_votes"
    __table_args__ = (UniqueConstraint("team_id", "mention_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"), index=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("news_mentions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """What to say, as data. Written by jobs in the same transaction as their ledger entry; sent by the relay."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("team_id", "dedup_key"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"), index=True)
    recipient: Mapped[str] = mapped_column(String(64))  # Slack user id (DM) or channel id
    kind: Mapped[str] = mapped_column(String(40))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedup_key: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | sending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(64))  # resolved channel (DM id) once opened
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dead_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime()
    )  # when it was given up (admins' daily count)


class SeenEvent(Base):
    """A Slack event handled (storage.seen_events): Slack retries an event it got no quick 200 for, and every
    replica may receive it; the first insert wins. No foreign key: events may come before the workspace row."""

    __tablename__ = "seen_events"
    __table_args__ = (UniqueConstraint("team_id", "event_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class JobRun(Base):
    """Ledger: one row per (workspace, job, period); whoever inserts it first runs that period."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("team_id", "job", "period"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"), index=True)
    job: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="running")  # running | done | failed
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# ------------------------------------------------------------------------- nudge ledger and escalation
# docs/nudges.md#escalation-and-outcomes: what was nudged, what was escalated, and each workspace's choice.


class NudgeSent(Base):
    """The nudge ledger: one row per delivered nudge message, account and reason, written by the relay in the
    transaction that marks the outbox row sent (storage.nudge_ledger). Whether a touch followed is read from
    interactions when asked. outbox_id has no foreign key: the ledger outlives any outbox clean-up."""

    __tablename__ = "nudge_ledger"
    __table_args__ = (
        UniqueConstraint("team_id", "outbox_id", "account_id", "reason"),
        Index("ix_nudge_ledger_team_sent", "team_id", "sent_at"),
        Index("ix_nudge_ledger_team_account_sent", "team_id", "account_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"))
    outbox_id: Mapped[int] = mapped_column(BigId)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(64))  # who was nudged (a Slack user id)
    kind: Mapped[str] = mapped_column(String(40))  # the outbox kind: digest | weekly_focus
    reason: Mapped[str] = mapped_column(String(40))  # the digest section (a weekly focus: stale)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EscalationSent(Base):
    """An account escalated (jobs.escalation), once per account and ISO week; the digest shows it instead of
    the account until a touch follows (storage.escalation.escalated_accounts)."""

    __tablename__ = "escalations"
    __table_args__ = (
        UniqueConstraint("team_id", "account_id", "week"),
        Index("ix_escalations_team_at", "team_id", "escalated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(10))  # ISO week in the owner's zone, "2026-W48"
    owner_user_id: Mapped[str] = mapped_column(String(32))
    sent_to: Mapped[str] = mapped_column(String(64))  # the manager's Slack user id or the channel id
    to_kind: Mapped[str] = mapped_column(String(8))  # manager | channel
    days_overdue: Mapped[int | None] = mapped_column(Integer)  # None: never touched
    nudges_ignored: Mapped[int] = mapped_column(Integer)
    escalated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EscalationSetting(Base):
    """A workspace's escalation choice (`accountbot escalation`): off unless a row says enabled; the channel
    is where an escalation goes when the owner has no manager the bot can reach."""

    __tablename__ = "escalation_settings"

    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    channel: Mapped[str | None] = mapped_column(String(64))
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OwnerManager(Base):
    """Who an owner's manager is: from the `manager` column of an owner directory import (`--owners`, a CRM
    users export) or set with `accountbot escalation manager`. Both sides are a lower-cased email or a Slack
    user id."""

    __tablename__ = "owner_managers"
    __table_args__ = (UniqueConstraint("team_id", "owner"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"))
    owner: Mapped[str] = mapped_column(String(320))
    manager: Mapped[str] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(20))  # import | cli
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# ------------------------------------------------------------------------------------ linked channels
# docs/nudges.md#touches-the-bot-can-see: messages in a channel linked to an account count as its touches.
# Metadata only: the time, the channel and the user ids; never a message's text (storage.linked_channels).


class ChannelLink(Base):
    """A channel linked to an account (`/account link Acme #acme-shared`): the people's messages there are
    touches of the account. Unlinking deletes the row and everything recorded through it."""

    __tablename__ = "channel_links"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "account_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"))
    channel_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    linked_by: Mapped[str] = mapped_column(String(32))  # the Slack user id who linked it
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChannelTouch(Base):
    """A linked channel's messages of one UTC day, collapsed into one touch (`interaction_id`, kind `other`,
    no note) of the link's account: at most one row per link and day, however busy the channel."""

    __tablename__ = "channel_touches"
    __table_args__ = (UniqueConstraint("link_id", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"))
    link_id: Mapped[int] = mapped_column(ForeignKey("channel_links.id", ondelete="CASCADE"))
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)


class ChannelTouchUser(Base):
    """Who took part in a channel touch: one row per Slack user id (internal or external) and touch."""

    __tablename__ = "channel_touch_users"
    __table_args__ = (UniqueConstraint("touch_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(32), ForeignKey("workspaces.team_id"))
    touch_id: Mapped[int] = mapped_column(ForeignKey("channel_touches.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))


@event.listens_for(Interaction, "after_insert")
def _link_first_contact(_mapper: Any, connection: Any, target: Interaction) -> None:
    """A touch added through the ORM records its contact in interaction_contacts too (Core writers do it
    themselves: storage.importing.records.link_contacts, storage.writes.edits.log_touch)."""
    if target.contact_id is not None:
        connection.execute(
            table_of(InteractionContact).insert().values(
                team_id=target.team_id, interaction_id=target.id, contact_id=target.contact_id,
                account_id=target.account_id, occurred_at=target.occurred_at, colleague=target.colleague,
            )
        )  # fmt: skip


# ------------------------------------------------------------------------------------------------ OAuth
# slack_sdk's SQLAlchemy installation store and OAuth state store (bot.installations) read and write these
# tables by their column names; they are declared here so that Alembic creates them (migration 0011) and
# checks them like the rest. Token columns are Text: they hold Fernet ciphertext, longer than the token.


def _installation_columns(*, with_user: bool) -> list[Column[Any]]:
    columns: list[Column[Any]] = [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("client_id", String(32), nullable=False),
        Column("app_id", String(32), nullable=False),
        Column("enterprise_id", String(32)),
        Column("enterprise_name", String(200)),
    ]
    if with_user:
        columns.append(Column("enterprise_url", String(200)))
    columns += [
        Column("team_id", String(32)),
        Column("team_name", String(200)),
        Column("bot_token", Text),
        Column("bot_id", String(32)),
        Column("bot_user_id", String(32)),
        Column("bot_scopes", String(1000)),
        Column("bot_refresh_token", Text),
        Column("bot_token_expires_at", DateTime),
    ]
    if with_user:
        columns += [
            Column("user_id", String(32), nullable=False),
            Column("user_token", Text),
            Column("user_scopes", String(1000)),
            Column("user_refresh_token", Text),
            Column("user_token_expires_at", DateTime),
            Column("incoming_webhook_url", String(200)),
            Column("incoming_webhook_channel", String(200)),
            Column("incoming_webhook_channel_id", String(200)),
            Column("incoming_webhook_configuration_url", String(200)),
        ]
    columns += [
        Column("is_enterprise_install", Boolean, nullable=False),
        Column("installed_at", DateTime, nullable=False),
    ]
    if with_user:
        columns.append(Column("token_type", String(32)))
    return columns


SLACK_INSTALLATIONS = Table(
    "slack_installations",
    Base.metadata,
    *_installation_columns(with_user=True),
    Index(
        "ix_slack_installations_lookup", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"
    ),
)
SLACK_BOTS = Table(
    "slack_bots",
    Base.metadata,
    *_installation_columns(with_user=False),
    Index("ix_slack_bots_lookup", "client_id", "enterprise_id", "team_id", "installed_at"),
)
SLACK_OAUTH_STATES = Table(
    "slack_oauth_states",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)
