"""Clinic mode, least privilege: self checks reach only who they are meant for, viewing is
audited only when a client is opened, every call refuses a store opened for clinic mode
without a user. On SQLite and on a real PostgreSQL server (tests/pg.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable, Collection

import pytest
from sqlalchemy import insert, select, update

from posture.core.errors import AccessDeniedError, UsageError
from posture.core.intake import Intake
from posture.store import accounts, audit, export, schema
from posture.store.actor import SELF_CHECK, Actor
from posture.store.records import NewPhoto, Store

from .conftest import use_database


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(autouse=True)
def backend(request, monkeypatch):
    return use_database(request, monkeypatch)


@pytest.fixture
def photo(assessed, data_dir):
    return NewPhoto((data_dir / "seated_side_hunched_01.jpg").read_bytes(), "side.jpg",
                    assessed("seated_side_hunched_01.jpg"))


def add_user(store: Store, name: str, role: str = "therapist") -> Actor:
    with store.write() as conn:
        uid = conn.execute(insert(schema.users).values(
            name=name, role=role, password_hash="x", created_at=dt.datetime.now(dt.UTC), self_check_code=f"code-of-{name}",
        )).inserted_primary_key[0]
    return Actor(name=name, role=role, user_id=int(uid))


def events(store: Store, action: str, reader: Actor) -> list[tuple[int | None, str]]:
    """(client id, detail) of each `action` event, oldest first, as the admin `reader` lists them."""
    return [(e.client_id, e.detail) for e in reversed(audit.list_events(store, audit.EventFilter(action=action), actor=reader))]


def test_a_self_check_reaches_only_the_clinics_inbox_and_moves_only_with_someone_who_sees_both_ends(tmp_path, photo):
    s = Store(tmp_path, refuse_solo=True)
    anna, ben, boss = add_user(s, "anna"), add_user(s, "ben"), add_user(s, "boss", "admin")
    annas = s.create_client("Zofia Lukasiewicz", actor=anna)
    bens = s.create_client("Ben's client", actor=ben)
    # A client saves a check under the name of anna's client.
    sid = s.save_self_check("Zofia Lukasiewicz", Intake(notes="my neck"), [photo], actor=SELF_CHECK)
    digest = hashlib.sha256(photo.data).hexdigest()
    # No therapist sees the inbox, nor its photo; the admin does.
    assert s.self_checks(actor=ben) == [] and s.self_checks(actor=anna) == []
    assert [c.id for c in s.self_checks(actor=boss)] == [sid]
    owner = s.self_checks(actor=boss)[0].client_id
    for denied in (lambda: s.get_client(owner, actor=ben), lambda: s.sessions(owner, "self_check", actor=ben),
                   lambda: s.photo_bytes(digest, actor=ben)):
        with pytest.raises(AccessDeniedError):
            denied()
    # Ben cannot file it under his own client (the step), nor under anna's.
    with pytest.raises(AccessDeniedError, match="self check .* is not ben's to move: it is in the clinic's self-check inbox"):
        s.link_self_check(sid, bens.id, actor=ben)
    with pytest.raises(AccessDeniedError):
        s.link_self_check(sid, annas.id, actor=ben)
    assert s.sessions(bens.id, None, actor=ben) == []
    # The admin files it under anna's client: anna sees it, ben still cannot see it or move it.
    s.link_self_check(sid, annas.id, actor=boss)
    assert [x.id for x in s.sessions(annas.id, "self_check", actor=anna)] == [sid]
    with pytest.raises(AccessDeniedError, match="not ben's to move"):
        s.link_self_check(sid, bens.id, actor=ben)
    with pytest.raises(AccessDeniedError, match="not ben's to move"):
        s.unlink_self_check(sid, actor=ben)
    assert s.sessions(bens.id, None, actor=ben) == []
    # Anna cannot file it under ben's client either (she may not see it).
    with pytest.raises(AccessDeniedError, match="not one of anna's clients"):
        s.link_self_check(sid, bens.id, actor=anna)
    # Anna takes it out again: back among her own unfiled checks (her client's), never ben's.
    s.unlink_self_check(sid, actor=anna)
    assert s.sessions(annas.id, "self_check", actor=anna) == [] and [c.id for c in s.self_checks(actor=anna)] == [sid]
    assert s.self_checks(actor=ben) == [] and [c.id for c in s.self_checks(actor=boss)] == [sid]
    with pytest.raises(UsageError, match="in no client's file"):
        s.unlink_self_check(sid, actor=boss)
    # Re-filing from one client's file to another's records both ends.
    s.link_self_check(sid, annas.id, actor=boss)
    s.link_self_check(sid, bens.id, actor=boss)
    assert [x.id for x in s.sessions(bens.id, "self_check", actor=ben)] == [sid]
    assert events(s, audit.SELF_CHECK_LINK, boss) == [
        (annas.id, f"session {sid}"), (annas.id, f"session {sid}"), (bens.id, f"session {sid} from client {annas.id}")]
    assert events(s, audit.SELF_CHECK_UNLINK, boss) == [
        (annas.id, f"session {sid} back to the unfiled self checks"), (annas.id, f"session {sid} moved to client {bens.id}")]
    with s.read() as conn:  # every inbox owner left empty was dropped
        assert conn.execute(select(schema.clients.c.id).where(schema.clients.c.is_self_check == 1)).fetchall() == []


def test_a_therapists_link_files_the_check_with_that_therapist_only(tmp_path, photo):
    s = Store(tmp_path, refuse_solo=True)
    anna, ben, boss = add_user(s, "anna"), add_user(s, "ben"), add_user(s, "boss", "admin")
    annas = s.create_client("Ana", actor=anna)
    via_anna = s.save_self_check("Ana", Intake(), [photo], actor=SELF_CHECK, for_code="code-of-anna")
    via_ben = s.save_self_check("Ana", Intake(), [photo], actor=SELF_CHECK, for_code="code-of-ben")  # same name, other series
    no_link = s.save_self_check("Ana", Intake(), [photo], actor=SELF_CHECK)
    assert [c.id for c in s.self_checks(actor=anna)] == [via_anna] and [c.id for c in s.self_checks(actor=ben)] == [via_ben]
    assert [c.id for c in s.self_checks(actor=boss)] == [via_anna, via_ben, no_link]
    assert len({c.client_id for c in s.self_checks(actor=boss)}) == 3  # three owners: anna's, ben's, the inbox's
    with pytest.raises(AccessDeniedError, match="not ben's to move"):
        s.link_self_check(via_anna, annas.id, actor=ben)
    s.link_self_check(via_anna, annas.id, actor=anna)  # hers to file, without an admin
    assert [x.id for x in s.sessions(annas.id, "self_check", actor=anna)] == [via_anna]
    # A wrong code, or a disabled user's, saves nothing and names no one.
    set_disabled(s, ben, True)
    for code in ("code-of-nobody", "code-of-ben"):
        with pytest.raises(UsageError, match="This self-check link is not \\(or no longer\\) valid: ask your therapist"):
            s.save_self_check("Ana", Intake(), [photo], actor=SELF_CHECK, for_code=code)
    assert len(s.self_checks(actor=boss)) == 2


def test_counting_sessions_reads_nothing_and_records_no_view(tmp_path, photo):
    s = Store(tmp_path, refuse_solo=True)
    anna, ben, boss = add_user(s, "anna"), add_user(s, "ben"), add_user(s, "boss", "admin")
    mine = [s.create_client(f"Client {i}", actor=anna) for i in range(5)]
    bens = s.create_client("Ben's", actor=ben)
    for i, c in enumerate(mine[:3]):
        for _ in range(i + 1):
            s.save_session(c.id, Intake(), [photo], actor=anna)
    s.save_session(bens.id, Intake(), [photo], actor=ben)
    sid = s.save_self_check("Client 0", Intake(), [photo], actor=SELF_CHECK)
    s.link_self_check(sid, mine[0].id, actor=boss)
    views_before = len(events(s, audit.CLIENT_VIEW, boss))
    counts = s.session_counts(actor=anna)
    assert {c: (n.assessments, n.self_checks) for c, n in counts.items()} == {
        mine[0].id: (1, 1), mine[1].id: (2, 0), mine[2].id: (3, 0)}  # ben's client is not hers to count
    assert len(events(s, audit.CLIENT_VIEW, boss)) == views_before
    assert s.session_counts(actor=ben)[bens.id].assessments == 1 and mine[0].id not in s.session_counts(actor=ben)
    with pytest.raises(AccessDeniedError, match="self check can save a self check and nothing else"):
        s.session_counts(actor=SELF_CHECK)


def test_photo_bytes_is_refused_without_a_user_like_every_other_call(tmp_path, photo):
    s = Store(tmp_path, refuse_solo=True)
    anna = add_user(s, "anna")
    c = s.create_client("Photo", actor=anna)
    s.save_session(c.id, Intake(), [photo], actor=anna)
    digest = hashlib.sha256(photo.data).hexdigest()
    assert s.photo_bytes(digest, actor=anna) == photo.data
    for unnamed in (lambda: s.photo_bytes(digest), lambda: s.session_counts(), lambda: s.self_checks()):
        with pytest.raises(AccessDeniedError, match="clinic mode: this needs a logged-in user"):
            unnamed()
    assert Store(tmp_path).photo_bytes(digest) == photo.data  # solo mode, one person: still every photo


# --- the role x action matrix over the store's calls ---------------------------------------

ROLES = ("anonymous", "self_check", "therapist_a", "therapist_b", "admin", "disabled")
OWNERS = frozenset({"therapist_a", "admin"})  # the client's own therapist, and an admin
ADMIN = frozenset({"admin"})
CLINIC_USERS = frozenset({"therapist_a", "therapist_b", "admin"})


@dataclasses.dataclass(frozen=True)
class World:
    """One client with everything a call can touch, made fresh for each cell."""

    client: int
    session: int
    photo: str
    inbox_check: int  # a self check in the clinic's inbox
    filed_check: int  # a self check filed under the client


@dataclasses.dataclass(frozen=True)
class Colleague:
    """Therapist B, whom a cell shares with, reassigns to or disables, and a photo no one has stored yet."""

    name: str
    user_id: int
    photo: NewPhoto


def make_world(s: Store, owner: Actor, boss: Actor, photo: NewPhoto, tag: bytes) -> World:
    """A client of `owner` with a session (its own photo bytes), a draft, a filed self check and one in the inbox."""
    client = s.create_client(f"Client {tag.decode()}", actor=boss, owner_user_id=owner.user_id)
    own = NewPhoto(photo.data + tag, "side.jpg", photo.assessment)
    session = s.save_session(client.id, Intake(), [own], actor=boss)
    s.save_draft(client.id, b"draft", actor=boss)
    filed = s.save_self_check(f"filed {tag.decode()}", Intake(), [own], actor=SELF_CHECK)
    s.link_self_check(filed, client.id, actor=boss)
    inbox = s.save_self_check(f"inbox {tag.decode()}", Intake(), [own], actor=SELF_CHECK)
    return World(client.id, session, hashlib.sha256(own.data).hexdigest(), inbox, filed)


def set_disabled(s: Store, user: Actor, disabled: bool) -> None:
    with s.write() as conn:
        conn.execute(update(schema.users).where(schema.users.c.id == user.user_id).values(disabled=disabled))


def _included(found: Collection[int], wanted: int) -> None:
    """A list call 'allows' a cell only if the client's data is in what it returned."""
    if wanted not in found:
        raise AccessDeniedError("not in the result")


