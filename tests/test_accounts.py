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


# --- the users table (SQLite in a temporary data folder) ------------------------------------

PW = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_hashes(request, monkeypatch):
    """Database tests hash with argon2id at its cheapest (8 MiB, 1 pass): the rules under test are
    the lockout's, not the hash's cost, and the real cost (0.5 s a hash here) adds up. The
    hashing tests above use the real parameters."""
    if "store" in request.fixturenames:
        from argon2 import PasswordHasher

        monkeypatch.setattr(acc, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
        acc._dummy_hash.cache_clear()
    yield
    acc._dummy_hash.cache_clear()


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("POSTURE_DATABASE_URL", raising=False)
    from posture.store.records import Store

    return Store(tmp_path / "data")


@pytest.fixture
def accounts(store):
    return acc.Accounts(store)


def _events(store, **filters):
    from posture.store.actor import SOLO
    from posture.store.audit import EventFilter, list_events

    return list(reversed(list_events(store, EventFilter(**filters), actor=SOLO)))


def _admin():
    from posture.store.actor import Actor

    return Actor("boss", "admin", None)


def test_add_and_log_in_records_the_login(store, accounts):
    user = accounts.add("ana", "therapist", PW, by=_admin())
    assert (user.name, user.role, user.disabled, user.failed_logins) == ("ana", "therapist", False, 0)
    result = accounts.authenticate("  ana ", PW)
    assert result.outcome == "ok" and result.actor is not None
    assert (result.actor.name, result.actor.role, result.actor.user_id) == ("ana", "therapist", user.id)
    assert [(e.actor_name, e.action) for e in _events(store)] == [("boss", "user.add"), ("ana", "login")]
    # The hash is what is stored, never the password.
    from sqlalchemy import select

    from posture.store.schema import users
    with store.read() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PW not in stored


def test_wrong_password_and_unknown_name_get_the_same_answer_and_are_recorded(store, accounts):
    accounts.add("ana", "therapist", PW, by=_admin())
    wrong, unknown = accounts.authenticate("ana", "not the password"), accounts.authenticate("bob", PW)
    assert wrong.outcome == unknown.outcome == "wrong" and wrong.message == unknown.message == acc.WRONG
    assert wrong.actor is None and unknown.actor is None
    failed = _events(store, action="login_failed")
    assert [(e.actor_name, e.actor_role, e.detail) for e in failed] == [
        ("ana", "therapist", f"wrong password (user {accounts.find('ana').id})"), ("bob", "unknown", "unknown user name")]
    assert accounts.find("ana").failed_logins == 1


def test_five_failures_lock_the_account_even_against_the_right_password(store, accounts):
    accounts.add("ana", "therapist", PW, by=_admin())
    for i in range(4):
        assert accounts.authenticate("ana", f"guess {i}", now=T0).outcome == "wrong"
    fifth = accounts.authenticate("ana", "guess 5", now=T0)
    assert fifth.outcome == "locked" and "locked for 15 more minute(s)" in fifth.message
    user = accounts.find("ana")
    assert user.locked_until == T0 + dt.timedelta(minutes=15) and user.failed_logins == 0
    refused = accounts.authenticate("ana", PW, now=T0 + dt.timedelta(minutes=10))
    assert refused.outcome == "locked" and refused.actor is None and "5 more minute(s)" in refused.message
    lockouts = _events(store, action="lockout")
    assert len(lockouts) == 1 and "after 5 failed logins" in lockouts[0].detail
    assert [e.detail.split(" (")[0] for e in _events(store, action="login_failed")] == ["wrong password"] * 5 + ["account locked"]
    # When the lock has run out, the right password works and clears the count.
    ok = accounts.authenticate("ana", PW, now=T0 + dt.timedelta(minutes=15, seconds=1))
    assert ok.outcome == "ok"
    assert (accounts.find("ana").locked_until, accounts.find("ana").failed_logins) == (None, 0)


def test_an_unknown_name_is_locked_like_a_known_one(store, accounts):
    # The lockout message must not tell which names exist: an unknown name gets, try by try,
    # the answers a known name gets (the tester saw "locked" only for real accounts).
    accounts.add("ana", "therapist", PW, by=_admin())
    tries = [T0 + dt.timedelta(seconds=s) for s in range(5)]
    tries += [T0 + dt.timedelta(minutes=10), T0 + dt.timedelta(minutes=15, seconds=5)]
    known = [accounts.authenticate("ana", f"guess {i}", now=t) for i, t in enumerate(tries)]
    unknown = [accounts.authenticate("zed", f"guess {i}", now=t) for i, t in enumerate(tries)]
    assert [(r.outcome, r.message) for r in unknown] == [(r.outcome, r.message) for r in known]
    assert [r.outcome for r in unknown] == ["wrong"] * 4 + ["locked", "locked", "wrong"]
    # Locked at T0 + 4 s until T0 + 15 min 4 s: at T0 + 10 min, 5 min 4 s are left, "6 more minute(s)".
    assert "locked for 15 more minute(s)" in unknown[4].message and "6 more minute(s)" in unknown[5].message
    # The trail says what really happened: no account, no lockout event for the unknown name.
    assert {e.detail for e in _events(store, action="login_failed", actor_name="zed")} == {"unknown user name"}
    assert [e.actor_name for e in _events(store, action="lockout")] == ["ana"]


def test_a_success_clears_the_failure_count(accounts):
    accounts.add("ana", "therapist", PW, by=_admin())
    for i in range(4):
        accounts.authenticate("ana", f"guess {i}", now=T0)
    assert accounts.authenticate("ana", PW, now=T0).outcome == "ok"
    for i in range(4):
        assert accounts.authenticate("ana", f"guess {i}", now=T0).outcome == "wrong"  # 4 again, not 8


def test_parallel_failures_are_all_counted(accounts):
    """Four wrong passwords at once from four threads: none of the increments is lost."""
    from concurrent.futures import ThreadPoolExecutor

    accounts.add("ana", "therapist", PW, by=_admin())
    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda i: accounts.authenticate("ana", f"guess {i}", now=T0).outcome, range(4)))
    assert outcomes == ["wrong"] * 4
    assert accounts.find("ana").failed_logins == 4
    assert accounts.authenticate("ana", "guess 5", now=T0).outcome == "locked"


