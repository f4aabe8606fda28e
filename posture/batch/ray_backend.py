"""Ray backend: actors that each hold one loaded model, fed one photo at a time.

`address=None` starts a private local Ray instance (stopped at the end); an address
("auto", "HOST:6379" or "ray://HOST:10001") connects to a running cluster, which is left
running. A process already connected (`ray.init` called by the caller) is used as it is.
Workers read the photos by path, so on a cluster the photos (and the posture package, same
version) must be reachable at the same paths on every node (shared storage).
Only the parent writes the output.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Generator, Sequence
from typing import Any

from posture.core.errors import UsageError

from .inputs import BatchItem
from .rows import row_from_crash
from .work import Assessor

Indexed = tuple[int, BatchItem]

#: An actor that dies is replaced this many times in one batch before the batch gives up
#: (a node lost is survivable; a crash on every photo is a broken installation).
MAX_ACTOR_REPLACEMENTS = 8


#: Ray reports usage statistics to its vendor unless this is "0"; a tool for health data sends
#: nothing anywhere, so a Ray started or joined from here never does.
NO_USAGE_STATS = {"RAY_USAGE_STATS_ENABLED": "0"}


def quiet_ray_environment() -> None:
    """Turn Ray's usage reporting off for this process and the workers it starts (set before ray.init)."""
    os.environ.update(NO_USAGE_STATS)


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


class RayPool:
    def __init__(self, address: str | None, workers: int | None, thresholds_path: str | None = None, *,
                 actor: type = Assessor) -> None:
        if not ray_available():
            raise UsageError("--ray needs the ray package: pip install -c requirements.lock -e '.[ray]'")
        if workers is not None and workers < 1:
            raise UsageError(f"--workers must be at least 1, got {workers}")
        self.address = address
        self.workers = workers
        self.thresholds_path = thresholds_path
        self.actor = actor  # the actor class: `ready()`, then one row per `__call__(item)`
        self.description = "Ray (starting)"

    def run(self, items: Sequence[Indexed]) -> Generator[tuple[int, dict[str, Any]], None, None]:
        quiet_ray_environment()
        import ray
        from ray.exceptions import RayActorError

        started_here = self.address is None
        # A caller (a notebook, the benchmark) that already connected keeps its connection.
        owned = not ray.is_initialized()
        try:
            if owned and started_here:
                # A fresh private instance sized to --workers (default: this machine's CPUs).
                ray.init(address="local", num_cpus=self.workers, include_dashboard=False, log_to_driver=False,
                         logging_level=logging.ERROR)
            elif owned:
                ray.init(address=self.address, log_to_driver=False, logging_level=logging.ERROR)
        except Exception as exc:  # noqa: BLE001 - connection refused, bad address, version mismatch ...
            raise UsageError(f"Ray could not be {'started' if started_here else 'reached at ' + str(self.address)}: "
                             f"{' '.join(str(exc).split())}") from None
        try:
            n = self.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
            self.description = f"Ray, {n} actor{'s' if n != 1 else ''}"
            actor_cls: Any = ray.remote(num_cpus=1)(self.actor)
            actors: list[Any] = [actor_cls.remote(self.thresholds_path) for _ in range(n)]
            ray.get([a.ready.remote() for a in actors])  # models loaded before the first photo
            pending = list(items)
            pending.reverse()  # pop() from the end = input order
            idle = list(range(n))
            inflight: dict[Any, tuple[int, Indexed]] = {}
            replaced = 0
            retried: set[int] = set()
            while pending or inflight:
                while idle and pending:
                    slot = idle.pop()
                    entry = pending.pop()
                    inflight[actors[slot].__call__.remote(entry[1])] = (slot, entry)
                ready, _ = ray.wait(list(inflight), num_returns=1)
                for ref in ready:
                    slot, (index, item) = inflight.pop(ref)
                    idle.append(slot)  # free for the next photo (its actor replaced first if it died)
                    try:
                        row = ray.get(ref)
                    except RayActorError as exc:
                        replaced += 1
                        if replaced > MAX_ACTOR_REPLACEMENTS:
                            raise RuntimeError(f"Ray actors died {replaced} times; stopping the batch") from exc
                        actors[slot] = actor_cls.remote(self.thresholds_path)
                        if index not in retried:
                            # An actor also dies with its node or of memory pressure: the photo gets
                            # one more try, next, on a fresh actor (as the local pool retries it alone).
                            retried.add(index)
                            pending.append((index, item))
                            continue
                        row = row_from_crash(item, "its Ray actor died again when the photo was retried")
                    yield index, row
            for a in actors:
                ray.kill(a)
        finally:
            if owned:
                ray.shutdown()  # stops a local instance; only disconnects from a cluster
