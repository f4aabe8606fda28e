"""Clinic-mode accounts: password hashes, lockout and the users table.

- Passwords are hashed with argon2id (argon2-cffi's `PasswordHasher`, RFC 9106 second
  recommended parameters: 64 MiB, 3 passes, 4 lanes). The hash string carries its own
  parameters and salt, so stronger defaults in a later release re-hash at the next login.
- Lockout: `LockoutPolicy.max_failures` failed logins in a row lock the account for
  `LockoutPolicy.lock_for`; a locked account refuses even the right password until then
  (an attacker learns nothing more by guessing on). A successful login or a new password
  clears the count. The count lives in the database, so it holds across browser sessions,
  server restarts and processes.
- An unknown name costs one hash verification like a known one, and gets the same answer
  as a wrong password, so timing and wording do not tell which names exist.

The policy is pure functions of the stored state and the time (`after_failure`,
`is_locked`), tested without a database; `Accounts` applies it to the users table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from posture.core.errors import UsageError

from .actor import Actor

UserRole = Literal["therapist", "admin"]
USER_ROLES: tuple[UserRole, ...] = ("therapist", "admin")

#: Long enough to resist guessing at 5 tries per 15 minutes; no composition rules (NIST SP 800-63B).
PASSWORD_MIN_CHARS = 10
PASSWORD_MAX_CHARS = 1024  # argon2 takes any length; this only bounds the work a request can ask for
NAME_MAX_CHARS = 64

_HASHER = PasswordHasher()  # argon2id, 64 MiB, t=3, p=4
# Verified when the name is unknown, so an unknown name takes as long as a known one.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    lock_for: dt.timedelta = dt.timedelta(minutes=15)


DEFAULT_POLICY = LockoutPolicy()


@dataclass(frozen=True)
class FailureState:
    """What the users table holds about failed logins."""

    failed_logins: int
    locked_until: dt.datetime | None


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def is_locked(locked_until: dt.datetime | None, now: dt.datetime) -> bool:
    return locked_until is not None and now < locked_until


def after_failure(state: FailureState, now: dt.datetime, policy: LockoutPolicy = DEFAULT_POLICY) -> FailureState:
    """The state after one more failed login. The failure that reaches the limit locks the
    account and starts a new count, so after the lock ends the next `max_failures` failures
    lock it again."""
    count = state.failed_logins + 1
    if count >= policy.max_failures:
        return FailureState(0, now + policy.lock_for)
    return FailureState(count, state.locked_until)


def minutes_left(locked_until: dt.datetime, now: dt.datetime) -> int:
    """Whole minutes until the lock ends, rounded up (a lock never reads "0 minutes")."""
    seconds = (locked_until - now).total_seconds()
    return max(1, -int(-seconds // 60))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True only for the right password; a damaged hash is a refusal, never an error page."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)


def burn_verification(password: str) -> None:
    """Spend one verification's time on nothing (for unknown names)."""
    verify_password(_DUMMY_HASH, password)


def valid_password(password: str, name: str) -> str:
    """The password if it is acceptable, else UsageError with what to change."""
    if len(password) < PASSWORD_MIN_CHARS:
        raise UsageError(f"The password needs at least {PASSWORD_MIN_CHARS} characters (it has {len(password)}).")
    if len(password) > PASSWORD_MAX_CHARS:
        raise UsageError(f"The password may have at most {PASSWORD_MAX_CHARS} characters.")
    if password.strip().casefold() == name.strip().casefold():
        raise UsageError("The password must not be the user name.")
    return password


def valid_user_name(name: str) -> str:
    """A login name: trimmed, 1-64 printable characters, no spaces inside (typed at a login prompt)."""
    name = name.strip()
    if not name:
        raise UsageError("A user name is needed.")
    if len(name) > NAME_MAX_CHARS:
        raise UsageError(f"A user name may have at most {NAME_MAX_CHARS} characters.")
    if any(ch.isspace() or not ch.isprintable() for ch in name):
        raise UsageError(f"A user name has no spaces or control characters: {name!r}.")
    return name


def valid_role(role: str) -> UserRole:
    for r in USER_ROLES:
        if role == r:
            return r
    raise UsageError(f"Unknown role {role!r}: use one of {', '.join(USER_ROLES)}.")


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: UserRole
    disabled: bool
    failed_logins: int
    locked_until: dt.datetime | None
    created_at: dt.datetime

    def actor(self) -> Actor:
        return Actor(name=self.name, role=self.role, user_id=self.id)


LoginOutcome = Literal["ok", "wrong", "locked", "disabled"]


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    message: str  # what the login page says (never tells whether a name exists)
    user: User | None = None  # set when the outcome is "ok"

    @property
    def actor(self) -> Actor | None:
        return self.user.actor() if self.user is not None and self.outcome == "ok" else None


WRONG = "Wrong user name or password."
