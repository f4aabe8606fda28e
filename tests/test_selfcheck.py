"""The self check's words (posture.report.selfcheck): plain, consistent, one or two actions."""

import itertools
import re

import pytest

from posture.report.selfcheck import (
    CLOSING,
    NEEDS_SIDE_VIEW,
    NOT_SEEN,
    Head,
    Trunk,
    advise,
    head_state,
    self_check_advice,
    trunk_state,
)

from .conftest import with_measures

#: Words a client should not have to look up (and that the therapist's summary does use).
CLINICAL = re.compile(
    r"syndrome|crossed|pattern consistent|kyphos|lordos|flexion|flexed|extension|inclination|craniovertebral|"
    r"cervical|thoracic|lumbar|trapezius|levator|pectoral|scapul|anterior|posterior|lateral|sagittal|protract|"
    r"valgus|varus|obliquity|plumb|CVA|°|\bdeg\b|\d",
    re.IGNORECASE,
)

NECKS = (None, -5.0, 0.0, 20.0, 25.0, 25.1, 30.0, 35.0, 35.1, 50.0)
TRUNKS = (None, -35.0, -20.1, -20.0, 0.0, 10.0, 10.1, 15.0, 20.1, 40.0)
EVERY = list(itertools.product((True, False), NECKS, TRUNKS, (True, False)))


def _says_head_over(text: str) -> bool:
    return "head sits well over your shoulders" in text or "head still over your shoulders" in text


def _says_head_forward(text: str) -> bool:
    """A sentence that puts the head forward (of the shoulders, or pushed forward by something)."""
    return any(re.search(r"\bhead\b.*\bforward\b", sentence) for sentence in re.split(r"(?<=[.:])\s", text))


@pytest.mark.parametrize(("side", "neck", "trunk", "seated"), EVERY)
def test_every_combination_is_plain_consistent_and_short(side, neck, trunk, seated):
    advice = advise(side, neck, trunk, seated=seated)
    lines = advice.lines()
    text = " ".join(lines)
    assert not CLINICAL.search(text), CLINICAL.search(text)
    assert len(set(lines)) == len(lines)  # nothing said twice
    if advice.only:
        assert lines == [advice.only]
        return
    # At most two things to change, at least one.
    assert 1 <= len(advice.actions) <= 2
    # The head's position is stated once, one way.
    seen = " ".join(advice.seen)
    assert not (_says_head_over(seen) and _says_head_forward(seen)), seen
    assert sum("head" in s.lower() for s in advice.seen) <= 1
    # The back: upright, leaning forward and leaning back exclude each other.
    claims = ["close to upright" in seen, "lean forward" in seen, "leaning back" in seen]
    assert sum(claims) <= 1, seen
    # Actions answer what was seen, and only that.
    actions = " ".join(advice.actions)
    if "screen" in actions:
        assert advice.head in (Head.FORWARD, Head.LITTLE)
    if "backrest" in actions or "closer to the desk" in actions:
        assert advice.trunk in (Trunk.LEAN_LITTLE, Trunk.LEAN_LOT) and seated
    if "looks good" in advice.headline:
        assert advice.head in (Head.OVER, Head.UNKNOWN) and advice.trunk in (Trunk.UPRIGHT, Trunk.RECLINED, Trunk.UNKNOWN)
    assert advice.closing == CLOSING and lines[-1] == CLOSING


def test_a_reclined_back_is_blamed_for_the_head_only_when_the_head_is_forward():
    """The issue's contradiction: "Your head sits well over your shoulders" then "You recline a
    lot, which pushes your head forward"."""
    fine = advise(True, 10.0, -30.0)
    assert fine.seen == ("You sit leaning back, with your head still over your shoulders: the backrest takes your weight.",)
    assert "forward" not in " ".join(fine.seen + fine.actions) and fine.headline == "Your position looks good."
    reaching = advise(True, 40.0, -30.0)
    assert reaching.seen == ("You sit leaning back, and your head reaches well forward, probably to see the screen.",)
    assert reaching.actions[0].startswith("Bring the screen closer")


@pytest.mark.parametrize(
    ("neck", "trunk", "first_action"),
    [
        (40.0, 0.0, "Raise your screen so its top is at eye level"),
        (10.0, 30.0, "Move your chair closer to the desk"),
        (40.0, 30.0, "Move your chair closer to the desk"),  # leaning forward carries the head: the chair first
        (30.0, 0.0, "Every half hour or so, sit tall and gently draw your chin back"),
        (10.0, 15.0, "Sit back in your chair"),
        (10.0, 0.0, "Get up and move"),
    ],
)
def test_the_most_useful_change_comes_first(neck, trunk, first_action):
    assert advise(True, neck, trunk).actions[0].startswith(first_action)


def test_two_problems_give_exactly_their_two_actions():
    advice = advise(True, 40.0, 30.0)
    assert len(advice.actions) == 2 and "screen" in advice.actions[1]


