"""The one-client export ZIP as its receiver opens it: photo names a person can tell apart, each
summary as HTML next to its Markdown, a plain README.txt (real store, real photos)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zipfile
from html.parser import HTMLParser

import pytest

from posture.core.intake import Intake
from posture.store.export import export_client, image_extension, photo_member
from posture.store.records import NewPhoto, Store

NAME = "Zoë <b>html</b> *markdown* O'Brien-Łukasiewicz"
DURATION = "3 weeks, *worse* <b>mornings</b>"
PHOTO_MEMBER = re.compile(r"photos/session-(\d+)-([a-z0-9-]+)-([0-9a-f]{12})\.(jpg|png)")
#: Field names of client.json before the photo names changed: a reader of the old files reads the new ones.
DOC_KEYS = {"format", "exported_at_utc", "exported_by", "client", "sessions", "draft", "audit_events"}
SESSION_KEYS = {"id", "created", "kind", "intake", "photos"}
PHOTO_KEYS = {"id", "sha256", "filename", "file", "assessment"}


def _photo(assessed, data_dir, name: str) -> NewPhoto:
    return NewPhoto((data_dir / name).read_bytes(), name, assessed(name))


@pytest.fixture
def exported(tmp_path, assessed, data_dir):
    """A client with two sessions: three views, a PNG, one photo in both sessions, one twice in a session."""
    s = Store(tmp_path / "data")
    c = s.create_client(NAME, "1980-02-01", 168)
    back, side = _photo(assessed, data_dir, "standing_back_01.jpg"), _photo(assessed, data_dir, "seated_side_hunched_01.jpg")
    first = s.save_session(c.id, Intake(pain={"neck": 7}, duration=DURATION),
                           [_photo(assessed, data_dir, "standing_front_04_tpose.jpg"), back, side])
    second = s.save_session(c.id, Intake(), [back, _photo(assessed, data_dir, "upper_body_front_01_astronaut.png"), side, side])
    path = export_client(s, c.id, tmp_path / "out.zip")
    return s, c.id, (first, second), path


def test_photo_members_are_named_by_session_view_and_hash_and_match_the_manifest(exported):
    _, _, (first, second), path = exported
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        doc = json.loads(zf.read("client.json"))
        assert len(names) == len(set(names))
        assert set(doc) == DOC_KEYS and doc["format"] == "posture-client-export/1"
        members = [n for n in names if n.startswith("photos/")]
        assert all(PHOTO_MEMBER.fullmatch(n) for n in members), members
        referenced = set()
        for session in doc["sessions"]:
            assert set(session) == SESSION_KEYS
            for p in session["photos"]:
                assert set(p) == PHOTO_KEYS and re.fullmatch(r"[0-9a-f]{64}", p["sha256"])
                match = PHOTO_MEMBER.fullmatch(p["file"])
                assert match is not None and p["file"] in names
                assert hashlib.sha256(zf.read(p["file"])).hexdigest() == p["sha256"]
                assert match.group(1, 2, 3) == (str(session["id"]), p["assessment"]["view"]["name"], p["sha256"][:12])
                assert match.group(4) == ("png" if p["filename"].endswith(".png") else "jpg")
                referenced.add(p["file"])
        assert referenced == set(members)  # no photo file that the manifest does not name
        by_session = {s["id"]: s["photos"] for s in doc["sessions"]}
        assert [len(by_session[first]), len(by_session[second])] == [3, 4]
        # The back photo is in both sessions: one file in each, same bytes. The side photo twice in
        # the second session: two records, one file.
        assert len(members) == 3 + 3
        views = {p["assessment"]["view"]["name"] for p in by_session[first]}
        assert len(views) == 3  # three views, three different names within the session


def test_each_session_has_an_html_summary_with_user_text_exactly_as_typed(exported):
    _, _, sessions, path = exported
    with zipfile.ZipFile(path) as zf:
        for sid in sessions:
            assert {f"summaries/session-{sid}.html", f"summaries/session-{sid}.md"} <= set(zf.namelist())
        source = zf.read(f"summaries/session-{sessions[0]}.html").decode("utf-8")
    page = _Text()
    page.feed(source)
    page.close()
    assert NAME in page.user and DURATION in page.user  # shown exactly as typed
    assert "neck 7/10" in page.text and "\\" not in page.text  # no Markdown escapes in what is read
    assert "em" not in page.tags and "*markdown*" in page.text  # not rendered as Markdown emphasis
    assert "&lt;b&gt;html&lt;/b&gt;" in source and "<b>html</b>" not in source
    assert "&lt;b&gt;mornings&lt;/b&gt;" in source and "<b>mornings</b>" not in source


def test_readme_names_the_folders_the_date_and_the_limits(exported, tmp_path):
    s, client_id, _, path = exported
    assert path.stat().st_mode & 0o777 == 0o600
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist()[0] == "README.txt"
        text = zf.read("README.txt").decode("ascii")
        exported_at = dt.datetime.fromisoformat(json.loads(zf.read("client.json"))["exported_at_utc"])
    for words in ("summaries/", "photos/", "client.json", ".html", "browser", ".md", "Markdown",
                  f"{exported_at:%Y-%m-%d}", "screening aids, not a diagnosis"):
        assert words in text, words
    assert NAME not in text and "Zo" not in text  # the name only where the records are
    assert "2 session(s) and 7 photo(s)" in text
    from posture.store import audit
    from posture.store.actor import SOLO

    events = audit.list_events(s, audit.EventFilter(client_id=client_id, action=audit.CLIENT_EXPORT), actor=SOLO)
    assert [(e.action, e.detail) for e in events] == [(audit.CLIENT_EXPORT, "2 sessions, 7 photos")]
    assert export_client(s, client_id, tmp_path).name == f"client-{client_id}-{dt.date.today():%Y-%m-%d}.zip"


@pytest.mark.parametrize(("photo", "ext"), [("standing_back_01.jpg", ".jpg"), ("upper_body_front_01_astronaut.png", ".png"),
                                            ("ATTRIBUTION.md", ".jpg")])
def test_image_extension_comes_from_the_bytes(data_dir, photo, ext):
    assert image_extension((data_dir / photo).read_bytes()) == ext


@pytest.mark.parametrize(("view", "part"), [("front", "front"), ("Left", "left"), ("", "unknown"), ("../../etc", "etc")])
def test_photo_member_is_one_safe_name_inside_photos(view, part):
    assert photo_member(12, view, "0a1b2c3d4e5f" + "9" * 52, ".png") == f"photos/session-12-{part}-0a1b2c3d4e5f.png"


class _Text(HTMLParser):
    """The text a browser shows (body only), the text of elements marked as user text, the tags used."""

    def __init__(self) -> None:
        super().__init__()
        self.text, self.user, self.tags = "", [], set()
        self._stack: list[bool] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag in ("style", "title", "svg"):
            self._skip += 1
        if tag not in ("meta", "br", "img", "link"):
            self._stack.append("user" in (dict(attrs).get("class") or "").split())
            if self._stack[-1]:
                self.user.append("")

    def handle_endtag(self, tag):
        if tag in ("style", "title", "svg"):
            self._skip -= 1
        if tag not in ("meta", "br", "img", "link") and self._stack:
            self._stack.pop()

    def handle_data(self, data):
        if self._skip:
            return
        self.text += data
        if any(self._stack):
            self.user[-1] += data
