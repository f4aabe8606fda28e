"""One client's data on request: everything about them in one ZIP, or everything about them deleted.

`export_client` writes, for the person who receives it (the client, or a clinic):
- `README.txt`: in plain words, what each folder holds, the export date, and that findings
  are screening aids, not a diagnosis;
- `client.json` (the client's fields, owner and shares, every session of every kind with its
  intake and assessments, the draft if any, and the audit events about the client); each
  photo keeps its full `sha256` and gives its `file` in the ZIP;
- every photo, checked against its hash, as `photos/session-<session id>-<view>-<first 12 hex
  of the sha256>.<ext>` (the view as detected; the extension from the bytes, .jpg if unknown),
  so a person can tell them apart;
- each session's summary twice, rendered from the stored assessments (the app keeps no stored
  summaries): `summaries/session-<id>.html`, which opens in any browser (user text escaped,
  never rendered as Markdown), and the same as Markdown in `summaries/session-<id>.md`.
The ZIP is built while the export is recorded in the audit trail, in one transaction: an
export that fails leaves no file and no event. The file is owner-only (0600).

`erase_client` deletes the client, their sessions, photo records, draft and shares, and the
photo files no other record uses, with an audit event in the same transaction. The audit
trail keeps its events about the client (ids, never the name).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Row, select

from posture.core.assessment import Assessment
from posture.core.errors import StorageError
from posture.core.intake import Intake
from posture.report.html import to_html
from posture.report.markdown import to_markdown
from posture.report.summary import Summary

from . import audit
from .actor import SOLO, Actor
from .paths import write_private_file
from .records import Store
from .schema import client_shares, drafts, photos, sessions

FORMAT = "posture-client-export/1"


def export_client(store: Store, client_id: int, dest: Path | str, *, actor: Actor = SOLO) -> Path:
    """Write the client's ZIP to `dest` (a file, or a folder to put `client-<id>-<date>.zip` in); returns its path."""
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / f"client-{client_id}-{dt.date.today():%Y-%m-%d}.zip"
    with store.write() as conn:
        row = store.access.client_row(conn, client_id, actor)
        session_rows = conn.execute(select(sessions).where(sessions.c.client_id == client_id).order_by(sessions.c.created, sessions.c.id)).fetchall()
        photo_rows = conn.execute(
            select(photos).join(sessions, photos.c.session_id == sessions.c.id).where(sessions.c.client_id == client_id).order_by(photos.c.id)
        ).fetchall()
        draft = conn.execute(select(drafts.c.payload, drafts.c.updated).where(drafts.c.client_id == client_id)).first()
        shares = [int(r[0]) for r in conn.execute(select(client_shares.c.user_id).where(client_shares.c.client_id == client_id))]
        events = audit.events_for_client(conn, client_id)
        exported_at = audit.now_utc()
        by_session: dict[int, list[dict[str, Any]]] = {}
        members: dict[str, str] = {}  # photo member name -> sha256 (a photo used twice in a session is one file)
        data: dict[str, bytes] = {}  # read each stored file once
        for p in photo_rows:
            if p.sha256 not in data:
                # The client's row was checked for `actor` above; hash checked: a damaged photo stops the export.
                data[p.sha256] = store.photo_files.read(p.sha256)
            assessment = json.loads(p.assessment_json)
            name = photo_member(int(p.session_id), _view_of(assessment), p.sha256, image_extension(data[p.sha256]))
            if members.setdefault(name, p.sha256) != p.sha256:  # 12 hex digits alike: 1 in 2**48, still kept apart
                name = name.replace(".", f"-photo-{int(p.id)}.", 1)
                members[name] = p.sha256
            by_session.setdefault(int(p.session_id), []).append({
                "id": int(p.id), "sha256": p.sha256, "filename": p.filename, "file": name,
                "assessment": assessment,
            })
        document = {
            "format": FORMAT,
            "exported_at_utc": exported_at.isoformat(timespec="seconds"),
            "exported_by": {"name": actor.name, "role": actor.role},
            "client": {
                "id": int(row.id), "name": row.name, "birth_date": row.birth_date, "height_cm": row.height_cm,
                "created": row.created, "is_self_check": bool(row.is_self_check), "owner_user_id": row.owner_user_id,
                "shared_with_user_ids": shares,
            },
            "sessions": [
                {"id": int(s.id), "created": s.created, "kind": s.kind, "intake": json.loads(s.intake_json),
                 "photos": by_session.get(int(s.id), [])}
                for s in session_rows
            ],
            "draft": None if draft is None else {"updated": draft.updated, "payload_base64": base64.b64encode(bytes(draft.payload)).decode()},
            "audit_events": [
                {"id": e.id, "at_utc": e.at.isoformat(timespec="seconds"), "actor_name": e.actor_name, "actor_role": e.actor_role,
                 "action": e.action, "detail": e.detail}
                for e in events
            ],
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("README.txt", readme_text(ExportFacts(client_id, len(session_rows), len(photo_rows), exported_at)))
            zf.writestr("client.json", json.dumps(document, indent=2, ensure_ascii=False))
            for name, sha in members.items():
                zf.writestr(name, data[sha])
            for s in session_rows:
                summary = _summary(row.name, row.birth_date, row.height_cm, s, by_session)
                zf.writestr(f"summaries/session-{int(s.id)}.html", _render(int(s.id), to_html, summary))
                zf.writestr(f"summaries/session-{int(s.id)}.md", _render(int(s.id), to_markdown, summary))
        audit.insert_event(conn, actor.name, actor.role, audit.CLIENT_EXPORT, client_id,
                           f"{len(session_rows)} sessions, {len(photo_rows)} photos")
        write_private_file(dest, buffer.getvalue())  # last: if it fails, the event is rolled back
    return dest


def erase_client(store: Store, client_id: int, *, actor: Actor = SOLO) -> int:
    """Delete everything about the client (see the module notes); returns how many photo files were removed."""
    return store.delete_client(client_id, actor=actor, action=audit.CLIENT_ERASE)


#: Leading bytes of the image formats a photo may be stored in -> the extension its file gets.
_MAGIC = ((b"\xff\xd8\xff", ".jpg"), (b"\x89PNG\r\n\x1a\n", ".png"), (b"GIF8", ".gif"), (b"BM", ".bmp"),
          (b"II*\x00", ".tif"), (b"MM\x00*", ".tif"))


def image_extension(data: bytes) -> str:
    """The extension of an image's bytes (".jpg", ".png", ".webp", ...); ".jpg" when not recognised.

    The store names every photo file `<sha256>.jpg` whatever its format, so the bytes are asked."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return next((ext for magic, ext in _MAGIC if data.startswith(magic)), ".jpg")


def photo_member(session_id: int, view: str, sha256: str, ext: str) -> str:
    """"photos/session-12-front-0a1b2c3d4e5f.jpg": its session, its view (letters and digits only,
    "unknown" if none) and the first 12 hex digits of its SHA-256, which client.json gives in full."""
    slug = re.sub(r"[^a-z0-9]+", "-", view.lower()).strip("-") or "unknown"
    return f"photos/session-{session_id}-{slug}-{sha256[:12]}{ext}"


@dataclass(frozen=True)
class ExportFacts:
    """What README.txt says about one export."""

    client_id: int
    sessions: int
    photos: int
    exported_at_utc: dt.datetime


def readme_text(facts: ExportFacts) -> str:
    """README.txt: for a person who opens the ZIP, not for a program. Windows line ends, so
    every text editor shows its lines."""
    when = facts.exported_at_utc.astimezone(dt.UTC)
    lines = [
        f"Everything a posture-assessment tool stored about one client (client number {facts.client_id}):",
        f"{facts.sessions} session(s) and {facts.photos} photo(s). Exported on {when:%Y-%m-%d} at {when:%H:%M} UTC.",
        "",
        "README.txt   this file.",
        "summaries/   one summary per session. The .html files open in any web browser",
        "             (double-click one). The .md files are the same summaries in Markdown,",
        "             a plain-text format with formatting marks for Markdown editors.",
        "photos/      the photos as they were saved, named session-<session number>-<view>-<code>:",
        "             the view is the side of the body the camera saw (front, back, left,",
        "             right, or turned when in between), the code the start of the",
        "             photo's fingerprint (SHA-256).",
        "client.json  all the records in a form a computer program can read: the client's",
        "             details, every session with its intake answers and measurements, any",
        "             unsaved draft, and the log of who created, viewed, changed or exported them.",
        "             Each photo there has its full fingerprint and its file in photos/.",
        "",
        "The findings in the summaries are screening aids, not a diagnosis: a computer model",
        "read them from the photos, and a therapist or doctor should confirm them by examination.",
        "",
        "This is health information: keep it private.",
    ]
    return "\r\n".join(lines) + "\r\n"


def _view_of(assessment: dict[str, Any]) -> str:
    view = assessment.get("view")
    return str(view.get("name", "")) if isinstance(view, dict) else ""


def _summary(name: str, birth_date: str | None, height_cm: float | None, s: Row[Any],
             by_session: dict[int, list[dict[str, Any]]]) -> Summary:
    session_id = int(s.id)
    try:
        created = dt.datetime.fromisoformat(s.created)
    except ValueError:
        created = dt.datetime.now().replace(microsecond=0)
    try:
        assessments = [Assessment.from_dict(p["assessment"]) for p in by_session.get(session_id, [])]
        return Summary(assessments, client=name, intake=Intake.from_dict(json.loads(s.intake_json)),
                       created=created, birth_date=birth_date, height_cm=height_cm)
    except (ValueError, KeyError) as exc:
        raise StorageError(f"session {session_id}: its summary cannot be rendered ({exc})") from None


def _render(session_id: int, render: Callable[[Summary], str], summary: Summary) -> str:
    try:
        return render(summary)
    except (ValueError, KeyError) as exc:
        raise StorageError(f"session {session_id}: its summary cannot be rendered ({exc})") from None