def test_new_password_ends_a_lock(accounts):
    accounts.add("ana", "therapist", PW, by=_admin())
    for i in range(5):
        accounts.authenticate("ana", f"guess {i}")
    assert accounts.authenticate("ana", PW).outcome == "locked"
    accounts.set_password("ana", "a brand new passphrase", by=_admin())
    assert accounts.authenticate("ana", PW).outcome == "wrong"
    assert accounts.authenticate("ana", "a brand new passphrase").outcome == "ok"


def test_disabled_user_cannot_log_in(store, accounts):
    accounts.add("ana", "therapist", PW, by=_admin())
    accounts.set_disabled("ana", True, by=_admin())
    result = accounts.authenticate("ana", PW)
    assert result.outcome == "disabled" and result.actor is None and "disabled" in result.message
    assert accounts.authenticate("ana", "wrong one!!").message == acc.WRONG  # no hint without the password
    assert _events(store, action="user.disable")[0].actor_name == "boss"
    accounts.set_disabled("ana", False, by=_admin())
    assert accounts.authenticate("ana", PW).outcome == "ok"


def test_names_are_unique_ignoring_case_and_bad_input_is_one_line(accounts):
    accounts.add("Ana", "therapist", PW, by=_admin())
    with pytest.raises(UsageError, match="A user named 'Ana' exists already"):
        accounts.add("ana", "admin", PW, by=_admin())
    with pytest.raises(UsageError, match="at least 10"):
        accounts.add("bob", "therapist", "short", by=_admin())
    with pytest.raises(UsageError, match="Unknown role"):
        accounts.add("bob", "owner", PW, by=_admin())
    with pytest.raises(UsageError, match="No user named 'zoe'"):
        accounts.set_password("zoe", PW, by=_admin())
    assert [u.name for u in accounts.list_users()] == ["Ana"]


def test_the_last_enabled_admin_stays_enabled(accounts):
    accounts.add("root", "admin", PW, by=_admin())
    with pytest.raises(UsageError, match="last enabled admin"):
        accounts.set_disabled("root", True, by=_admin())
    accounts.add("root2", "admin", PW, by=_admin())
    assert accounts.set_disabled("root", True, by=_admin()).disabled


