"""Schema 3, the solo-mode tables as the pre-Alembic code left them (PRAGMA user_version 3).

A SQLite file written before Alembic is not built by this revision: its own legacy steps
(records.LEGACY_MIGRATIONS) bring it to schema 3 and it is stamped here. A new database
(SQLite or PostgreSQL) is built by this revision. Migrations are history: never edit one,
add the next.

Revision ID: 0001_schema3
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_schema3"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clients",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("birth_date", sa.Text),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("height_cm", sa.Float),
        sa.Column("is_self_check", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.CheckConstraint("is_self_check IN (0, 1)", name="clients_is_self_check"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("intake_json", sa.Text, nullable=False, server_default=sa.text("'{}'")),
        sa.Column("kind", sa.Text, nullable=False, server_default=sa.text("'assessment'")),
        sa.CheckConstraint("kind IN ('assessment', 'self_check')", name="sessions_kind"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "photos",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("assessment_json", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("sessions_by_client", "sessions", ["client_id", "kind", "created"])
    op.create_index("photos_by_session", "photos", ["session_id"])
    op.create_index("photos_by_hash", "photos", ["sha256"])
    op.create_index("clients_self_check", "clients", ["is_self_check", "name"])
    op.create_table(
        "drafts",
        sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True, autoincrement=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("updated", sa.Text, nullable=False),
    )
    op.create_table(
        "pending_photos",
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("started", sa.Float, nullable=False),
    )
    op.create_index("pending_by_token", "pending_photos", ["token"])


def downgrade() -> None:
    for table in ("pending_photos", "drafts", "photos", "sessions", "clients"):
        op.drop_table(table)
