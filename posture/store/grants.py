"""PostgreSQL with two roles: an owner that runs the migrations, and the app's role with only
the rights the app needs, so the audit trail is append-only against the app's own login too.

The owner (who owns the database and every table, and so alone may drop a trigger or alter a
table) runs `posture db upgrade --app-role ROLE`; the app connects as ROLE, which may read and
write the records, only SELECT and INSERT on `audit_events`, only read `alembic_version`, use
the id sequences, and nothing else: no DDL, no TRUNCATE, no UPDATE or DELETE of the trail. The
rights are derived from schema.py, so a table added by a later migration is covered by the next
`posture db upgrade --app-role`; they are reset (revoked, then granted) each time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from posture.core.errors import UsageError

from . import db
from .schema import audit_events, metadata
from .transactions import Database

RECORD_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"
#: Tables the app may not change as it changes records: the trail (append-only) and the migration marker.
NARROWER_RIGHTS = {audit_events.name: "SELECT, INSERT", "alembic_version": "SELECT"}


@dataclass(frozen=True)
class AppRights:
    """What `grant_app_role` gave the role, table by table (for the command's report and the tests)."""

    role: str
    rights: dict[str, str]


def grant_app_role(database: Database, role: str) -> AppRights:
    """Give `role` the app's rights on `database` (connected as its owner); see the module notes."""
    if database.is_sqlite:
        raise UsageError("an app role is PostgreSQL's: SQLite is one file with no roles (keep it owner-only)")
    rights = {t.name: NARROWER_RIGHTS.get(t.name, RECORD_RIGHTS) for t in metadata.sorted_tables}
    rights["alembic_version"] = NARROWER_RIGHTS["alembic_version"]
    with database.write() as conn:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({db.MIGRATION_LOCK_KEY})")
        if db.current_revision(conn) != db.head_revision():
            raise UsageError(f"{database.where} is not at the newest schema: run `posture db upgrade` as the owner first")
        _check_role(conn, role)
        q = conn.dialect.identifier_preparer.quote
        who, schema = q(role), q(conn.execute(text("SELECT current_schema()")).scalar_one())
        database_name = q(conn.execute(text("SELECT current_database()")).scalar_one())
        statements = [
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {who}",
            f"REVOKE ALL ON SCHEMA {schema} FROM {who}",
            f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC",  # before PostgreSQL 15 anyone could add tables there
            f"GRANT CONNECT ON DATABASE {database_name} TO {who}",
            f"GRANT USAGE ON SCHEMA {schema} TO {who}",
            *(f"GRANT {what} ON {schema}.{q(table)} TO {who}" for table, what in rights.items()),
            f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {who}",
        ]
        for statement in statements:
            conn.exec_driver_sql(statement)
    return AppRights(role, rights)


def _check_role(conn: Connection, role: str) -> None:
    row = conn.execute(text("SELECT rolsuper, rolcreaterole, rolname = current_user AS is_me, "
                            "pg_has_role(rolname, current_user, 'MEMBER') AS holds_owner "
                            "FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
    if row is None:
        raise UsageError(f"no database role {role!r}: create it first (createuser --pwprompt {role})")
    if row.is_me or row.holds_owner:
        raise UsageError(f"{role!r} is (or holds) the owner role: the app needs a role of its own")
    if row.rolsuper or row.rolcreaterole:
        raise UsageError(f"{role!r} is a superuser or may create roles: the app's role must be an ordinary login")
