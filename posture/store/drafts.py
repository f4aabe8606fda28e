"""Drafts: a client's unsaved intake, kept as opaque bytes until the assessment is saved (or dropped)."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update

from posture.core.errors import ClientNotFoundError

from .access import AccessControl
from .actor import Actor
from .schema import drafts
from .transactions import Database, now


class Drafts:
    """The drafts table, one draft per client (the Store's draft methods; see there for what each promises)."""

    def __init__(self, database: Database, access: AccessControl) -> None:
        self.database = database
        self.access = access

    def save(self, client_id: int, payload: bytes, actor: Actor) -> None:
        with self.database.write() as conn:
            self.access.client_row(conn, client_id, actor)
            if conn.execute(update(drafts).where(drafts.c.client_id == client_id).values(payload=payload, updated=now())).rowcount == 0:
                conn.execute(insert(drafts).values(client_id=client_id, payload=payload, updated=now()))

    def load(self, client_id: int, actor: Actor) -> bytes | None:
        with self.database.read() as conn:
            try:
                self.access.client_row(conn, client_id, actor)
            except ClientNotFoundError:
                return None
            row = conn.execute(select(drafts.c.payload).where(drafts.c.client_id == client_id)).first()
        return None if row is None else bytes(row.payload)

    def delete(self, client_id: int, actor: Actor) -> None:
        with self.database.write() as conn:
            try:
                self.access.client_row(conn, client_id, actor)
            except ClientNotFoundError:
                return
            conn.execute(delete(drafts).where(drafts.c.client_id == client_id))
