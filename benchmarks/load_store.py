"""Load test of the store on PostgreSQL (loopback only, bounded in time; not part of the test suite).

A throw-away PostgreSQL server is started (tests/pg.py: initdb + pg_ctl on a free 127.0.0.1
port, with PostgreSQL's default durability: fsync on). THERAPISTS simulated therapists, each a
thread with their own account, run ROUNDS rounds at once: create a client, save an assessment
with PHOTOS photos (distinct files, a real photo's bytes and its real assessment), then open
their client list and the new client's history. Afterwards every row and every photo hash is
accounted for: each therapist's clients and sessions exist exactly once, each photo file's
bytes match its hash, no photo is missing or left over, no save is left registered, and the
audit trail holds one create event per client and per session.

Faults, as a clinic meets them (each optional):
- `--restart`: once half of the therapists' rounds are done, the database is stopped at once
  (`pg_ctl -m immediate`, as a crash) and started again. Saves in flight fail with a one-line StorageError; each round
  is idempotent (the client found by its exact name if its creation committed, the assessment
  saved again with the same idempotency key), so the therapist retries it until it succeeds.
- `--kill`: one more therapist runs in a process of its own and is killed (SIGKILL) in the middle
  of a save, half-way through its rounds; a new process then does that therapist's rounds again
  from the start, idempotently. The killed save's orphan files and registration are removed by
  the clean-up (`collect_garbage`), and counted.
Either way, afterwards nothing may be missing and nothing stored twice; the counts are printed.

    .venv/bin/python benchmarks/load_store.py [--therapists 20] [--rounds 10] [--photos 2] [--deadline 300]
                                              [--restart] [--kill]

Exit status 0 when everything is accounted for within the deadline, 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import multiprocessing
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from posture import assess  # noqa: E402
from posture.core.assessment import Assessment  # noqa: E402
from posture.core.errors import StorageError  # noqa: E402
from posture.core.intake import Intake  # noqa: E402
from posture.store import audit, db, schema  # noqa: E402
from posture.store.actor import Actor  # noqa: E402
from posture.store.records import NewPhoto, Store  # noqa: E402
from tests.pg import PgServer  # noqa: E402

PHOTO = ROOT / "tests" / "data" / "seated_side_hunched_01.jpg"
RETRY_WAIT_S = 0.25  # between tries while the database is away (a restart takes about a second)
RETRY_FOR_S = 60.0  # a round still failing after this long is reported, not retried forever


@dataclass
class Retries:
    """Errors a round met and retried (one-line messages, by kind)."""

    seen: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, exc: Exception) -> None:
        with self.lock:
            self.seen[f"{type(exc).__name__}: {str(exc).split('(')[0].strip()}"] += 1


def one_round(store: Store, actor: Actor, r: int, data: bytes, assessment: Assessment, n_photos: int, retries: Retries,
              before_save: Callable[[], None] = lambda: None) -> dict[str, float]:
    """Create round `r`'s client and save its assessment, then open the list and the history;
    idempotent, so retried after an error until it succeeds. Returns the latencies of the try that did."""
    name, key = f"{actor.name} client {r}", f"{actor.user_id}-{r}"
    photos = [NewPhoto(data + f"{key}/{k}".encode(), f"p{k}.jpg", assessment) for k in range(n_photos)]
    give_up = time.monotonic() + RETRY_FOR_S
    while True:
        try:
            t0 = time.perf_counter()
            # A creation that committed before the error is found again, never made twice.
            client = next((c for c in store.list_clients(name, actor=actor) if c.name == name), None)
            if client is None:
                client = store.create_client(name, actor=actor)
            t1 = time.perf_counter()
            before_save()
            store.save_session(client.id, Intake(notes=key), photos, actor=actor, idempotency_key=key)
            t2 = time.perf_counter()
            store.list_clients(actor=actor)
            store.sessions(client.id, actor=actor)
            t3 = time.perf_counter()
            return {"create client": t1 - t0, "save assessment": t2 - t1, "open list + history": t3 - t2}
        except StorageError as exc:
            retries.note(exc)
            if time.monotonic() > give_up:
                raise
            time.sleep(RETRY_WAIT_S)  # the database is restarting: ask again shortly


def killed_therapist(url: str, folder: str, actor: Actor, rounds: int, n_photos: int, assessment: Assessment,
                     progress: Any, saving: Any) -> None:
    """One therapist in a process of its own (the one --kill kills, and the one that redoes its rounds)."""
    give_up = time.monotonic() + RETRY_FOR_S
    while True:  # the database may be restarting (--restart-at) as this process starts
        try:
            store = Store(folder, url=url)
            break
        except StorageError:
            if time.monotonic() > give_up:
                raise
            time.sleep(RETRY_WAIT_S)
    data = PHOTO.read_bytes()

    def mark_saving() -> None:
        saving.value = 1

    for r in range(rounds):
        one_round(store, actor, r, data, assessment, n_photos, Retries(), mark_saving)
        saving.value = 0
        progress.value = r + 1


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else (values[0] if values else float("nan"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--therapists", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--photos", type=int, default=2)
    ap.add_argument("--deadline", type=float, default=300.0, help="seconds; the run fails if it takes longer")
    ap.add_argument("--restart", action="store_true",
                    help="stop the database at once and start it again when half of the rounds are done")
    ap.add_argument("--kill", action="store_true", help="one more therapist in its own process, killed mid-save, then redone")
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
            for i in range(args.therapists + (1 if args.kill else 0)):
                uid = conn.execute(insert(schema.users).values(
                    name=f"therapist-{i:02d}", role="therapist", password_hash="-", created_at=dt.datetime.now(dt.UTC),
                )).inserted_primary_key[0]
                actors.append(Actor(name=f"therapist-{i:02d}", role="therapist", user_id=int(uid)))
        victim = actors.pop() if args.kill else None
        retries = Retries()
        faults: list[str] = []

        latencies: dict[str, list[float]] = defaultdict(list)
        expected: dict[int, list[tuple[str, str]]] = defaultdict(list)  # user id -> (client name, form key)
        errors: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(args.therapists + 2)  # the therapists, this thread, the restarter
        stop_at = [0.0]

        def therapist(actor: Actor) -> None:
            start.wait()
            for r in range(args.rounds):
                if time.monotonic() > stop_at[0]:
                    errors.append(f"{actor.name}: deadline reached at round {r}")
                    return
                try:
                    took = one_round(store, actor, r, data, assessment, args.photos, retries)
                except Exception as exc:  # counted and reported: the run fails
                    errors.append(f"{actor.name} round {r}: {type(exc).__name__}: {exc}")
                    continue
                with lock:
                    for what, seconds in took.items():
                        latencies[what].append(seconds)
                    expected[int(actor.user_id or 0)].append((f"{actor.name} client {r}", f"{actor.user_id}-{r}"))

        def restart_database() -> None:
            start.wait()
            half = args.therapists * args.rounds // 2
            while sum(len(v) for v in expected.values()) < half and any(t.is_alive() for t in threads[:args.therapists]):
                time.sleep(0.01)  # polling the run's progress for the moment of the fault
            done_before = sum(len(v) for v in expected.values())
            t0 = time.perf_counter()
            server.restart()
            faults.append(f"database stopped at once (-m immediate) after {done_before} of {args.therapists * args.rounds} "
                          f"rounds and restarted, back in {time.perf_counter() - t0:.1f} s")

        def kill_and_redo(actor: Actor) -> None:
            spawn = multiprocessing.get_context("spawn")
            progress, saving = spawn.Value("i", 0), spawn.Value("i", 0)
            job = (url, str(folder), actor, args.rounds, args.photos, assessment, progress, saving)
            proc = spawn.Process(target=killed_therapist, args=job)
            proc.start()
            while proc.is_alive() and not (progress.value >= args.rounds // 2 and saving.value == 1):
                time.sleep(0.001)  # polling the victim's progress, to kill it inside a save
            at_round = progress.value
            if proc.is_alive() and proc.pid is not None:
                os.kill(proc.pid, signal.SIGKILL)
            proc.join()
            faults.append(f"{actor.name}'s process killed (SIGKILL) during the save of round {at_round} of {args.rounds}; "
                          f"exit code {proc.exitcode}")
            progress, saving = spawn.Value("i", 0), spawn.Value("i", 0)  # held here until the child has them
            redo = spawn.Process(target=killed_therapist, args=(url, str(folder), actor, args.rounds, args.photos, assessment,
                                                                progress, saving))
            redo.start()
            redo.join()
            if redo.exitcode != 0:
                errors.append(f"{actor.name}: the redo process ended with exit code {redo.exitcode}")
                return
            with lock:
                expected[int(actor.user_id or 0)].extend(
                    (f"{actor.name} client {r}", f"{actor.user_id}-{r}") for r in range(args.rounds))

        threads = [threading.Thread(target=therapist, args=(a,)) for a in actors]
        if args.restart:
            threads.append(threading.Thread(target=restart_database))
        else:
            start = threading.Barrier(len(threads) + 1)
        if victim is not None:
            threads.append(threading.Thread(target=kill_and_redo, args=(victim,)))
        for t in threads:
            t.start()
        stop_at[0] = time.monotonic() + args.deadline
        t_start = time.perf_counter()
        start.wait()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t_start

        # --- account for everything ---------------------------------------------------
        # A killed save leaves its photo files and registration behind; the clean-up (which a later
        # deletion runs anyway) removes them once no process is saving.
        with store.read() as conn:
            orphans = conn.execute(select(func.count()).select_from(schema.pending_photos)).scalar_one()
        cleaned = store.collect_garbage(abandoned_after=0.0)
        problems: list[str] = list(errors)
        with store.read() as conn:
            for actor in actors + ([victim] if victim is not None else []):
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
        for fault in faults:
            print(f"fault: {fault}")
        if retries.seen or faults:
            print(f"errors met and retried (the same round, idempotently): {dict(retries.seen) or 'none'}")
            print(f"left behind by interrupted saves: {orphans} photo registrations; clean-up removed {cleaned} orphan files")
        duplicates = len(stored) - len(set(stored))
        print(f"accounted for: {len(keys)} clients, {len(stored)} sessions ({duplicates} stored twice), {len(photo_rows)} photo rows, "
              f"{len(files)} files (hashes checked, {len(bad)} bad), {pending} registrations left, audit {events}")
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
