"""Clinic-mode accounts: password hashes, lockout and the users table.

- Passwords are hashed with argon2id (argon2-cffi's `PasswordHasher`, RFC 9106 second
  recommended parameters: 64 MiB, 3 passes, 4 lanes). The hash string carries its own
  parameters and salt, so stronger defaults in a later release re-hash at the next login.
- Lockout: `LockoutPolicy.max_failures` failed logins in a row lock the account for
  `LockoutPolicy.lock_for`; a locked account refuses even the right password until then
  (an attacker learns nothing more by guessing on). A successful login or a new password
  clears the count. The count lives in the database, so it holds across browser sessions,
  server restarts and processes.
- An unknown name costs one hash verification like a known one, gets the same answer as a
  wrong password, and is "locked" after the same number of tries in a row (replayed from
  the audit trail), so timing and wording do not tell which names exist.

The policy is pure functions of the stored state and the time (`after_failure`,
`is_locked`), tested without a database; `Accounts` applies it to the users table.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Row, func, insert, or_, select, update

from posture.core.errors import AccessDeniedError, UsageError

from .actor import USER_ROLES, Actor, UserRole
from .audit import LOGIN, LOGIN_FAILED, LOGOUT, insert_event
from .schema import audit_events, users
from .transactions import Transactions
from .verify import verify_actor

#: Long enough to resist guessing at 5 tries per 15 minutes; no composition rules (NIST SP 800-63B).
PASSWORD_MIN_CHARS = 10
PASSWORD_MAX_CHARS = 1024  # argon2 takes any length; this only bounds the work a request can ask for
NAME_MAX_CHARS = 64

_HASHER = PasswordHasher()  # argon2id, 64 MiB, t=3, p=4


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


def _require_account_admin(conn: Connection, by: Actor, refuse_solo: bool) -> None:
    """Accounts are changed by an admin: one logged in (an enabled admin account, checked on `conn`),
    or the server's command line (an admin actor with no account: whoever has a shell there)."""
    if by.role not in ("admin", "solo"):
        raise AccessDeniedError(f"only an admin can change accounts ({by.name} is {by.role})")
    if by.user_id is not None or by.role == "solo":
        verify_actor(conn, by, refuse_solo=refuse_solo)


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


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash("not a password of anyone")


def burn_verification(password: str) -> None:
    """Spend one verification's time on nothing, so an unknown name takes as long as a known one."""
    verify_password(_dummy_hash(), password)


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
    self_check_code: str | None = None  # the user's part of the self-check link, /Self_check?for=CODE

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


# Audit actions of this module (the store's own are in audit.py).
LOCKOUT = "lockout"
USER_ADD = "user.add"
USER_PASSWD = "user.passwd"
USER_DISABLE = "user.disable"
USER_ENABLE = "user.enable"
USER_NEW_CODE = "user.self_check_code"