# action -> (the call, the roles that may make it)
ACTIONS: dict[str, tuple[Callable[[Store, Actor, World, Colleague], object], frozenset[str]]] = {
    "list_clients": (lambda s, a, w, b: _included([c.id for c in s.list_clients(actor=a)], w.client), OWNERS),
    "get_client": (lambda s, a, w, b: s.get_client(w.client, actor=a), OWNERS),
    "update_client": (lambda s, a, w, b: s.update_client(w.client, "Renamed", None, None, actor=a), OWNERS),
    "delete_client": (lambda s, a, w, b: s.delete_client(w.client, actor=a), OWNERS),
    "sessions": (lambda s, a, w, b: _included([x.id for x in s.sessions(w.client, actor=a)], w.session), OWNERS),
    "session_counts": (lambda s, a, w, b: _included(s.session_counts(actor=a), w.client), OWNERS),
    "save_session": (lambda s, a, w, b: s.save_session(w.client, Intake(), [b.photo], actor=a), OWNERS),
    "delete_session": (lambda s, a, w, b: s.delete_session(w.session, actor=a), OWNERS),
    "photo_bytes": (lambda s, a, w, b: s.photo_bytes(w.photo, actor=a), OWNERS),
    "save_draft": (lambda s, a, w, b: s.save_draft(w.client, b"typed", actor=a), OWNERS),
    "load_draft": (lambda s, a, w, b: s.load_draft(w.client, actor=a), OWNERS),
    "delete_draft": (lambda s, a, w, b: s.delete_draft(w.client, actor=a), OWNERS),
    "shared_with": (lambda s, a, w, b: s.shared_with(w.client, actor=a), OWNERS),
    "export_client": (lambda s, a, w, b: export.export_client(s, w.client, s.folder / "exports", actor=a), OWNERS),
    "erase_client": (lambda s, a, w, b: export.erase_client(s, w.client, actor=a), OWNERS),
    "unlink_self_check": (lambda s, a, w, b: s.unlink_self_check(w.filed_check, actor=a), OWNERS),
    "create_client": (lambda s, a, w, b: s.create_client("New", actor=a), CLINIC_USERS),
    "save_self_check": (lambda s, a, w, b: s.save_self_check("Someone", Intake(), [b.photo], actor=a),
                        CLINIC_USERS | {"self_check"}),
    "self_checks": (lambda s, a, w, b: _included([x.id for x in s.self_checks(actor=a)], w.inbox_check), ADMIN),
    "link_self_check": (lambda s, a, w, b: s.link_self_check(w.inbox_check, w.client, actor=a), ADMIN),
    "share_client": (lambda s, a, w, b: s.share_client(w.client, b.user_id, actor=a), ADMIN),
    "unshare_client": (lambda s, a, w, b: s.unshare_client(w.client, b.user_id, actor=a), ADMIN),
    "reassign_client": (lambda s, a, w, b: s.reassign_client(w.client, b.user_id, actor=a), ADMIN),
    "audit.list_events": (lambda s, a, w, b: audit.list_events(s, actor=a), ADMIN),
    "audit.export_csv": (lambda s, a, w, b: audit.export_csv(s, actor=a), ADMIN),
    "accounts.add": (lambda s, a, w, b: accounts.Accounts(s).add(f"u{w.client}", "therapist", "long enough pw", by=a), ADMIN),
    "accounts.disable": (lambda s, a, w, b: accounts.Accounts(s).set_disabled(b.name, True, by=a), ADMIN),
    "accounts.new_self_check_code": (lambda s, a, w, b: accounts.Accounts(s).new_self_check_code(b.name, by=a), ADMIN),
}


