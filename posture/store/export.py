"""One client's data on request: everything about them in one ZIP, or everything about them deleted.

`export_client` writes `client.json` (the client's fields, owner and shares, every session
of every kind with its intake and assessments, the draft if any, and the audit events about
the client), every photo (`photos/<sha256>.jpg`, each checked against its hash) and a
Markdown summary of each session (`summaries/session-<id>.md`: the app keeps no stored
summaries, so they are rendered from the stored assessments). The ZIP is built while the
export is recorded in the audit trail, in one transaction: an export that fails leaves no
file and no event. The file is owner-only (0600).

`erase_client` deletes the client, their sessions, photo records, draft and shares, and the
photo files no other record uses, with an audit event in the same transaction. The audit
trail keeps its events about the client (ids, never the name).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import Row, select

from posture.core.assessment import Assessment
from posture.core.errors import StorageError
from posture.report.summary import Intake, Summary, to_markdown

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
        row = store._client_row(conn, client_id, actor)
        session_rows = conn.execute(select(sessions).where(sessions.c.client_id == client_id).order_by(sessions.c.created, sessions.c.id)).fetchall()
        photo_rows = conn.execute(
            select(photos).join(sessions, photos.c.session_id == sessions.c.id).where(sessions.c.client_id == client_id).order_by(photos.c.id)
        ).fetchall()
        draft = conn.execute(select(drafts.c.payload, drafts.c.updated).where(drafts.c.client_id == client_id)).first()
        shares = [int(r[0]) for r in conn.execute(select(client_shares.c.user_id).where(client_shares.c.client_id == client_id))]
        events = audit.events_for_client(conn, client_id)
        by_session: dict[int, list[dict[str, Any]]] = {}
        for p in photo_rows:
            by_session.setdefault(int(p.session_id), []).append({
                "id": int(p.id), "sha256": p.sha256, "filename": p.filename, "file": f"photos/{p.sha256}.jpg",
                "assessment": json.loads(p.assessment_json),
            })
        document = {
            "format": FORMAT,
            "exported_at_utc": audit.now_utc().isoformat(timespec="seconds"),
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
            zf.writestr("client.json", json.dumps(document, indent=2, ensure_ascii=False))
            for sha in dict.fromkeys(p.sha256 for p in photo_rows):
                zf.writestr(f"photos/{sha}.jpg", store.photo_bytes(sha))  # hash checked: a damaged photo stops the export
            for s in session_rows:
                zf.writestr(f"summaries/session-{int(s.id)}.md", _summary(row.name, row.birth_date, row.height_cm, s, by_session))
        audit.insert_event(conn, actor.name, actor.role, audit.CLIENT_EXPORT, client_id,
                           f"{len(session_rows)} sessions, {len(photo_rows)} photos")
        write_private_file(dest, buffer.getvalue())  # last: if it fails, the event is rolled back
    return dest


def erase_client(store: Store, client_id: int, *, actor: Actor = SOLO) -> int:
    """Delete everything about the client (see the module notes); returns how many photo files were removed."""
    return store.delete_client(client_id, actor=actor, action=audit.CLIENT_ERASE)


def _summary(name: str, birth_date: str | None, height_cm: float | None, s: Row[Any], by_session: dict[int, list[dict[str, Any]]]) -> str:
    session_id = int(s.id)
    try:
        created = dt.datetime.fromisoformat(s.created)
    except ValueError:
        created = dt.datetime.now().replace(microsecond=0)
    assessments = [Assessment.from_dict(p["assessment"]) for p in by_session.get(session_id, [])]
    try:
        return to_markdown(Summary(assessments, client=name, intake=Intake.from_dict(json.loads(s.intake_json)),
                                   created=created, birth_date=birth_date, height_cm=height_cm))
    except (ValueError, KeyError) as exc:
        raise StorageError(f"session {session_id}: its summary cannot be rendered ({exc})") from None
