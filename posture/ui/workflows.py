"""Pieces the app's pages share, kept out of the UI so they can be tested without it:
change summaries, side-by-side photos at the same body scale, trends, desk advice,
unsaved intake drafts."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from posture.core.assessment import Assessment
from posture.core.body.landmarks import MIN_VISIBILITY
from posture.core.compare import ChangeStatus, MeasureChange, change_text, compare, setup_difference, verdict_text
from posture.core.image.camera import CameraTilt
from posture.core.image.device import DeviceLevel
from posture.core.image.imaging import BGRImage, LoadedImage, encode_jpeg
from posture.core.measuring.findings import FINDING_MARGIN_SIGMAS
from posture.core.measuring.formatting import label as measure_label
from posture.core.measuring.formatting import signed_amount, signed_words
from posture.core.measuring.measures import FRONTAL, MEASURES, SAGITTAL
from posture.core.measuring.uncertainty import pitch_unknown
from posture.report.draw import annotate
from posture.report.markdown import md_escape
from posture.report.selfcheck import self_check_advice
from posture.report.summary_text import setup_headline
from posture.store.records import SessionRecord


def annotated_jpeg(image: LoadedImage, a: Assessment, max_side: int = 1400) -> bytes:
    drawn = annotate(image.bgr, a)
    h, w = drawn.shape[:2]
    f = max_side / max(h, w)
    if f < 1:
        drawn = np.asarray(cv2.resize(drawn, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return encode_jpeg(np.asarray(drawn, dtype=np.uint8), 85)


def change_lines(previous: list[Assessment], current: list[Assessment]) -> list[str]:
    """Plain lines on what changed since the previous session, view by view."""
    lines: list[str] = []
    for a in current:
        before = next((p for p in previous if p.view.name is a.view.name), None)
        if before is None:
            continue
        refused = setup_difference(before, a)
        if refused is not None:
            lines.append(f"{a.view.name.value} view: not compared, {refused}")
            continue
        real = [c for c in compare(before, a) if c.status in (ChangeStatus.IMPROVED, ChangeStatus.WORSE, ChangeStatus.CHANGED)]
        if not real:
            lines.append(f"{a.view.name.value} view: no change beyond measurement noise")
        for c in real:
            assert c.before is not None and c.after is not None
            lines.append(f"{a.view.name.value} view: {measure_label(c.name)} {signed_words(c.name, c.before, c.unit)} → "
                         f"{signed_words(c.name, c.after, c.unit)} ({c.status.value}: {change_text(c)})")
    return lines


_AT_WORK = {"sitting": "mostly sitting at work", "standing": "mostly standing at work",
            "mixed": "sitting and standing at work"}


def counted(n: int, noun: str) -> str:
    """'1 assessment', '3 assessments', 'no assessments' (regular plurals only)."""
    return f"no {noun}s" if n == 0 else f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def work_setup_text(desk_hours: float | None, mostly: str | None) -> str:
    """The intake's work line, in words: '6 h a day at a desk; mostly sitting at work'."""
    hours = None if desk_hours is None else f"{desk_hours:g} h a day at a desk"
    return "; ".join(filter(None, (hours, _AT_WORK.get(mostly or "", mostly))))


def body_height_px(a: Assessment) -> float:
    vis = a.landmarks.visibility >= MIN_VISIBILITY
    ys = a.landmarks.xy[vis, 1] if vis.any() else a.landmarks.xy[:, 1]
    return max(float(ys.max() - ys.min()), 1.0)


def panel_transform(a: Assessment, body_px: int = 500) -> tuple[npt.NDArray[np.float64], tuple[int, int]]:
    """The 2x3 map from a photo to its side-by-side panel (the body `body_px` tall, centred)
    and the panel's size: the same for every photo, so two bodies compare at one scale."""
    f = body_px / body_height_px(a)
    vis = a.landmarks.visibility >= MIN_VISIBILITY
    pts = a.landmarks.xy[vis] if vis.any() else a.landmarks.xy
    cx, cy = pts[:, 0].mean(), (pts[:, 1].min() + pts[:, 1].max()) / 2
    half_w, half_h = 0.45 * body_px, 0.65 * body_px
    m = np.array([[f, 0, half_w - cx * f], [0, f, half_h - cy * f]])
    return m, (int(2 * half_w), int(2 * half_h))


def side_by_side(img_a: BGRImage, a: Assessment, img_b: BGRImage, b: Assessment, body_px: int = 500) -> BGRImage:
    """Two photos (as stored, before orienting) scaled so the bodies are the same height,
    cropped around them, side by side, each annotated after the crop: lines and labels are
    sized for the panel and no value label is cut off at its edge."""
    panels = []
    for img, asmt in ((img_a, a), (img_b, b)):
        m, size = panel_transform(asmt, body_px)
        panels.append(annotate(img, asmt, transform=m, size=size))
    gap = np.full((panels[0].shape[0], 12, 3), 255, np.uint8)
    return np.hstack([panels[0], gap, panels[1]])