class Accounts:
    """The users table, through the store's database (SQLite or PostgreSQL).

    Every change and every login attempt writes its audit event in the same transaction,
    so there is never a change without its event."""

    def __init__(self, store: Transactions, policy: LockoutPolicy = DEFAULT_POLICY) -> None:
        self.store = store
        self.policy = policy
        # Clinic mode's store refuses a change that names no user (SOLO), as every store call does.
        self.refuse_solo = bool(getattr(store, "refuse_solo", False))

    # --- reading -------------------------------------------------------------------------

    def list_users(self) -> list[User]:
        with self.store.read() as conn:
            return [_user(r) for r in conn.execute(select(users).order_by(func.lower(users.c.name), users.c.id))]

    def get_user(self, user_id: int) -> User | None:
        with self.store.read() as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).first()
        return None if row is None else _user(row)

    def find(self, name: str) -> User:
        with self.store.read() as conn:
            row = _by_name(conn, name)
        if row is None:
            raise UsageError(f"No user named {name.strip()!r}.")
        return _user(row)

    # --- changes (admins: the command line or the Admin page) ------------------------------

    def add(self, name: str, role: str, password: str, *, by: Actor) -> User:
        name, user_role = valid_user_name(name), valid_role(role)
        hashed = hash_password(valid_password(password, name))
        with self.store.write() as conn:
            _require_account_admin(conn, by, self.refuse_solo)
            # Names differing only in case would be told apart only by the password typed.
            clash = conn.execute(select(users.c.name).where(func.lower(users.c.name) == name.lower())).first()
            if clash is not None:
                raise UsageError(f"A user named {clash.name!r} exists already.")
            key = conn.execute(insert(users).values(
                name=name, role=user_role, password_hash=hashed, disabled=False, failed_logins=0,
                locked_until=None, created_at=utcnow(), self_check_code=secrets.token_urlsafe(12),
            )).inserted_primary_key
            assert key is not None, "INSERT without a primary key"
            user_id = int(key[0])
            insert_event(conn, by.name, by.role, USER_ADD, None, f"user {user_id} {name} ({user_role})")
        return self._get(user_id)

    def set_password(self, name: str, password: str, *, by: Actor) -> User:
        """A new password; it also ends a lock and clears the failure count."""
        user = self.find(name)
        hashed = hash_password(valid_password(password, user.name))
        with self.store.write() as conn:
            _require_account_admin(conn, by, self.refuse_solo)
            conn.execute(update(users).where(users.c.id == user.id).values(
                password_hash=hashed, failed_logins=0, locked_until=None))
            insert_event(conn, by.name, by.role, USER_PASSWD, None, f"user {user.id} {user.name}")
        return self._get(user.id)

    def new_self_check_code(self, name: str, *, by: Actor) -> User:
        """A new self-check code for a user (the old link stops reaching them at once): for a
        link that went where it should not, or a therapist leaving a practice's shared device."""
        user = self.find(name)
        with self.store.write() as conn:
            _require_account_admin(conn, by, self.refuse_solo)
            conn.execute(update(users).where(users.c.id == user.id).values(self_check_code=secrets.token_urlsafe(12)))
            insert_event(conn, by.name, by.role, USER_NEW_CODE, None, f"user {user.id} {user.name}")
        return self._get(user.id)

    def set_disabled(self, name: str, disabled: bool, *, by: Actor) -> User:
        """Disable (or enable again) an account. A disabled user cannot log in and a session
        they have open ends at its next page load. The last enabled admin stays enabled, so
        someone can always manage the accounts from the app."""
        user = self.find(name)
        with self.store.write() as conn:
            _require_account_admin(conn, by, self.refuse_solo)
            if disabled and user.role == "admin":
                others = conn.execute(select(func.count()).select_from(users).where(
                    users.c.role == "admin", users.c.disabled == False, users.c.id != user.id)).scalar_one()  # noqa: E712
                if others == 0:
                    raise UsageError(f"{user.name} is the last enabled admin: add or enable another admin first.")
            conn.execute(update(users).where(users.c.id == user.id).values(disabled=disabled))
            insert_event(conn, by.name, by.role, USER_DISABLE if disabled else USER_ENABLE, None,
                         f"user {user.id} {user.name}")
        return self._get(user.id)

    # --- logging in and out ----------------------------------------------------------------

    def authenticate(self, name: str, password: str, now: dt.datetime | None = None) -> LoginResult:
        """Check a login. Failures are counted in the database (`LockoutPolicy`) and every
        attempt is in the audit trail: login, login_failed (with why), lockout."""
        now = now or utcnow()
        typed = name.strip()[:NAME_MAX_CHARS]
        with self.store.read() as conn:
            row = _by_name(conn, typed) if typed else None
        if row is None:
            burn_verification(password)
            return self._count_unknown_failure(typed or "(empty)", now)
        user = _user(row)
        if is_locked(user.locked_until, now):
            assert user.locked_until is not None
            self._failed_event(user, "account locked")
            return LoginResult("locked", _locked_message(user.locked_until, now))
        if not verify_password(row.password_hash, password):
            return self._count_failure(user, now)
        if user.disabled:
            self._failed_event(user, "account disabled")
            return LoginResult("disabled", "This account is disabled: ask an admin.")
        with self.store.write() as conn:
            # Cleared only if no lock started meanwhile (a parallel attempt's fifth failure).
            cleared = conn.execute(update(users).where(
                users.c.id == user.id, or_(users.c.locked_until.is_(None), users.c.locked_until <= now),
            ).values(failed_logins=0, locked_until=None)).rowcount
            if cleared and needs_rehash(row.password_hash):
                conn.execute(update(users).where(users.c.id == user.id).values(password_hash=hash_password(password)))
            if cleared:
                insert_event(conn, user.name, user.role, LOGIN, None, f"user {user.id}")
        if not cleared:
            self._failed_event(user, "account locked")
            return LoginResult("locked", "This account was just locked after repeated failed logins: try again later "
                               "or ask an admin.")
        return LoginResult("ok", "", self._get(user.id))

    def record_logout(self, actor: Actor, *, reason: str) -> None:
        with self.store.write() as conn:
            insert_event(conn, actor.name, actor.role, LOGOUT, None, reason)

    # --- internals ---------------------------------------------------------------------------

    def _get(self, user_id: int) -> User:
        user = self.get_user(user_id)
        assert user is not None, f"user {user_id} vanished"
        return user

    def _failed_event(self, user: User, why: str) -> None:
        """A refused login of a known user that does not count as a wrong password."""
        with self.store.write() as conn:
            _failed(conn, user.name, user.role, why, user.id)

    def _count_unknown_failure(self, name: str, now: dt.datetime) -> LoginResult:
        """An unknown name goes through the same lockout as a known one, its count replayed
        from its failed logins in the audit trail: the fifth wrong try in a row says "locked"
        for it too, so the answers never tell which names exist. Nothing is stored but the
        audit event (there is no account to lock)."""
        with self.store.write() as conn:
            times = conn.execute(
                select(audit_events.c.at)
                .where(audit_events.c.action == LOGIN_FAILED, audit_events.c.actor_name == name,
                       audit_events.c.actor_role == "unknown")
                .order_by(audit_events.c.at.desc(), audit_events.c.id.desc()).limit(1000)
            ).scalars().all()
            _failed(conn, name, "unknown", "unknown user name", None, at=now)
        state = FailureState(0, None)
        for at in reversed(times):
            if not is_locked(state.locked_until, at):  # tries during a lock are not counted, as for a user
                state = after_failure(state, at, self.policy)
        if is_locked(state.locked_until, now):
            assert state.locked_until is not None
            return LoginResult("locked", _locked_message(state.locked_until, now))
        state = after_failure(state, now, self.policy)
        if state.locked_until is not None and is_locked(state.locked_until, now):  # this try reached the limit
            return LoginResult("locked", _locked_message(state.locked_until, now))
        return LoginResult("wrong", WRONG)

    def _count_failure(self, user: User, now: dt.datetime) -> LoginResult:
        with self.store.write() as conn:
            # The increment comes first: it takes the row's (PostgreSQL) or the database's
            # (SQLite) write lock, so parallel failures are counted one after the other.
            conn.execute(update(users).where(users.c.id == user.id).values(failed_logins=users.c.failed_logins + 1))
            fresh = conn.execute(select(users.c.failed_logins, users.c.locked_until).where(users.c.id == user.id)).one()
            state = after_failure(FailureState(fresh.failed_logins - 1, fresh.locked_until), now, self.policy)
            conn.execute(update(users).where(users.c.id == user.id).values(
                failed_logins=state.failed_logins, locked_until=state.locked_until))
            _failed(conn, user.name, user.role, "wrong password", user.id)
            if state.locked_until is not None and state.locked_until != fresh.locked_until:  # this failure locked it
                insert_event(conn, user.name, user.role, LOCKOUT, None,
                             f"user {user.id} locked until {state.locked_until.isoformat(timespec='seconds')} "
                             f"after {self.policy.max_failures} failed logins")
                return LoginResult("locked", _locked_message(state.locked_until, now))
        return LoginResult("wrong", WRONG)


def _failed(conn: Connection, name: str, role: str, why: str, user_id: int | None, at: dt.datetime | None = None) -> None:
    insert_event(conn, name, role, LOGIN_FAILED, None, why if user_id is None else f"{why} (user {user_id})", at=at)


def _locked_message(locked_until: dt.datetime, now: dt.datetime) -> str:
    return (f"Too many failed logins: this account is locked for {minutes_left(locked_until, now)} more minute(s). "
            "Try again later or ask an admin to set a new password.")


def _by_name(conn: Connection, name: str) -> Row | None:
    """Names are matched exactly as stored (after trimming): "Ana" and "ana" are two names."""
    return conn.execute(select(users).where(users.c.name == name.strip())).first()


def _user(row: Row) -> User:
    return User(id=row.id, name=row.name, role=valid_role(row.role), disabled=bool(row.disabled),
                failed_logins=row.failed_logins, locked_until=row.locked_until, created_at=row.created_at,
                self_check_code=row.self_check_code)

