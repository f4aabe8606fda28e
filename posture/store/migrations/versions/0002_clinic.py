"""Clinic mode: accounts, client owners and shares, the append-only audit trail, and an
idempotency key that makes a double-submitted session save once.

The audit trail is append-only in the database itself: triggers refuse UPDATE and DELETE
(and TRUNCATE on PostgreSQL), whatever code runs. Downgrading drops the clinic tables,
the audit trail with them: take a backup first.

Revision ID: 0002_clinic
Revises: 0001_schema3
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_clinic"
down_revision = "0001_schema3"
branch_labels = None
depends_on = None

APPEND_ONLY = "audit_events is append-only: its rows cannot be changed or deleted"


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("disabled", sa.Boolean(name="users_disabled_bool"), nullable=False, server_default=sa.false()),
        sa.Column("failed_logins", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('therapist', 'admin')", name="users_role"),
        sqlite_autoincrement=True,
    )
    if sqlite:
        # SQLite adds a column with a foreign key in place (no table rebuild, rows untouched).
        op.execute("ALTER TABLE clients ADD COLUMN owner_user_id INTEGER REFERENCES users (id)")
    else:
        op.add_column("clients", sa.Column("owner_user_id", sa.Integer, nullable=True))
        op.create_foreign_key("clients_owner_user_id_fkey", "clients", "users", ["owner_user_id"], ["id"])
    op.create_index("clients_by_owner", "clients", ["owner_user_id"])
    op.create_table(
        "client_shares",
        sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "user_id", name="client_shares_pkey"),
    )
    op.create_index("client_shares_by_user", "client_shares", ["user_id"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("actor_role", sa.String(20), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("client_id", sa.Integer, nullable=True),
        sa.Column("detail", sa.Text, nullable=False, server_default=sa.text("''")),
        sqlite_autoincrement=True,
    )
    op.create_index("audit_by_time", "audit_events", ["at"])
    op.create_index("audit_by_client", "audit_events", ["client_id", "at"])
    op.create_index("audit_by_actor", "audit_events", ["actor_name", "at"])
    op.add_column("sessions", sa.Column("idempotency_key", sa.String(64), nullable=True))
    op.create_index("sessions_by_idempotency_key", "sessions", ["idempotency_key"], unique=True)
    if sqlite:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    op.drop_index("sessions_by_idempotency_key", table_name="sessions")
    op.drop_index("clients_by_owner", table_name="clients")
    if sqlite:
        # SQLite cannot drop a column that has a foreign key: rebuild the tables (foreign
        # keys are off during migrations), keeping AUTOINCREMENT so ids stay unique.
        with op.batch_alter_table("sessions", recreate="always", table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.drop_column("idempotency_key")
        with op.batch_alter_table("clients", recreate="always", table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.drop_column("owner_user_id")
    else:
        op.drop_column("sessions", "idempotency_key")
        op.drop_constraint("clients_owner_user_id_fkey", "clients", type_="foreignkey")
        op.drop_column("clients", "owner_user_id")
    op.drop_table("audit_events")
    op.drop_table("client_shares")
    op.drop_table("users")