@dataclass(frozen=True)
class TrendPoint:
    date: str
    value: float
    uncertainty: float


def trends(sessions: list[SessionRecord], view: str) -> dict[str, list[TrendPoint]]:
    """Each measure's value over the sessions, for photos of one view."""
    out: dict[str, list[TrendPoint]] = {}
    for s in sessions:
        for p in s.photos:
            if p.assessment.view.name.value != view:
                continue
            for name, m in p.assessment.measures.items():
                if m.value is not None:
                    out.setdefault(name, []).append(TrendPoint(s.created, m.value, m.uncertainty or 0.0))
    return out


# --- the session story: pain and key measures over a client's sessions ------------------------

def session_time(created: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(created)
    except ValueError:
        return None


def session_date(created: str) -> str:
    """A session's time for people: "3 Mar 2026, 14:05" (the stored ISO text if unreadable)."""
    when = session_time(created)
    return created if when is None else f"{when.day} {when:%b %Y, %H:%M}"


def session_findings_text(s: SessionRecord, most: int = 3) -> str:
    """A session's findings for the History story: the first `most` titles; else whether its
    photos read anything (a session whose every measure was withheld balanced nothing)."""
    titles = [f.title for p in s.photos for f in p.assessment.findings][:most]
    if titles:
        return "; ".join(titles)
    read = any(p.assessment.read_any for p in s.photos)
    return "none cleared its cut-off" if read else "nothing measured: see the photos' set-up"


def session_label(s: SessionRecord, number: int | None = None) -> str:
    """"#2 · 3 Mar 2026, 14:05 (front, left)": numbered, since two sessions can share a minute."""
    views = ", ".join(dict.fromkeys(p.assessment.view.name.value for p in s.photos)) or "no photos"
    text = f"{session_date(s.created)} ({views})" + (" — self check" if s.kind == "self_check" else "")
    return text if number is None else f"#{number} · {text}"


def session_ticks(sessions: list[SessionRecord]) -> dict[int, str]:
    """Short axis labels by session id, numbered in the order given: "#2 · 3 Mar"; the year
    when the sessions span more than one, the time when two share a day. Charts space the
    sessions evenly by number: two sessions minutes apart would sit on one spot of a time axis."""
    times = {s.id: session_time(s.created) for s in sessions}
    kinds = {s.id: s.kind for s in sessions}  # a self check is marked on the axis: the client took it
    known = [t for t in times.values() if t is not None]
    years = len({t.year for t in known}) > 1
    days = [t.date() for t in known]
    out = {}
    for number, s in enumerate(sessions, 1):
        t = times[s.id]
        if t is None:
            out[s.id] = f"#{number}"
            continue
        text = f"{t.day} {t:%b %Y}" if years else f"{t.day} {t:%b}"
        if days.count(t.date()) > 1:
            text += f" {t:%H:%M}"
        out[s.id] = f"#{number} · {text}"
    return {sid: text + (" · self check" if kinds[sid] == "self_check" else "") for sid, text in out.items()}


@dataclass(frozen=True)
class PainPoint:
    when: dt.datetime
    area: str  # user text: escape it wherever Markdown reads it
    level: int
    session: str = ""  # the session's axis label (`session_ticks`)


def pain_over_sessions(sessions: list[SessionRecord]) -> list[PainPoint]:
    """Each rated pain area's level (0-10) at each session; areas left unrated are skipped."""
    ticks = session_ticks(sessions)
    points = []
    for s in sessions:
        when = session_time(s.created)
        if when is None:
            continue
        points += [PainPoint(when, area, int(level), ticks[s.id])
                   for area, level in s.intake.pain.items() if level is not None]
    return points


@dataclass(frozen=True)
class MeasurePoint:
    when: dt.datetime
    measure: str  # plain name and view: "Shoulder tilt (front)"
    value: float
    uncertainty: float
    unit: str
    kind: str = ""  # "frontal" (front/back photos) or "sagittal" (side photos): charted apart
    session: str = ""  # the session's axis label (`session_ticks`)
    self_check: bool = False  # taken by the client (the self check), not in an assessment

    @property
    def margin(self) -> float:
        """The whisker's half-length: FINDING_MARGIN_SIGMAS x the reading's ±, the margin a
        finding (and, combined, a before/after change) must clear."""
        return FINDING_MARGIN_SIGMAS * self.uncertainty


def key_measures_over_sessions(sessions: list[SessionRecord]) -> list[MeasurePoint]:
    """The key measures (declared `key` in the measures table) of every photo of every session,
    named with their view."""
    ticks = session_ticks(sessions)
    points = []
    for s in sessions:
        when = session_time(s.created)
        if when is None:
            continue
        for p in s.photos:
            view = p.assessment.view.name
            kind = "frontal" if view.is_frontal else "sagittal" if view.is_sagittal else None
            for name in MEASURES.key_measures(FRONTAL if view.is_frontal else SAGITTAL) if kind else ():
                m = p.assessment.measures.get(name)
                if m is not None and m.value is not None:
                    points.append(MeasurePoint(when, f"{measure_label(name)} ({view.value})", m.value,
                                               m.uncertainty or 0.0, m.unit, kind or "", ticks[s.id],
                                               s.kind == "self_check"))
    return points


def default_after(sessions: list[SessionRecord]) -> SessionRecord:
    """The session History opens on as "After" (and summarises): the latest assessment, never
    a self check while there is an assessment (the client took it, seated at a desk); the latest
    session when there are only self checks."""
    ordered = sorted(sessions, key=lambda s: (s.created, s.id))
    return next((s for s in reversed(ordered) if s.kind == "assessment"), ordered[-1])


def default_pair(sessions: list[SessionRecord]) -> tuple[int, int] | None:
    """Before/After to open on: After is `default_after`; Before the previous assessment, else
    the latest self check before it. None when nothing comes before it."""
    ordered = sorted(sessions, key=lambda s: (s.created, s.id))
    after = default_after(sessions)
    earlier = ordered[:ordered.index(after)]
    if not earlier:
        return None
    before = next((s for s in reversed(earlier) if s.kind == after.kind), earlier[-1])
    return before.id, after.id


def pair_problem(before: SessionRecord, after: SessionRecord) -> str | None:
    """Why a Before/After pair cannot be compared as chosen (None when it can)."""
    if before.id == after.id:
        return "Before and After are the same assessment: pick two different ones."
    if (before.created, before.id) > (after.created, after.id):
        return (f"Before ({session_date(before.created)}) is later than After ({session_date(after.created)}): "
                "swap them to see the change in the right direction.")
    return None


VIEW_ORDER = ("front", "back", "left", "right", "turned")


def shared_views(before: SessionRecord, after: SessionRecord) -> list[str]:
    """The views both sessions have a photo of, front first: what the view picker offers."""
    b = {p.assessment.view.name.value for p in before.photos}
    a = {p.assessment.view.name.value for p in after.photos}
    return sorted(a & b, key=lambda v: (VIEW_ORDER.index(v) if v in VIEW_ORDER else len(VIEW_ORDER), v))


def change_table(changes: list[MeasureChange]) -> str:
    """Before/after per measure as a Markdown table that wraps (a tablet shows every word):
    four columns, so that numbers keep their width at 820 px; values with their unit and sign,
    "—" where there is none, the change with the margin it must exceed to count (the wording
    of `posture compare` too: `compare.change_text`), the verdict and its reason in full."""

    def signed(value: float | None, unit: str) -> str:
        return "—" if value is None else signed_amount(value, unit)

    def cell(text: str) -> str:
        return md_escape(text.replace("\n", " "))  # inert in Markdown; "|" escaped, so it cannot split a cell

    rows = ["| measure | before → after | change | verdict |", "|---|---|---|---|"]
    for c in changes:
        cells = (measure_label(c.name), f"{signed(c.before, c.unit)} → {signed(c.after, c.unit)}", change_text(c),
                 verdict_text(c))
        rows.append("| " + " | ".join(map(cell, cells)) + " |")
    return "\n".join(rows)


def desk_advice(a: Assessment) -> list[str]:
    """Plain-language advice for a client's seated side-view self check, as lines (the
    wording and its rules live in posture.report.selfcheck)."""
    return self_check_advice(a).lines()


#: What a form field may hold in a draft: the JSON values Streamlit's input widgets return.
FieldValue = str | int | float | bool | None | list[str]


@dataclass(frozen=True)
class DraftPhoto:
    filename: str
    frames: tuple[bytes, ...]  # one photo, or the frames of a webcam burst / shots
    #: The camera's level the tablet's or phone's sensor measured at the shot (None: none).
    device_level: DeviceLevel | None = None


@dataclass(frozen=True)
class Draft:
    """An unsaved assessment: the intake form's values and the photos taken, per view.

    Stored as JSON (photos in base64) so a reload or a closed tab loses nothing.
    """

    fields: dict[str, FieldValue] = field(default_factory=dict)
    photos: dict[str, DraftPhoto] = field(default_factory=dict)
    saved_at: str = ""  # ISO time, local

    def digest(self) -> str:
        """Identifies the content (not the time): an unchanged form is not written again."""
        h = hashlib.sha256(json.dumps(self.fields, sort_keys=True).encode())
        for view in sorted(self.photos):
            photo = self.photos[view]
            h.update(f"\0{view}\0{photo.filename}\0{len(photo.frames)}\0{photo.device_level}".encode())
            for frame in photo.frames:
                h.update(hashlib.sha256(frame).digest())
        return h.hexdigest()

    def to_bytes(self) -> bytes:
        saved_at = self.saved_at or dt.datetime.now().isoformat(timespec="seconds")
        return json.dumps({
            "version": 1,
            "saved_at": saved_at,
            "fields": self.fields,
            "photos": {view: {"filename": p.filename, "frames": [base64.b64encode(f).decode("ascii") for f in p.frames],
                              **({"device_level": p.device_level.to_dict()} if p.device_level else {})}
                       for view, p in self.photos.items()},
        }).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Draft:
        """Raises ValueError for anything that is not a draft this version wrote."""
        try:
            raw = json.loads(data)
            if raw.get("version") != 1:
                raise ValueError(f"unknown draft version {raw.get('version')!r}")
            photos = {
                str(view): DraftPhoto(str(p["filename"]), tuple(base64.b64decode(f, validate=True) for f in p["frames"]),
                                      DeviceLevel.from_dict(p["device_level"]) if p.get("device_level") else None)
                for view, p in raw["photos"].items()
            }
            fields = raw["fields"]
            if not isinstance(fields, dict):
                raise ValueError("draft fields must be an object")
            return cls(fields={str(k): v for k, v in fields.items()}, photos=photos, saved_at=str(raw["saved_at"]))
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError, binascii.Error) as exc:
            raise ValueError(f"not a readable draft ({exc})") from None  # DeviceLevel's ValueError passes as it is

    @property
    def saved_time(self) -> str:
        """"14:03" (or the date too when it was not today)."""
        try:
            when = dt.datetime.fromisoformat(self.saved_at)
        except ValueError:
            return self.saved_at
        return f"{when:%H:%M}" if when.date() == dt.date.today() else f"{when:%Y-%m-%d %H:%M}"


