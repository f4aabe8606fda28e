"""The audit trail as an admin reads it: names for the user ids the details hold, "—" for no
client, and every time in the server's local time (the stored trail and its CSV stay UTC, with
ids, so an erased client leaves no name behind in them)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from posture.store.audit import AuditEvent

# "owner user 3 -> None" (reassign), "user 3" (everywhere else); None is "no one".
_REASSIGN = re.compile(r"\bowner user (\d+|None) -> (\d+|None)\b")
_USER = re.compile(r"\b(owner )?user (\d+|None)\b( [^\s()]+)?")
_UTC_TIME = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:[+-]\d\d:\d\d|Z)")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class AuditRow:
    when: str
    user: str
    role: str
    action: str
    client: str
    detail: str


def local_time(at: dt.datetime) -> str:
    return at.astimezone().strftime(TIME_FORMAT)


def readable_detail(detail: str, user_names: Mapping[int, str]) -> str:
    """`detail` with user ids as names ("user 3" -> "anna", "None" -> "no one") and times in local time."""

    def name(raw: str) -> str:
        return "no one" if raw == "None" else user_names.get(int(raw), f"user {raw}")

    def user(m: re.Match[str]) -> str:
        owner, raw, rest = m.group(1) or "", m.group(2), m.group(3) or ""
        who = name(raw)
        return owner + who + ("" if rest == f" {who}" else rest)  # "user 3 anna" (add) names her once

    def time(m: re.Match[str]) -> str:
        return local_time(dt.datetime.fromisoformat(m.group(0).replace("Z", "+00:00")))

    text = _REASSIGN.sub(lambda m: f"owner {name(m.group(1))} -> {name(m.group(2))}", detail)
    return _UTC_TIME.sub(time, _USER.sub(user, text))


def audit_rows(events: Sequence[AuditEvent], user_names: Mapping[int, str], client_names: Mapping[int, str]) -> list[AuditRow]:
    """One row per event, as the Admin page shows it."""

    def client(client_id: int | None) -> str:
        if client_id is None:
            return "—"
        listed = client_names.get(client_id)
        return f"{listed} (id {client_id})" if listed is not None else f"id {client_id} (not in the client list)"

    return [AuditRow(local_time(e.at), e.actor_name, e.actor_role, e.action, client(e.client_id),
                     readable_detail(e.detail, user_names)) for e in events]