def test_a_front_view_gets_the_side_view_message_and_nothing_else():
    for neck, trunk in itertools.product(NECKS, TRUNKS):
        advice = advise(False, neck, trunk)
        assert advice.lines() == [NEEDS_SIDE_VIEW] and advice.closing == "" and advice.actions == ()
    assert "needs a side view" in NEEDS_SIDE_VIEW


def test_nothing_seen_asks_for_a_retake_only():
    assert advise(True, None, None).lines() == [NOT_SEEN]


def test_states_at_the_boundaries():
    assert [head_state(v) for v in (None, 25.0, 25.1, 35.0, 35.1)] == [
        Head.UNKNOWN, Head.OVER, Head.LITTLE, Head.LITTLE, Head.FORWARD]
    assert [trunk_state(v) for v in (None, -20.1, -20.0, 10.0, 10.1, 20.0, 20.1)] == [
        Trunk.UNKNOWN, Trunk.RECLINED, Trunk.UPRIGHT, Trunk.UPRIGHT, Trunk.LEAN_LITTLE, Trunk.LEAN_LITTLE, Trunk.LEAN_LOT]


def test_standing_gets_no_chair_advice():
    advice = advise(True, 10.0, 30.0, seated=False)
    assert advice.actions[0].startswith("Stand tall") and "chair" not in " ".join(advice.lines())


# --- real photos ----------------------------------------------------------------------------


def test_real_photos(assessed):
    back = self_check_advice(assessed("standing_back_02.jpg"))
    assert back.lines() == [NEEDS_SIDE_VIEW]
    front = self_check_advice(assessed("standing_front_04_tpose.jpg"))
    assert front.lines() == [NEEDS_SIDE_VIEW]
    for name in ("seated_side_hunched_01.jpg", "seated_side_reclined_01.jpg", "seated_side_upright_01.jpg"):
        a = assessed(name)
        advice = self_check_advice(a)
        assert advice.only is None, name
        assert advice.head is head_state(a.measures["neck_inclination_deg"].value)
        assert advice.trunk is trunk_state(a.measures["torso_inclination_deg"].value)
        assert not CLINICAL.search(" ".join(advice.lines())) and 1 <= len(advice.actions) <= 2
    hunched = assessed("seated_side_hunched_01.jpg")
    assert hunched.measures["torso_inclination_deg"].value > 20  # leaning over a low table
    assert self_check_advice(hunched).actions[0].startswith("Move your chair closer")


def test_the_readings_are_the_ones_advised_on(assessed):
    a = assessed("seated_side_upright_01.jpg")
    assert self_check_advice(with_measures(a, neck_inclination_deg=(40.0, 1.0), torso_inclination_deg=(-30.0, 1.0))).head is Head.FORWARD
    assert self_check_advice(with_measures(a, neck_inclination_deg=(10.0, 1.0), torso_inclination_deg=(-30.0, 1.0))).trunk is Trunk.RECLINED


# --- the page ---------------------------------------------------------------------------------


def _page_with_upload(data_dir, photo: str, tmp_path, monkeypatch):
    from pathlib import Path

    from streamlit import config
    from streamlit.testing.v1 import AppTest

    from posture.ui.page import get_store

    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("POSTURE_ALLOW_NETWORK", raising=False)
    saved = {k: config.get_option(k) for k in ("browser.gatherUsageStats", "server.address")}
    config.set_option("browser.gatherUsageStats", False)
    config.set_option("server.address", "127.0.0.1")
    get_store.clear()
    try:
        at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app_pages/4_Self_check.py"), default_timeout=120)
        at.run()
        at.radio(key="self_source").set_value("Upload")
        at.run()
        at.file_uploader(key="self_upload").upload("me.jpg", (data_dir / photo).read_bytes(), "image/jpeg")
        at.run()
    finally:
        get_store.clear()
        for k, v in saved.items():
            config.set_option(k, v)
    assert not at.exception, at.exception
    return at


def test_page_side_view_words_first_measures_behind_details(data_dir, tmp_path, monkeypatch):
    at = _page_with_upload(data_dir, "seated_side_hunched_01.jpg", tmp_path, monkeypatch)
    texts = " ".join(m.value for m in [*at.markdown, *at.subheader])
    assert "What we see" in texts and "What to try" in texts and "Move your chair closer" in texts
    shown = " ".join(m.value for m in [*at.markdown, *at.subheader, *at.warning])
    assert not CLINICAL.search(re.sub(r"^\d\. ", "", shown, flags=re.MULTILINE))  # the list's own numbers aside
    (details,) = [e for e in at.expander if e.label.startswith("Details")]
    assert len(at.dataframe) == 1 and len(details.dataframe) == 1  # the only table is the one behind "Details"


def test_page_front_view_gets_one_sentence_and_nothing_else(data_dir, tmp_path, monkeypatch):
    at = _page_with_upload(data_dir, "standing_back_02.jpg", tmp_path, monkeypatch)
    assert [w.value for w in at.warning] == [NEEDS_SIDE_VIEW]
    assert len(at.subheader) == 0 and len(at.dataframe) == 0 and len(at.expander) == 0
    assert not [m for m in at.markdown if "What" in m.value]
