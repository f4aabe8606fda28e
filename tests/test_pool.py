"""The model pool: one borrower per model, its size kept, models closed; same readings as a fresh model."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from posture import assess
from posture.core.body import augment
from posture.core.body.estimator import BlazePoseEstimator
from posture.core.body.landmarks import PoseLandmarks
from posture.core.body.pool import EstimatorPool, map_on
from posture.core.errors import ModelError
from posture.core.image.imaging import load_image


class Fake:
    """A stand-in model that knows whether it is closed."""

    def __init__(self) -> None:
        self.closed = False

    def detect(self, bgr: np.ndarray) -> PoseLandmarks | None:
        return None

    def close(self) -> None:
        self.closed = True


def test_concurrent_checkouts_never_share_a_model_and_the_size_is_kept() -> None:
    started: list[Fake] = []

    def factory() -> Fake:
        f = Fake()
        started.append(f)
        return f

    pool = EstimatorPool(3, factory=factory)
    held: set[int] = set()
    lock = threading.Lock()
    clashes: list[int] = []
    # Three borrowers at a time meet at the barrier while holding their models, so every
    # round has all three lent out at once; eight threads compete for them.
    barrier = threading.Barrier(3)

    def borrower() -> None:
        for _ in range(20):
            with pool.checkout() as est:
                with lock:
                    if id(est) in held:
                        clashes.append(id(est))
                    held.add(id(est))
                try:
                    barrier.wait(timeout=10)
                except threading.BrokenBarrierError:
                    pass  # the last stragglers have no partners
                with lock:
                    held.discard(id(est))

    threads = [threading.Thread(target=borrower) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clashes == []
    assert len(started) == pool.started == 3


def test_a_full_pool_lends_nothing_more() -> None:
    pool = EstimatorPool(2, factory=Fake)
    a, b = pool.acquire(), pool.acquire()
    assert a is not b
    assert pool.try_acquire() is None
    with pytest.raises(ModelError, match="no pose model became free"):
        pool.acquire(timeout=0.01)
    pool.release(a)
    assert pool.try_acquire() is a  # the returned model, not a third one
    assert pool.started == 2


def test_checkout_many_takes_the_free_models_and_returns_them() -> None:
    pool = EstimatorPool(3, factory=Fake)
    with pool.checkout() as mine:
        with pool.checkout_many() as got:
            assert len(got) == 2 and mine not in got and len({id(g) for g in got}) == 2
        with pool.checkout_many(most=1) as got:
            assert len(got) == 1
    with pool.checkout_many() as got:
        assert len(got) == 3


def test_returning_a_model_twice_or_a_stranger_is_refused() -> None:
    pool = EstimatorPool(1, factory=Fake)
    est = pool.acquire()
    pool.release(est)
    with pytest.raises(ValueError, match="already returned"):
        pool.release(est)
    with pytest.raises(ValueError, match="does not belong"):
        pool.release(Fake())


def test_close_closes_idle_models_now_and_lent_ones_on_return() -> None:
    pool = EstimatorPool(2, factory=Fake)
    idle, lent = pool.acquire(), pool.acquire()
    pool.release(idle)
    pool.close()
    assert isinstance(idle, Fake) and idle.closed
    assert isinstance(lent, Fake) and not lent.closed
    pool.release(lent)
    assert lent.closed
    with pytest.raises(ModelError, match="closed"):
        pool.acquire()


def test_a_waiting_borrower_is_woken_by_close() -> None:
    pool = EstimatorPool(1, factory=Fake)
    pool.acquire()
    errors: list[BaseException] = []

    def wait() -> None:
        try:
            pool.acquire()
        except ModelError as exc:
            errors.append(exc)

    t = threading.Thread(target=wait)
    t.start()
    pool.close()
    t.join(timeout=10)
    assert not t.is_alive() and len(errors) == 1


def test_a_failing_factory_frees_its_place() -> None:
    calls = [0]

    def flaky() -> Fake:
        calls[0] += 1
        if calls[0] == 1:
            raise ModelError("the BlazePose model could not be started: test")
        return Fake()

    pool = EstimatorPool(1, factory=flaky)
    with pytest.raises(ModelError, match="could not be started"):
        pool.acquire()
    assert isinstance(pool.acquire(timeout=1), Fake)


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least one model"):
        EstimatorPool(0, factory=Fake)


def test_map_on_keeps_the_order_and_uses_every_model() -> None:
    models = [Fake(), Fake()]
    seen: dict[int, set[int]] = {0: set(), 1: set()}
    gate = threading.Barrier(2)

    def work(est: object, i: int) -> int:
        if i < 2:
            gate.wait(timeout=10)  # the first two items must run at once, on two models
        seen[models.index(est)].add(i)  # type: ignore[arg-type]
        return i * i

    assert map_on(models, work, list(range(10))) == [i * i for i in range(10)]
    assert seen[0] and seen[1]


def test_map_on_raises_the_first_error() -> None:
    def work(est: object, i: int) -> int:
        if i == 3:
            raise ModelError("BlazePose failed on this image: test")
        return i

    with pytest.raises(ModelError, match="failed on this image"):
        map_on([Fake(), Fake()], work, list(range(8)))


def test_pooled_models_read_exactly_as_a_fresh_model(data_dir) -> None:
    # The copies of one photo spread over two pooled models give the same landmarks, in the
    # same order, as one fresh model running them one after the other: static models keep
    # no state between images, so which model ran a copy does not matter.
    image = load_image(data_dir / "standing_back_02.jpg").bgr
    with BlazePoseEstimator() as fresh:
        first = fresh.detect(image)
        assert first is not None
        frame = augment.canonical_frame(first, image.shape)
        alone = augment.run_augmented(fresh, image, frame)
    with EstimatorPool(2) as pool, pool.checkout_many() as models:
        assert len(models) == 2
        pooled = augment.run_augmented(models, image, frame)
    assert len(alone) == len(pooled) == len(augment.DEFAULT_AUGMENTATIONS)
    for a, b in zip(alone, pooled, strict=True):
        np.testing.assert_array_equal(a.xy, b.xy)
        np.testing.assert_array_equal(a.visibility, b.visibility)


def test_an_assessment_on_the_pool_equals_one_on_a_fresh_model(data_dir) -> None:
    photo = data_dir / "mediapipe_pose_test.jpg"
    with BlazePoseEstimator() as fresh:
        alone = assess(photo, estimator=fresh)
    with EstimatorPool(2) as pool:
        pooled = assess(photo, estimator=pool)
    np.testing.assert_array_equal(alone.landmarks.xy, pooled.landmarks.xy)
    assert {n: (m.value, m.uncertainty) for n, m in alone.measures.items()} == {
        n: (m.value, m.uncertainty) for n, m in pooled.measures.items()
    }


def test_the_default_pool_takes_its_size_from_posture_models(monkeypatch) -> None:
    from posture.core.body import pool as pool_module

    monkeypatch.setattr(pool_module, "_default", None)
    monkeypatch.setenv("POSTURE_MODELS", "3")
    assert pool_module.default_pool().size == 3
    assert pool_module.default_pool() is pool_module.default_pool()
    monkeypatch.setattr(pool_module, "_default", None)
    monkeypatch.setenv("POSTURE_MODELS", "two")
    with pytest.raises(ModelError, match="POSTURE_MODELS must be a whole number"):
        pool_module.default_pool()
    monkeypatch.setattr(pool_module, "_default", None)
    monkeypatch.delenv("POSTURE_MODELS")
    assert pool_module.default_pool().size == pool_module.cores()
