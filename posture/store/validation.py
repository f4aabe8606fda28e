"""The checks on what a person types before the store keeps it: names, dates, heights, keys, kinds.

Each returns the value as it is stored, or raises UsageError with a message shown to the
therapist as it is.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Literal, cast, get_args

from posture.core.errors import UsageError
from posture.core.measuring.measures import HEIGHT_RANGE_CM

NAME_MAX_CHARS = 200
EARLIEST_BIRTH_YEAR = 1900
IDEMPOTENCY_KEY_MAX_CHARS = 64

SessionKind = Literal["assessment", "self_check"]
SESSION_KINDS: tuple[str, ...] = get_args(SessionKind)


def valid_name(name: str, what: str = "Client name (or pseudonym)") -> str:
    name = (name or "").strip()
    if not name:
        raise UsageError(f"{what} must not be empty")
    if len(name) > NAME_MAX_CHARS:
        raise UsageError(f"{what} must be at most {NAME_MAX_CHARS} characters; it has {len(name)}")
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise UsageError(f"{what} must be on one line, without tabs or control characters")
    return name


def valid_birth_date(birth_date: str | None, today: dt.date | None = None) -> str | None:
    text = (birth_date or "").strip()
    if not text:
        return None
    example = "e.g. 1985-03-12"
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text, flags=re.ASCII):
        raise UsageError(f"Date of birth must be YYYY-MM-DD, {example}; got {text!r}")
    try:
        date = dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"Date of birth {text} does not exist (check the month and day); use YYYY-MM-DD, {example}") from None
    if date > (today or dt.date.today()):
        raise UsageError(f"Date of birth {text} is in the future")
    if date.year < EARLIEST_BIRTH_YEAR:
        raise UsageError(f"Date of birth {text} is before {EARLIEST_BIRTH_YEAR}; check the year")
    return text


def valid_height(height_cm: float | None) -> float | None:
    if height_cm is None:
        return None
    low, high = HEIGHT_RANGE_CM
    try:
        value = float(height_cm)
    except (TypeError, ValueError):
        raise UsageError(f"Height must be a number of centimetres between {low:g} and {high:g}; got {height_cm!r}") from None
    if not low <= value <= high:  # also refuses NaN
        raise UsageError(f"Height must be between {low:g} and {high:g} cm; got {value:g} cm")
    return value


def valid_key(key: str | None) -> str | None:
    """An idempotency key (one per submitted form), or None."""
    if key is None:
        return None
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_CHARS or not key.isascii() or not key.isprintable():
        raise UsageError(f"an idempotency key must be 1-{IDEMPOTENCY_KEY_MAX_CHARS} printable ASCII characters")
    return key


def valid_kind(kind: str) -> SessionKind:
    if kind not in SESSION_KINDS:
        raise UsageError(f"session kind must be one of {', '.join(SESSION_KINDS)}; got {kind!r}")
    return cast(SessionKind, kind)  # checked against SESSION_KINDS just above
