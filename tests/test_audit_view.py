"""The Admin page's audit trail: user names for ids, "no one" for None, "—" for no client, and
times (the event's and the lockout's inside its detail) in the server's local time."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from posture.store.audit import AuditEvent
from posture.ui.audit_view import audit_rows, readable_detail

NAMES = {3: "anna", 4: "ben"}


@pytest.fixture
def warsaw(monkeypatch):
    """A known local zone (UTC+1 in December), whatever the machine's."""
    monkeypatch.setenv("TZ", "Europe/Warsaw")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("stored, shown", [
    ("owner user None -> 4", "owner no one -> ben"),
    ("owner user 3 -> None", "owner anna -> no one"),
    ("owner user 4", "owner ben"),
    ("shared with user 3", "shared with anna"),
    ("no longer shared with user 4", "no longer shared with ben"),
    ("user 3 anna (therapist)", "anna (therapist)"),
    ("wrong password (user 4)", "wrong password (ben)"),
    ("user 9", "user 9"),  # an id no longer in the users table stays an id
    ("session 12 (assessment, 2 photos)", "session 12 (assessment, 2 photos)"),
])
def test_user_ids_become_names(stored, shown):
    assert readable_detail(stored, NAMES) == shown


def test_lockout_time_is_local_like_the_rest(warsaw):
    stored = "user 3 locked until 2026-12-07T03:30:00+00:00 after 5 failed logins"
    assert readable_detail(stored, NAMES) == "anna locked until 2026-12-07 04:30:00 after 5 failed logins"
    at = dt.datetime(2026, 12, 7, 3, 15, 0, tzinfo=dt.UTC)
    events = [AuditEvent(1, at, "anna", "therapist", "lockout", None, stored),
              AuditEvent(2, at, "boss", "admin", "client.share", 7, "shared with user 4"),
              AuditEvent(3, at, "boss", "admin", "client.delete", 8, "3 sessions deleted")]
    rows = audit_rows(events, NAMES, {7: "Zofia"})
    assert [(r.when, r.client, r.detail) for r in rows] == [
        ("2026-12-07 04:15:00", "—", "anna locked until 2026-12-07 04:30:00 after 5 failed logins"),
        ("2026-12-07 04:15:00", "Zofia (id 7)", "shared with ben"),
        ("2026-12-07 04:15:00", "id 8 (not in the client list)", "3 sessions deleted"),
    ]