# --- the photo's set-up, in words for the page ------------------------------------------------


def camera_line(camera: CameraTilt) -> str:
    """What the measures were levelled on: the scene's verticals, the user's word, or nothing."""
    if camera.status == "stated":
        # a level or a roll stated by you gives the roll only; the pitch is the scene's, or unknown
        roll = ("camera levelled on a tripod (stated by you)" if camera.roll_deg == 0.0
                else f"camera roll {camera.roll_text(with_sd=False)} (stated by you)")
        if pitch_unknown(camera):
            return f"{roll}: roll taken as stated; the pitch is unknown (no vertical lines in the scene)"
        way = "down" if (camera.pitch_deg or 0.0) > 0 else "up"
        return f"{roll}: roll taken as stated; pointing {abs(camera.pitch_deg or 0.0):.0f}° {way}, from the scene"
    if not camera.known:
        return camera.unknown_text
    assert camera.roll_deg is not None and camera.pitch_deg is not None
    way = "down" if camera.pitch_deg > 0 else "up"
    if camera.status == "device":
        return (f"camera rolled {camera.roll_text()} and pointing {abs(camera.pitch_deg):.0f}° {way} "
                f"± {camera.pitch_sd_deg or 0.0:.1f}°, measured by the device's motion sensor at the shot")
    return (f"camera rolled {camera.roll_text()} and pointing "
            f"{abs(camera.pitch_deg):.0f}° {way}, from {len(camera.lines)} vertical lines — shown in yellow on the photo")


