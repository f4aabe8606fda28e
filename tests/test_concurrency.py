"""Several writers at once, on SQLite and on PostgreSQL: nothing lost, nothing duplicated, and a
client deleted under a saving therapist gives that therapist a clear error. Real threads against
one real database each (processes are covered in test_store.py)."""

import hashlib
import random
import threading

import pytest

from posture.core.errors import ClientNotFoundError
from posture.core.intake import Intake
from posture.store.records import NewPhoto, Store

THREADS = 8
KEYS = 20


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    return Store(tmp_path, url=url)


@pytest.fixture
def photo(assessed, data_dir):
    return NewPhoto((data_dir / "seated_side_hunched_01.jpg").read_bytes(), "side.jpg", assessed("seated_side_hunched_01.jpg"))


def _run(threads):
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
        assert not t.is_alive()


def test_many_writers_submitting_the_same_forms_store_each_once(store, photo):
    """Every thread submits all KEYS forms (shuffled), as double clicks and retries from many tabs would."""
    client = store.create_client("Busy")
    start = threading.Barrier(THREADS)
    returned: dict[str, set[int]] = {f"form-{k}": set() for k in range(KEYS)}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def writer(seed):
        order = list(range(KEYS))
        random.Random(seed).shuffle(order)
        start.wait()
        try:
            for k in order:
                data = photo.data + k.to_bytes(2, "big")  # one photo per form, the same bytes on every submit
                sid = store.save_session(client.id, Intake(notes=f"form {k}"), [NewPhoto(data, "p.jpg", photo.assessment)],
                                         idempotency_key=f"form-{k}")
                with lock:
                    returned[f"form-{k}"].add(sid)
        except BaseException as exc:  # reported below, with the thread's traceback lost but not its message
            errors.append(exc)

    _run([threading.Thread(target=writer, args=(i,)) for i in range(THREADS)])
    assert errors == []
    assert all(len(ids) == 1 for ids in returned.values()), returned  # every submit of a form got the same session
    sessions = store.sessions(client.id)
    assert sorted(s.id for s in sessions) == sorted(next(iter(ids)) for ids in returned.values())
    assert sorted(s.intake.notes for s in sessions) == sorted(f"form {k}" for k in range(KEYS))
    for s in sessions:  # every photo is there, with the bytes its record names
        (p,) = s.photos
        assert hashlib.sha256(store.photo_bytes(p.sha256)).hexdigest() == p.sha256
    assert len(list(store.photos_dir.glob("*.jpg"))) == KEYS and not list(store.photos_dir.glob("*.tmp"))
    assert store.collect_garbage() == 0


def test_distinct_writers_lose_nothing(store, photo):
    clients = [store.create_client(f"Client {i}") for i in range(THREADS)]
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(i):
        start.wait()
        try:
            for n in range(5):
                data = photo.data + bytes([i, n])
                store.save_session(clients[i].id, Intake(notes=f"{i}-{n}"), [NewPhoto(data, "p.jpg", photo.assessment)])
                store.create_client(f"Made by {i}-{n}")
        except BaseException as exc:
            errors.append(exc)

    _run([threading.Thread(target=writer, args=(i,)) for i in range(THREADS)])
    assert errors == []
    for i, c in enumerate(clients):
        assert [s.intake.notes for s in store.sessions(c.id)] == [f"{i}-{n}" for n in range(5)]
    assert len(store.list_clients()) == THREADS * 6
    ids = [c.id for c in store.list_clients()]
    assert len(set(ids)) == len(ids)


def test_a_client_deleted_while_another_therapist_saves_gives_them_a_clear_error(store, photo):
    client = store.create_client("Deleted mid-session")
    third_saved = threading.Event()
    deleted = threading.Event()
    outcomes: list[str] = []

    def therapist():
        for n in range(40):
            try:
                store.save_session(client.id, Intake(notes=str(n)), [NewPhoto(photo.data + bytes([n]), "p.jpg", photo.assessment)])
                outcomes.append("saved")
            except ClientNotFoundError as exc:
                outcomes.append(str(exc))
                return
            if n == 2:
                third_saved.set()
                deleted.wait(120)  # the next save starts only once the client is gone

    def admin():
        third_saved.wait(120)
        store.delete_client(client.id)
        deleted.set()

    _run([threading.Thread(target=therapist), threading.Thread(target=admin)])
    assert outcomes[:3] == ["saved"] * 3 and len(outcomes) == 4
    assert outcomes[3].startswith(f"no client with id {client.id}: the client was deleted")
    assert store.sessions(client.id) == []
    assert store.collect_garbage() == 1 and list(store.photos_dir.iterdir()) == []  # only the refused save's photo was left