@pytest.fixture
def cheap_hashes(monkeypatch):
    """argon2id at its cheapest: the matrix is about who may, not the hash's cost (test_accounts)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))


@pytest.mark.parametrize("role", ROLES)
def test_role_action_matrix(role, tmp_path, photo, cheap_hashes):
    """Each cell on a fresh client: allowed exactly where the table says, refused (AccessDeniedError,
    or nothing of the client's in a list) everywhere else. Fails on any cell that allows too much,
    and on any that refuses what the role needs."""
    s = Store(tmp_path, refuse_solo=True)
    anna, ben, boss, dora = (add_user(s, n, r) for n, r in (("anna", "therapist"), ("ben", "therapist"),
                                                             ("boss", "admin"), ("dora", "therapist")))
    owner = dora if role == "disabled" else anna
    actor = {"anonymous": Actor("solo", "solo"), "self_check": SELF_CHECK, "therapist_a": anna,
             "therapist_b": ben, "admin": boss, "disabled": dora}[role]
    observed: dict[str, bool] = {}
    for n, (action, (call, _)) in enumerate(ACTIONS.items()):
        set_disabled(s, dora, False)
        world = make_world(s, owner, boss, photo, tag=f"{role}-{n}".encode())
        set_disabled(s, dora, True)
        colleague = Colleague(ben.name, int(ben.user_id or 0),
                              NewPhoto(photo.data + f"new-{role}-{n}".encode(), "new.jpg", photo.assessment))
        try:
            call(s, actor, world, colleague)
            observed[action] = True
        except AccessDeniedError:
            observed[action] = False
    expected = {action: role in allowed for action, (_, allowed) in ACTIONS.items()}
    wrong = {a: ("allowed" if observed[a] else "refused") for a in ACTIONS if observed[a] != expected[a]}
    assert wrong == {}, f"{role}: cells that differ from the table: {wrong}"