@dataclass(frozen=True)
class SetupNotes:
    """A photo's set-up for the page: overall status, the camera, each check that is not ok
    (what was seen and the fix) and what the view means. Plain words, no user text."""

    status: str  # "ok", "caution", "retake"
    headline: str  # the status in words; a retake names what it withholds
    camera: str
    checks: tuple[str, ...]
    view: tuple[str, ...]


def setup_notes(a: Assessment) -> SetupNotes | None:
    """None for records made before set-up checks existed."""
    if a.setup is None:
        return None
    checks = tuple(
        f"{c.label} ({c.status.value}): {c.reading}" + (f" — {c.advice}" if c.advice else "")
        for c in a.setup.checks if c.status.value != "ok"
    )
    view: list[str] = []
    if a.view.contradiction:
        view.append(f"The chosen view contradicts the photo: {a.view.contradiction}. No findings are raised from it; "
                    "choose “auto” or the view the landmarks show.")
    if a.view.name.value == "turned":
        turned = "" if a.view.yaw_deg is None else f" {abs(a.view.yaw_deg):.0f}°"
        view.append(f"Turned: the body is turned{turned} from facing the camera, between a front and a side view. "
                    "No measure is taken from a turned photo: ask the client to face the camera squarely (front/back) "
                    "or turn fully side-on (side view), and retake it.")
    return SetupNotes(a.setup.status.value, setup_headline(a), camera_line(a.setup.camera), checks, tuple(view))
