"""Load test of the store on PostgreSQL (loopback only, bounded in time; not part of the test suite).

A throw-away PostgreSQL server is started (tests/pg.py: initdb + pg_ctl on a free 127.0.0.1
port, with PostgreSQL's default durability: fsync on). THERAPISTS simulated therapists, each a
thread with their own account, run ROUNDS rounds at once: create a client, save an assessment
with PHOTOS photos (distinct files, a real photo's bytes and its real assessment), then open
their client list and the new client's history. Afterwards every row and every photo hash is
accounted for: each therapist's clients and sessions exist exactly once, each photo file's
bytes match its hash, no photo is missing or left over, no save is left registered, and the
audit trail holds one create event per client and per session.

    .venv/bin/python benchmarks/load_store.py [--therapists 20] [--rounds 10] [--photos 2] [--deadline 300]

Exit status 0 when everything is accounted for within the deadline, 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from posture import assess  # noqa: E402
from posture.core.intake import Intake  # noqa: E402
from posture.store import audit, db, schema  # noqa: E402
from posture.store.actor import Actor  # noqa: E402
from posture.store.records import NewPhoto, Store  # noqa: E402
from tests.pg import PgServer  # noqa: E402

PHOTO = ROOT / "tests" / "data" / "seated_side_hunched_01.jpg"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else (values[0] if values else float("nan"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--therapists", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--photos", type=int, default=2)
    ap.add_argument("--deadline", type=float, default=300.0, help="seconds; the run fails if it takes longer")
    args = ap.parse_args()

    data = PHOTO.read_bytes()
    assessment = assess(PHOTO)  # once: the model is not what is measured here
    server = PgServer().start(durable=True)
    folder = Path(tempfile.mkdtemp(prefix="posture-load-"))
    try:
        url = server.create_database("load")
        store = Store(folder, url=url)
        actors = []
        with store.write() as conn:
            for i in range(args.therapists):
                uid = conn.execute(insert(schema.users).values(
                    name=f"therapist-{i:02d}", role="therapist", password_hash="-", created_at=dt.datetime.now(dt.UTC),
                )).inserted_primary_key[0]
                actors.append(Actor(name=f"therapist-{i:02d}", role="therapist", user_id=int(uid)))

        latencies: dict[str, list[float]] = defaultdict(list)
        expected: dict[int, list[tuple[str, str]]] = defaultdict(list)  # user id -> (client name, form key)
        errors: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(args.therapists + 1)
        stop_at = [0.0]

        def therapist(actor: Actor) -> None:
            start.wait()
            for r in range(args.rounds):
                if time.monotonic() > stop_at[0]:
                    errors.append(f"{actor.name}: deadline reached at round {r}")
                    return
                name, key = f"{actor.name} client {r}", f"{actor.user_id}-{r}"
                photos = [NewPhoto(data + f"{key}/{k}".encode(), f"p{k}.jpg", assessment) for k in range(args.photos)]
                try:
                    t0 = time.perf_counter()
                    client = store.create_client(name, actor=actor)
                    t1 = time.perf_counter()
                    store.save_session(client.id, Intake(notes=key), photos, actor=actor, idempotency_key=key)
                    t2 = time.perf_counter()
                    store.list_clients(actor=actor)
                    store.sessions(client.id, actor=actor)
                    t3 = time.perf_counter()
                except Exception as exc:  # counted and reported: the run fails
                    errors.append(f"{actor.name} round {r}: {type(exc).__name__}: {exc}")
                    continue
                with lock:
                    latencies["create client"].append(t1 - t0)
                    latencies["save assessment"].append(t2 - t1)
                    latencies["open list + history"].append(t3 - t2)
                    expected[int(actor.user_id or 0)].append((name, key))

        threads = [threading.Thread(target=therapist, args=(a,)) for a in actors]
        for t in threads:
            t.start()
        stop_at[0] = time.monotonic() + args.deadline
        t_start = time.perf_counter()
        start.wait()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t_start

        # --- account for everything ---------------------------------------------------
        problems: list[str] = list(errors)
        with store.read() as conn:
            for actor in actors:
                rows = conn.execute(select(schema.clients.c.id, schema.clients.c.name)
                                    .where(schema.clients.c.owner_user_id == actor.user_id)).fetchall()
                names = sorted(r.name for r in rows)
                if names != sorted(n for n, _ in expected[int(actor.user_id or 0)]):
                    problems.append(f"{actor.name}: clients {names} != expected")
            keys = [k for pairs in expected.values() for _, k in pairs]
            stored = conn.execute(select(schema.sessions.c.idempotency_key)).scalars().all()
            if sorted(stored) != sorted(keys):
                problems.append(f"sessions: {len(stored)} stored for {len(keys)} saves (duplicates or losses)")
            photo_rows = conn.execute(select(schema.photos.c.sha256)).scalars().all()
            pending = conn.execute(select(func.count()).select_from(schema.pending_photos)).scalar_one()
            events = dict(conn.execute(select(schema.audit_events.c.action, func.count()).group_by(schema.audit_events.c.action)).all())
        if len(photo_rows) != len(keys) * args.photos:
            problems.append(f"photos: {len(photo_rows)} rows for {len(keys) * args.photos} saved")
        files = {p.name for p in store.photos_dir.iterdir()}
        if files != {f"{h}.jpg" for h in photo_rows}:
            problems.append(f"photo files: {len(files)} on disk, {len(set(photo_rows))} referenced")
        bad = [h for h in set(photo_rows) if hashlib.sha256((store.photos_dir / f"{h}.jpg").read_bytes()).hexdigest() != h]
        if bad:
            problems.append(f"{len(bad)} photo files do not match their hash")
        if pending:
            problems.append(f"{pending} photo registrations left behind")
        if events.get(audit.CLIENT_CREATE) != len(keys) or events.get(audit.SESSION_CREATE) != len(keys):
            problems.append(f"audit: {events} for {len(keys)} clients and sessions")

        done = sum(len(v) for v in expected.values())
        ops = sum(len(v) for v in latencies.values())
        mb = done * args.photos * (len(data) / 1e6)
        print(f"PostgreSQL {server.bin_dir.parent.name} on 127.0.0.1, {args.therapists} therapists x {args.rounds} rounds, "
              f"{args.photos} photos of {len(data) / 1e3:.0f} kB per assessment")
        print(f"wall {wall:.1f} s; {done} rounds done: {done / wall:.1f} assessments/s, {ops / wall:.1f} operations/s, "
              f"{mb / wall:.1f} MB/s of photos")
        for what, values in latencies.items():
            print(f"  {what:22s} n={len(values):4d}  median {statistics.median(values) * 1e3:7.1f} ms  p95 {p95(values) * 1e3:7.1f} ms  "
                  f"max {max(values) * 1e3:7.1f} ms")
        print(f"accounted for: {len(keys)} clients, {len(stored)} sessions, {len(photo_rows)} photo rows, {len(files)} files "
              f"(hashes checked), audit {events}")
        if problems:
            print("PROBLEMS:\n  " + "\n  ".join(problems[:20]))
            return 1
        print("everything accounted for")
        return 0
    finally:
        db.dispose_engines()
        server.stop()
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
