from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"
#: Two back photos of one person from one camera whose set-up lets every frontal measure be
#: read (a lab camera at shoulder height, 17° down): two "visits" for the history and compare
#: tests. (The room with the floorboards, standing_back_01/02/03, has its camera about 2 m up
#: and 31° down: every measure there is withheld.)
TWO_BACK_PHOTOS = ("standing_back_04_tpose.jpg", "multicam/static_cam02_f00.jpg")


# --- Markers for `make test-fast` (registered in pyproject.toml), from what a test uses ---

BROWSER_FIXTURES = {"pw", "server"}  # Playwright's driver, the app's launcher (a real browser drives it)
POSTGRES_FIXTURES = {"pg_server", "pg_url", "pg_two_roles"}


def pytest_collection_modifyitems(config, items):
    """`browser`: a test using Chromium; `postgres`: a test on a real PostgreSQL server, by its
    fixtures or by a "postgresql" parameter (test_store's `backend`, test_concurrency's `store`
    fetch pg_url only when that parameter says so)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        params = callspec.params.values() if callspec is not None else ()
        if fixtures & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if fixtures & POSTGRES_FIXTURES or any(isinstance(v, str) and v == "postgresql" for v in params):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


_CACHE: dict[tuple[str, str], object] = {}


@pytest.fixture(scope="session")
def assessed():
    """assess() each real photo once per test session (the model costs ~0.5 s a photo)."""
    from posture import assess

    def get(name: str, view: str = "auto"):
        key = (name, view)
        if key not in _CACHE:
            _CACHE[key] = assess(DATA / name, view=view)
        return _CACHE[key]

    return get


def synthetic_landmarks(points: dict, visibility: float = 1.0):
    """PoseLandmarks with the given points (Landmark -> (x, y)); the rest at (0, 0)."""
    from posture.core.body.landmarks import NUM_LANDMARKS, PoseLandmarks

    xy = np.zeros((NUM_LANDMARKS, 2))
    for lm, p in points.items():
        xy[int(lm)] = p
    return PoseLandmarks(xy, np.full(NUM_LANDMARKS, visibility))


def with_measures(a, **values):
    """A copy of assessment `a` with some measures replaced: name=(value, uncertainty)."""
    import dataclasses

    from posture.core.measuring.measures import Measure

    measures = dict(a.measures)
    for name, (value, uncertainty) in values.items():
        measures[name] = Measure(name, measures[name].unit, value, uncertainty, 0.9)
    return dataclasses.replace(a, measures=measures)


def side_body(cva=50.0, torso=10.0):
    """Seated left view (the subject faces image-left, forward is -x): shoulder->ear at `cva`
    above the forward horizontal, hip->shoulder `torso` deg forward of vertical, thigh
    horizontal, shank vertical."""
    import math

    from posture.core.body.landmarks import Landmark as L

    shoulder = (500.0, 300.0)
    ear = (500 - 100 * math.cos(math.radians(cva)), 300 - 100 * math.sin(math.radians(cva)))
    hip = (500 + 300 * math.sin(math.radians(torso)), 300 + 300 * math.cos(math.radians(torso)))
    knee = (hip[0] - 250, hip[1])
    ankle = (knee[0], knee[1] + 250)
    return {L.LEFT_EAR: ear, L.LEFT_SHOULDER: shoulder, L.LEFT_HIP: hip, L.LEFT_KNEE: knee, L.LEFT_ANKLE: ankle}


def standing_side_body():
    """Standing left view, upright (CVA about 86 deg, trunk vertical), ankle at (500, 990)."""
    from posture.core.body.landmarks import Landmark as L

    return {L.LEFT_EAR: (490.0, 100.0), L.LEFT_SHOULDER: (505.0, 250.0), L.LEFT_HIP: (505.0, 500.0),
            L.LEFT_KNEE: (500.0, 750.0), L.LEFT_ANKLE: (500.0, 990.0)}


def swayed(points, degrees):
    """The whole body rigidly tilted forward by `degrees` about the left ankle (a left view
    faces image-left, so forward is counter-clockwise as displayed)."""
    from posture.core.body.landmarks import Landmark as L
    from posture.core.measuring.geometry import rotate_points

    keys = list(points)
    xy = rotate_points(np.array([points[k] for k in keys]), degrees, points[L.LEFT_ANKLE])
    return {k: (float(p[0]), float(p[1])) for k, p in zip(keys, xy, strict=True)}


@pytest.fixture
def fsync_log(monkeypatch):
    """Every os.fsync made during the test, in order, as (is_directory, inode)."""
    synced: list[tuple[bool, int]] = []
    real_fsync = os.fsync

    def recording_fsync(fd):
        st = os.fstat(fd)
        synced.append((stat.S_ISDIR(st.st_mode), st.st_ino))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    return synced


# --- PostgreSQL (the store's tests run against SQLite and a real server; see tests/pg.py) ---


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL server for the test session, started on a free loopback port."""
    from tests.pg import PgServer, PgUnavailable

    server = PgServer()
    try:
        server.start()
    except PgUnavailable as exc:
        server.stop()
        pytest.skip(f"PostgreSQL tests SKIPPED: {exc}")
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server):
    """A new, empty database on the test server; dropped (with the store's pooled connections) afterwards."""
    import secrets

    from posture.store import db

    name = f"t_{secrets.token_hex(6)}"
    url = pg_server.create_database(name)
    yield url
    db.dispose_engines()
    pg_server.drop_database(name)


@pytest.fixture
def pg_two_roles(pg_server):
    """A new database owned by its owner role, and an app role with no rights yet (the deploy
    guide's set-up, tests/pg.py): (owner_url, app_url). Dropped with both roles afterwards."""
    import secrets

    from posture.store import db

    name = f"t_{secrets.token_hex(6)}"
    yield pg_server.create_two_roles(name)
    db.dispose_engines()
    pg_server.drop_two_roles(name)


@pytest.fixture(scope="module")
def pw():
    """One Playwright driver for a browser test module (the sync API allows one at a time)."""
    from .browser_kit import require_chromium

    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app's launcher on a free loopback port with its own data folder, for one module."""
    from .browser_kit import Server

    folder = tmp_path_factory.mktemp("server")
    srv = Server(folder / "data", folder / "streamlit.log")
    srv.start()
    yield srv
    srv.stop()


def markdown_shown(markdown: str) -> str:
    """What Markdown shows of escaped text (the backslashes before punctuation dropped)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")  # the word joiner is invisible


def use_database(request, monkeypatch) -> str:
    """POSTURE_DATABASE_URL for a test whose `request.param` names its backend ("sqlite": the
    file in the data folder; "postgresql": the suite's server, tests/pg.py); the processes it
    spawns inherit it. The modules that run every test on both call it from their `backend`
    fixture."""
    if request.param == "postgresql":
        monkeypatch.setenv("POSTURE_DATABASE_URL", request.getfixturevalue("pg_url"))
    else:
        monkeypatch.delenv("POSTURE_DATABASE_URL", raising=False)
    return request.param