def test_damaged_hash_in_the_database_refuses_the_login(store, accounts):
    from sqlalchemy import update

    from posture.store.schema import users
    accounts.add("ana", "therapist", PW, by=_admin())
    with store.write() as conn:
        conn.execute(update(users).values(password_hash="garbage"))
    assert accounts.authenticate("ana", PW).outcome == "wrong"


# --- command line ------------------------------------------------------------------------------

def _cli(args, stdin_text, monkeypatch, capsys):
    import io

    from posture.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO(stdin_text))
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_add_passwd_disable(store, accounts, monkeypatch, capsys):
    code, out, _ = _cli(["users", "add", "ana", "--role", "therapist"], PW + "\n", monkeypatch, capsys)
    assert code == 0 and out == "Added therapist ana.\n"
    assert accounts.authenticate("ana", PW).outcome == "ok"
    code, out, _ = _cli(["users", "passwd", "ana"], "another passphrase\r\n", monkeypatch, capsys)
    assert code == 0 and out == "New password set for ana.\n"
    assert accounts.authenticate("ana", "another passphrase").outcome == "ok"
    code, out, _ = _cli(["users", "disable", "ana"], "", monkeypatch, capsys)
    assert code == 0 and out == "ana is disabled.\n"
    assert accounts.authenticate("ana", "another passphrase").outcome == "disabled"
    code, out, _ = _cli(["users", "list"], "", monkeypatch, capsys)
    assert out == "ana\ttherapist\tdisabled\n"
    actions = [(e.actor_name.split(":")[0], e.action) for e in _events(store) if e.action.startswith("user.")]
    assert actions == [("cli", "user.add"), ("cli", "user.passwd"), ("cli", "user.disable")]


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["users", "add", "ana", "--role", "therapist"], "short\n", "at least 10 characters"),
    (["users", "passwd", "zoe"], PW + "\n", "No user named 'zoe'"),
    (["users", "disable", "zoe"], "", "No user named 'zoe'"),
])
def test_cli_errors_are_one_line_exit_2(store, monkeypatch, capsys, args, stdin, message):
    code, out, err = _cli(args, stdin, monkeypatch, capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("posture: error: ") and message in err


def test_cli_role_is_required_and_checked(store, monkeypatch, capsys):
    with pytest.raises(SystemExit) as exc:
        _cli(["users", "add", "ana", "--role", "owner"], PW + "\n", monkeypatch, capsys)
    assert exc.value.code == 2


def test_a_new_self_check_code_retires_the_old_link(store, accounts, data_dir):
    """A link that went where it should not can be replaced: the old code saves nothing, the
    new one reaches the same therapist, and the change is in the audit trail."""
    from posture import assess
    from posture.core.errors import AccessDeniedError, UsageError
    from posture.core.intake import Intake
    from posture.store.actor import Actor
    from posture.store.records import NewPhoto

    ana = accounts.add("ana", "therapist", PW, by=_admin())
    old = ana.self_check_code
    new = accounts.new_self_check_code("ana", by=_admin()).self_check_code
    assert old and new and new != old
    photo = data_dir / "seated_side_hunched_01.jpg"
    check = [NewPhoto(photo.read_bytes(), "me.jpg", assess(photo))]
    self_check = Actor("self check", "self_check", None)
    with pytest.raises(UsageError):
        store.save_self_check("Pat", Intake(), check, actor=self_check, for_code=old)
    assert store.save_self_check("Pat", Intake(), check, actor=self_check, for_code=new) > 0
    assert [e.detail for e in _events(store) if e.action == acc.USER_NEW_CODE] == [f"user {ana.id} ana"]
    with pytest.raises(AccessDeniedError):  # only an admin (or the server's shell) gives new codes
        accounts.new_self_check_code("ana", by=Actor("ana", "therapist", ana.id))


def test_users_new_code_on_the_command_line(store, accounts, capsys):
    import argparse

    from posture.cli_accounts import run_command

    old = accounts.add("ana", "therapist", PW, by=_admin()).self_check_code
    assert run_command(argparse.Namespace(users_command="new-code", name="ana"), store) == 0
    new = accounts.find("ana").self_check_code
    assert new != old and capsys.readouterr().out.strip() == f"New self-check link for ana: /Self_check?for={new}"
