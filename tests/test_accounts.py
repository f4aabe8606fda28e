"""Clinic-mode accounts: hashing, the lockout policy (pure), and the users table on SQLite."""

import datetime as dt

import pytest

from posture.core.errors import UsageError
from posture.store import accounts as acc
from posture.store.accounts import DEFAULT_POLICY, FailureState, LockoutPolicy, after_failure, is_locked

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


# --- hashing ---------------------------------------------------------------------------

def test_hash_is_argon2id_salted_and_verifies_only_the_right_password():
    h1, h2 = acc.hash_password("correct horse battery"), acc.hash_password("correct horse battery")
    assert h1.startswith("$argon2id$") and h1 != h2  # a fresh salt each time
    assert "correct horse" not in h1
    assert acc.verify_password(h1, "correct horse battery")
    assert not acc.verify_password(h1, "correct horse batterY")
    assert not acc.verify_password(h1, "")
    assert not acc.needs_rehash(h1)


def test_damaged_hash_is_a_refusal_not_an_error():
    assert not acc.verify_password("not-a-hash", "whatever password")
    good = acc.hash_password("correct horse battery")
    assert not acc.verify_password(good[:-4] + "AAAA", "correct horse battery")


@pytest.mark.parametrize(("password", "message"), [
    ("short", "at least 10 characters (it has 5)"),
    ("x" * 1025, "at most 1024"),
    ("Ana.Silva1", "must not be the user name"),
])
def test_password_rules(password, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        acc.valid_password(password, "ana.silva1")


def test_password_with_spaces_and_unicode_is_accepted_as_typed():
    assert acc.valid_password("  Łódź żółw 2026 ", "ana") == "  Łódź żółw 2026 "


@pytest.mark.parametrize(("name", "message"), [("", "A user name is needed"), ("ana silva", "no spaces"),
                                               ("a" * 65, "at most 64"), ("ana\x00", "control")])
def test_user_name_rules(name, message):
    with pytest.raises(UsageError, match=message):
        acc.valid_user_name(name)


def test_user_name_is_trimmed_and_role_checked():
    assert acc.valid_user_name("  ana ") == "ana"
    assert acc.valid_role("admin") == "admin"
    with pytest.raises(UsageError, match="Unknown role 'solo'"):
        acc.valid_role("solo")


# --- lockout policy (pure) ---------------------------------------------------------------

def test_fifth_failure_locks_for_fifteen_minutes_and_restarts_the_count():
    state = FailureState(0, None)
    for i in range(1, 5):
        state = after_failure(state, T0)
        assert state == FailureState(i, None)
    state = after_failure(state, T0)
    assert state == FailureState(0, T0 + dt.timedelta(minutes=15))
    assert is_locked(state.locked_until, T0 + dt.timedelta(minutes=14, seconds=59))
    assert not is_locked(state.locked_until, T0 + dt.timedelta(minutes=15))
    # After the lock, the next lock needs five new failures.
    later = T0 + dt.timedelta(minutes=20)
    for _ in range(4):
        state = after_failure(state, later)
    assert not is_locked(state.locked_until, later)
    assert is_locked(after_failure(state, later).locked_until, later)


def test_policy_is_configurable():
    policy = LockoutPolicy(max_failures=2, lock_for=dt.timedelta(seconds=30))
    state = after_failure(after_failure(FailureState(0, None), T0, policy), T0, policy)
    assert state.locked_until == T0 + dt.timedelta(seconds=30)
    assert DEFAULT_POLICY == LockoutPolicy(5, dt.timedelta(minutes=15))


def test_minutes_left_rounds_up():
    assert acc.minutes_left(T0 + dt.timedelta(minutes=15), T0) == 15
    assert acc.minutes_left(T0 + dt.timedelta(seconds=61), T0) == 2
    assert acc.minutes_left(T0 + dt.timedelta(seconds=1), T0) == 1
