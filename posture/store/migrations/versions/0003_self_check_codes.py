"""A self-check code per user: the link a therapist gives clients (`/Self_check?for=CODE`) files
their checks with that therapist, instead of in the clinic's inbox that only admins see.

Existing users get a random code now; new ones get theirs when added. Unique, so a code names
one user; not a secret that guards data (it only lets someone send that user a check).

Revision ID: 0003_self_check_codes
Revises: 0002_clinic
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0003_self_check_codes"
down_revision = "0002_clinic"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added in place on SQLite too (a nullable column without constraints; the index makes it unique).
    op.add_column("users", sa.Column("self_check_code", sa.String(32), nullable=True))
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("self_check_code", sa.String))
    conn = op.get_bind()
    for (user_id,) in conn.execute(sa.select(users.c.id)).fetchall():
        conn.execute(sa.update(users).where(users.c.id == user_id).values(self_check_code=secrets.token_urlsafe(12)))
    op.create_index("users_by_self_check_code", "users", ["self_check_code"], unique=True)


def downgrade() -> None:
    op.drop_index("users_by_self_check_code", table_name="users")
    with op.batch_alter_table("users", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("self_check_code")
