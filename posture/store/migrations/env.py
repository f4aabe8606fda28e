"""Alembic environment: migrations run only through posture.store.db (at start-up), on the
connection and inside the transaction that it opened and locked."""

from __future__ import annotations

from alembic import context

from posture.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("posture's migrations run when the store opens (posture.store.db.upgrade), not from the alembic command")

context.configure(
    connection=connection,
    target_metadata=metadata,
    transactional_ddl=True,  # SQLite too: the caller's BEGIN IMMEDIATE makes the DDL atomic
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
