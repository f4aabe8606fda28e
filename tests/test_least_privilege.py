"""Clinic mode, least privilege: self checks reach only who they are meant for, viewing is
audited only when a client is opened, every call refuses a store opened for clinic mode
without a user. On SQLite and on a real PostgreSQL server (tests/pg.py)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import insert, select

from posture.core.errors import AccessDeniedError, UsageError
from posture.core.intake import Intake
from posture.store import audit, schema
from posture.store.actor import SELF_CHECK, Actor
from posture.store.records import NewPhoto, Store


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(autouse=True)
def backend(request, monkeypatch):
    if request.param == "postgresql":
        monkeypatch.setenv("POSTURE_DATABASE_URL", request.getfixturevalue("pg_url"))
    else:
        monkeypatch.delenv("POSTURE_DATABASE_URL", raising=False)
    return request.param


@pytest.fixture
def photo(assessed, data_dir):
    return NewPhoto((data_dir / "seated_side_hunched_01.jpg").read_bytes(), "side.jpg",
                    assessed("seated_side_hunched_01.jpg"))


def add_user(store: Store, name: str, role: str = "therapist") -> Actor:
    with store.write() as conn:
        uid = conn.execute(insert(schema.users).values(
            name=name, role=role, password_hash="x", created_at=dt.datetime.now(dt.UTC),
        )).inserted_primary_key[0]
    return Actor(name=name, role=role, user_id=int(uid))


def events(store: Store, action: str) -> list[tuple[int | None, str]]:
    boss = Actor("audit-reader", "solo")
    return [(e.client_id, e.detail) for e in reversed(audit.list_events(store, audit.EventFilter(action=action), actor=boss))]


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
    # Anna takes it out again: back to the inbox, which she no longer sees.
    s.unlink_self_check(sid, actor=anna)
    assert s.sessions(annas.id, "self_check", actor=anna) == [] and s.self_checks(actor=anna) == []
    assert [c.id for c in s.self_checks(actor=boss)] == [sid]
    with pytest.raises(UsageError, match="in no client's file"):
        s.unlink_self_check(sid, actor=boss)
    # Re-filing from one client's file to another's records both ends.
    s.link_self_check(sid, annas.id, actor=boss)
    s.link_self_check(sid, bens.id, actor=boss)
    assert [x.id for x in s.sessions(bens.id, "self_check", actor=ben)] == [sid]
    assert events(s, audit.SELF_CHECK_LINK) == [
        (annas.id, f"session {sid}"), (annas.id, f"session {sid}"), (bens.id, f"session {sid} from client {annas.id}")]
    assert events(s, audit.SELF_CHECK_UNLINK) == [
        (annas.id, f"session {sid} back to the self-check inbox"), (annas.id, f"session {sid} moved to client {bens.id}")]
    with s.read() as conn:  # every inbox owner left empty was dropped
        assert conn.execute(select(schema.clients.c.id).where(schema.clients.c.is_self_check == 1)).fetchall() == []


def test_counting_sessions_reads_nothing_and_records_no_view(tmp_path, photo):
    s = Store(tmp_path, refuse_solo=True)
    anna, ben = add_user(s, "anna"), add_user(s, "ben")
    mine = [s.create_client(f"Client {i}", actor=anna) for i in range(5)]
    bens = s.create_client("Ben's", actor=ben)
    for i, c in enumerate(mine[:3]):
        for _ in range(i + 1):
            s.save_session(c.id, Intake(), [photo], actor=anna)
    s.save_session(bens.id, Intake(), [photo], actor=ben)
    sid = s.save_self_check("Client 0", Intake(), [photo], actor=SELF_CHECK)
    boss = add_user(s, "boss", "admin")
    s.link_self_check(sid, mine[0].id, actor=boss)
    views_before = len(events(s, audit.CLIENT_VIEW))
    counts = s.session_counts(actor=anna)
    assert {c: (n.assessments, n.self_checks) for c, n in counts.items()} == {
        mine[0].id: (1, 1), mine[1].id: (2, 0), mine[2].id: (3, 0)}  # ben's client is not hers to count
    assert len(events(s, audit.CLIENT_VIEW)) == views_before
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
