"""The database schema at the newest migration: one MetaData, the same on SQLite and PostgreSQL.

This describes the *current* tables; `posture/store/migrations/versions/` is the history that
builds them (a test checks that a migrated database matches this file exactly). Never change
a table here without adding a migration.

- clients, sessions, photos, drafts, pending_photos: the solo-mode tables of schema 3
  (`created` stays local-time ISO text, as written since the first version).
- users: clinic-mode accounts (solo mode has none); `self_check_code` is the user's part of
  the self-check link (`/Self_check?for=CODE`) that files a client's check with them.
- clients.owner_user_id: the therapist who owns the client; NULL in solo mode. A self-check
  owner (is_self_check 1) belongs to the therapist whose link the check came through, or to
  no one (the clinic's inbox, admins only).
- client_shares: a client shared with another therapist (admin decision).
- audit_events: append-only (database triggers refuse UPDATE and DELETE); `client_id` has
  no foreign key so the trail outlives a deleted client; timestamps are UTC.
- sessions.idempotency_key: one key per submitted form, unique, so a double-submit (two
  clicks, two tabs, a retried request) stores one session.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    false,
    text,
)
from sqlalchemy.types import TypeDecorator

ROLES_SQL = "role IN ('therapist', 'admin')"
SESSION_KINDS_SQL = "kind IN ('assessment', 'self_check')"


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware datetime stored in UTC (timestamptz on PostgreSQL, ISO text on SQLite).

    A naive datetime is refused when written: the caller must say which zone it means.
    SQLite gives the value back naive; it was stored in UTC, so it is read as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError(f"UTCDateTime needs an aware datetime, got {value!r}")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("disabled", Boolean(name="users_disabled_bool"), nullable=False, server_default=false()),
    Column("failed_logins", Integer, nullable=False, server_default=text("0")),
    Column("locked_until", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("self_check_code", String(32), nullable=True),
    CheckConstraint(ROLES_SQL, name="users_role"),
    Index("users_by_self_check_code", "self_check_code", unique=True),
    sqlite_autoincrement=True,
)

clients = Table(
    "clients",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("birth_date", Text),
    Column("created", Text, nullable=False),
    Column("height_cm", Float),
    Column("is_self_check", Integer, nullable=False, server_default=text("0")),
    Column("owner_user_id", Integer, ForeignKey("users.id", name="clients_owner_user_id_fkey"), nullable=True),
    CheckConstraint("is_self_check IN (0, 1)", name="clients_is_self_check"),
    Index("clients_self_check", "is_self_check", "name"),
    Index("clients_by_owner", "owner_user_id"),
    sqlite_autoincrement=True,
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", Integer, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("created", Text, nullable=False),
    Column("intake_json", Text, nullable=False, server_default=text("'{}'")),
    Column("kind", Text, nullable=False, server_default=text("'assessment'")),
    Column("idempotency_key", String(64), nullable=True),
    CheckConstraint(SESSION_KINDS_SQL, name="sessions_kind"),
    Index("sessions_by_client", "client_id", "kind", "created"),
    Index("sessions_by_idempotency_key", "idempotency_key", unique=True),
    sqlite_autoincrement=True,
)

photos = Table(
    "photos",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("sha256", Text, nullable=False),
    Column("filename", Text, nullable=False),
    Column("assessment_json", Text, nullable=False),
    Index("photos_by_session", "session_id"),
    Index("photos_by_hash", "sha256"),
    sqlite_autoincrement=True,
)

drafts = Table(
    "drafts",
    metadata,
    Column("client_id", Integer, ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True, autoincrement=False),
    Column("payload", LargeBinary, nullable=False),
    Column("updated", Text, nullable=False),
)

pending_photos = Table(
    "pending_photos",
    metadata,
    Column("token", Text, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("started", Float, nullable=False),
    Index("pending_by_token", "token"),
)

client_shares = Table(
    "client_shares",
    metadata,
    Column("client_id", Integer, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    PrimaryKeyConstraint("client_id", "user_id", name="client_shares_pkey"),
    Index("client_shares_by_user", "user_id"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_name", String(200), nullable=False),
    Column("actor_role", String(20), nullable=False),
    Column("action", String(40), nullable=False),
    Column("client_id", Integer, nullable=True),  # no foreign key: the trail outlives the client
    Column("detail", Text, nullable=False, server_default=text("''")),
    Index("audit_by_time", "at"),
    Index("audit_by_client", "client_id", "at"),
    Index("audit_by_actor", "actor_name", "at"),
    sqlite_autoincrement=True,
)
