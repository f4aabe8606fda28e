"""Clients: adding, editing, finding and deleting them, and who they are shared with or given to.

Every change writes its audit event in the same transaction (audit.py); every call checks
its actor first (access.py).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, insert, select, update

from posture.core.errors import ClientNotFoundError

from . import audit
from .access import AccessControl, require_user, visible_clients
from .actor import Actor
from .photo_files import PhotoFiles
from .schema import client_shares, clients, sessions
from .transactions import Database, new_id, now
from .validation import valid_birth_date, valid_height, valid_name


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    birth_date: str | None
    height_cm: float | None
    created: str
    is_self_check: bool = False  # an owner of self checks (never listed as a client)
    owner_user_id: int | None = None  # clinic mode: the therapist who owns the client


def client_from_row(row: Row[Any]) -> Client:
    owner = row.owner_user_id
    return Client(int(row.id), row.name, row.birth_date, row.height_cm, row.created, bool(row.is_self_check),
                  None if owner is None else int(owner))


class ClientRecords:
    """The clients table and its shares (the Store's client methods; see there for what each promises)."""

    def __init__(self, database: Database, access: AccessControl, files: PhotoFiles) -> None:
        self.database = database
        self.access = access
        self.files = files

    def create(self, name: str, birth_date: str | None, height_cm: float | None, actor: Actor, owner_user_id: int | None) -> Client:
        name = valid_name(name)
        birth_date = valid_birth_date(birth_date)
        height_cm = valid_height(height_cm)
        created = now()
        with self.database.write() as conn:
            self.access.check_actor(conn, actor)
            owner = actor.user_id if actor.role == "therapist" else owner_user_id
            if owner is not None:
                require_user(conn, owner)
            client_id = new_id(conn.execute(insert(clients).values(
                name=name, birth_date=birth_date, height_cm=height_cm, created=created, is_self_check=0, owner_user_id=owner,
            )))
            audit.insert_event(conn, actor.name, actor.role, audit.CLIENT_CREATE, client_id, "" if owner is None else f"owner user {owner}")
        return Client(client_id, name, birth_date, height_cm, created, False, owner)

    def edit(self, client_id: int, name: str, birth_date: str | None, height_cm: float | None, actor: Actor) -> Client:
        name = valid_name(name)
        birth_date = valid_birth_date(birth_date)
        height_cm = valid_height(height_cm)
        with self.database.write() as conn:
            old = self.access.client_row(conn, client_id, actor)
            if old.is_self_check:
                raise ClientNotFoundError(client_id)
            changed = [f for f, v in (("name", name), ("birth_date", birth_date), ("height_cm", height_cm)) if getattr(old, f) != v]
            conn.execute(update(clients).where(clients.c.id == client_id).values(name=name, birth_date=birth_date, height_cm=height_cm))
            audit.insert_event(conn, actor.name, actor.role, audit.CLIENT_EDIT, client_id, "changed: " + (", ".join(changed) or "nothing"))
            row = conn.execute(select(clients).where(clients.c.id == client_id)).one()
        return client_from_row(row)

    def get(self, client_id: int, actor: Actor) -> Client:
        with self.database.read() as conn:
            client = client_from_row(self.access.client_row(conn, client_id, actor))
        self.access.note_view(actor, client_id)
        return client

    def search(self, text: str, actor: Actor) -> list[Client]:
        # Matching uses `search_key` on both sides, in Python: SQLite's LIKE folds ASCII only.
        with self.database.read() as conn:
            self.access.check_actor(conn, actor)
            rows = conn.execute(select(clients).where(clients.c.is_self_check == 0, visible_clients(actor))).fetchall()
        wanted = search_key(text)
        found = [(search_key(r.name), client_from_row(r)) for r in rows]
        found = [(key, c) for key, c in found if wanted in key]
        found.sort(key=lambda kc: (kc[0], kc[1].name, kc[1].id))
        return [c for _, c in found]

    def delete(self, client_id: int, actor: Actor, action: str) -> int:
        with self.database.write() as conn:
            self.access.client_row(conn, client_id, actor, owner_only=True)
            n_sessions = len(conn.execute(select(sessions.c.id).where(sessions.c.client_id == client_id)).fetchall())
            if conn.execute(delete(clients).where(clients.c.id == client_id)).rowcount == 0:
                raise ClientNotFoundError(client_id)
            audit.insert_event(conn, actor.name, actor.role, action, client_id, f"{n_sessions} sessions deleted")
        return self.files.collect_garbage()

    def share(self, client_id: int, user_id: int, actor: Actor) -> None:
        with self.database.write() as conn:
            self.access.require_admin(conn, actor, "share clients")
            self.access.client_row(conn, client_id, actor)
            require_user(conn, user_id)
            already = conn.execute(select(client_shares.c.user_id).where(
                client_shares.c.client_id == client_id, client_shares.c.user_id == user_id)).first()
            if already is None:
                conn.execute(insert(client_shares).values(client_id=client_id, user_id=user_id))
                audit.insert_event(conn, actor.name, actor.role, audit.CLIENT_SHARE, client_id, f"shared with user {user_id}")

    def unshare(self, client_id: int, user_id: int, actor: Actor) -> None:
        with self.database.write() as conn:
            self.access.require_admin(conn, actor, "change who a client is shared with")
            self.access.client_row(conn, client_id, actor)
            gone = conn.execute(delete(client_shares).where(
                client_shares.c.client_id == client_id, client_shares.c.user_id == user_id)).rowcount
            if gone:
                audit.insert_event(conn, actor.name, actor.role, audit.CLIENT_UNSHARE, client_id, f"no longer shared with user {user_id}")

    def shared_with(self, client_id: int, actor: Actor) -> list[int]:
        with self.database.read() as conn:
            self.access.client_row(conn, client_id, actor)
            return [int(r[0]) for r in conn.execute(
                select(client_shares.c.user_id).where(client_shares.c.client_id == client_id).order_by(client_shares.c.user_id))]

    def reassign(self, client_id: int, user_id: int | None, actor: Actor) -> Client:
        with self.database.write() as conn:
            self.access.require_admin(conn, actor, "reassign clients")
            old = self.access.client_row(conn, client_id, actor)
            if old.is_self_check:
                raise ClientNotFoundError(client_id)
            if user_id is not None:
                require_user(conn, user_id)
            conn.execute(update(clients).where(clients.c.id == client_id).values(owner_user_id=user_id))
            audit.insert_event(conn, actor.name, actor.role, audit.CLIENT_REASSIGN, client_id,
                               f"owner user {old.owner_user_id} -> {user_id}")
            return client_from_row(conn.execute(select(clients).where(clients.c.id == client_id)).one())


# Letters that Unicode does not decompose into a base letter and a mark (NFKD leaves them
# whole), spelled the way a keyboard without them would.
_UNDECOMPOSED = str.maketrans({
    "ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ŧ": "t", "ı": "i",
    "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th",
})


def search_key(text: str) -> str:
    """`text` folded for matching: case-folded, accents dropped, spaces collapsed.

    "Zofia Łukasiewicz" -> "zofia lukasiewicz", "MÜLLER" -> "muller", "Straße" -> "strasse".
    """
    folded = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(bare.translate(_UNDECOMPOSED).split())
