"""Clinic mode through AppTest: the login page, what each role sees, lockout, disabled
accounts, expiry after inactivity, the self check without an account, the Admin page.
SQLite in a temporary data folder; the store under it is the real one."""

import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from posture.store import accounts as acc
from posture.store.actor import SOLO, Actor

ROOT = Path(__file__).resolve().parents[1]
PW = "correct horse battery"


@pytest.fixture(autouse=True)
def clinic(tmp_path, monkeypatch):
    """A clinic: therapists ana and bob, admin root; clients A (ana's), B (bob's), C (bob's, shared with ana)."""
    from argon2 import PasswordHasher
    from streamlit import config

    from posture.store.records import Store
    from posture.ui.page import get_store

    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("POSTURE_MODE", "clinic")
    monkeypatch.delenv("POSTURE_DATABASE_URL", raising=False)
    monkeypatch.delenv("POSTURE_IDLE_MINUTES", raising=False)
    # argon2id at its cheapest: these tests are about roles, not the hash's cost (see test_accounts).
    monkeypatch.setattr(acc, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    acc._dummy_hash.cache_clear()
    saved = {k: config.get_option(k) for k in ("browser.gatherUsageStats", "server.address")}
    config.set_option("browser.gatherUsageStats", False)
    config.set_option("server.address", "127.0.0.1")
    get_store.clear()
    store = Store(tmp_path / "data")
    accounts = acc.Accounts(store)
    boss = Actor("setup", "admin")
    users = {name: accounts.add(name, role, PW, by=boss) for name, role in
             (("ana", "therapist"), ("bob", "therapist"), ("root", "admin"))}
    ana, bob = users["ana"].actor(), users["bob"].actor()
    a = store.create_client("Client Alpha", actor=ana)
    b = store.create_client("Client Bravo", actor=bob)
    c = store.create_client("Client Charlie", actor=bob)
    store.share_client(c.id, users["ana"].id, actor=users["root"].actor())
    yield store, accounts, users, {"A": a, "B": b, "C": c}
    get_store.clear()
    acc._dummy_hash.cache_clear()
    for k, v in saved.items():
        config.set_option(k, v)


def _app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in [*at.title, *at.markdown, *at.caption, *at.success, *at.info, *at.warning, *at.error]]
    parts += [e.label for e in at.expander]
    for sb in at.selectbox:
        parts += [str(o) for o in sb.options]
    return "\n".join(map(str, parts))


def _login(at: AppTest, name: str, password: str = PW) -> AppTest:
    at.text_input(key="login_name").set_value(name)
    at.text_input(key="login_password").set_value(password)
    next(b for b in at.button if b.label == "Log in").click()
    at.run()
    assert not at.exception, at.exception
    return at


def _events(store, **filters):
    from posture.store.audit import EventFilter, list_events

    return list(reversed(list_events(store, EventFilter(**filters), actor=SOLO)))


def _page_alone(page: str, actor=None) -> AppTest:
    """A page run on its own, past app.py's navigation and login gate, as `actor` (None: nobody
    logged in): each page must refuse on its own too."""
    from posture.ui.auth import _ACTOR

    at = AppTest.from_file(str(ROOT / page), default_timeout=120)
    if actor is not None:
        at.session_state[_ACTOR] = actor
    at.run()
    assert not at.exception, at.exception
    return at


def _go(at: AppTest, page: str) -> AppTest:
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def test_login_page_first_and_nothing_of_the_records(clinic):
    at = _app()
    assert at.title[0].value == "Posture — log in"
    assert "Client" not in _texts(at).replace("Clients doing a self check", "")
    # A therapist page asked for without a login: the navigation shows the login page...
    at = _go(at, "app_pages/2_Clients.py")
    assert at.title[0].value == "Posture — log in" and "Client Alpha" not in _texts(at)
    # ...and the page run on its own stops before reading.
    alone = _page_alone("app_pages/2_Clients.py")
    assert [e.value for e in alone.error] == ["Log in first."] and "Client Alpha" not in _texts(alone)


def test_listing_clients_opens_none_of_them(clinic, assessed, data_dir, monkeypatch):
    """The Clients page counts sessions: no client.view event and no assessment parsed per client listed."""
    from posture.core.assessment import Assessment
    from posture.core.intake import Intake
    from posture.store.records import NewPhoto

    store, _, users, clients = clinic
    ana = users["ana"].actor()
    photo = NewPhoto((data_dir / "seated_side_hunched_01.jpg").read_bytes(), "side.jpg", assessed("seated_side_hunched_01.jpg"))
    for c in (clients["A"], *(store.create_client(f"Client {n}", actor=ana) for n in ("Delta", "Echo", "Foxtrot"))):
        store.save_session(c.id, Intake(), [photo], actor=ana)
    views = len(_events(store, action="client.view"))
    parsed: list[object] = []
    real = Assessment.from_dict
    monkeypatch.setattr(Assessment, "from_dict", staticmethod(lambda d: parsed.append(d) or real(d)))
    at = _go(_login(_app(), "ana"), "app_pages/2_Clients.py")
    labels = [e.label for e in at.expander]
    assert len(labels) == 5 and sum("1 assessment" in label for label in labels) == 4  # Charlie has none
    assert len(_events(store, action="client.view")) == views and parsed == []


def test_therapist_sees_own_and_shared_clients_only(clinic):
    at = _login(_app(), "ana")
    options = at.sidebar.selectbox(key="client_id_select_intake").options  # the labels, as shown
    assert options == ["— pick a client —", "Client Alpha", "Client Charlie"]
    assert "Client Bravo" not in _texts(at)
    at = _go(at, "app_pages/2_Clients.py")
    shown = [e.label for e in at.expander]
    assert any("Client Alpha" in s for s in shown) and any("Client Charlie" in s for s in shown)
    assert not any("Client Bravo" in s for s in shown)
    # Charlie is shared with ana, not hers: she may edit it but not delete it.
    store, _, _, clients = clinic
    assert f"delete_{clients['C'].id}" not in [b.key for b in at.button]
    assert f"delete_{clients['A'].id}" in [b.key for b in at.button]
    # The Admin page is not in a therapist's navigation (asking for it opens the default page)...
    at = _go(at, "app_pages/5_Admin.py")
    assert "Admin" not in [t.value for t in at.title] and "ana" not in " ".join(str(d.value) for d in at.dataframe)
    # ...and refuses a therapist when run on its own.
    _, _, users, _ = clinic
    alone = _page_alone("app_pages/5_Admin.py", users["ana"].actor())
    assert [e.value for e in alone.error] == ["Only an admin can open this page."] and not alone.dataframe


def test_admin_sees_every_client_and_the_admin_page(clinic):
    at = _go(_login(_app(), "root"), "app_pages/2_Clients.py")
    shown = " ".join(e.label for e in at.expander)
    assert all(n in shown for n in ("Client Alpha", "Client Bravo", "Client Charlie"))
    at = _go(at, "app_pages/5_Admin.py")
    assert at.title[0].value == "Admin"
    users_table = at.dataframe[0].value
    assert list(users_table["user"]) == ["ana", "bob", "root"]


def test_admin_shares_a_client_and_the_therapist_then_sees_it(clinic):
    store, _, users, clients = clinic
    at = _go(_login(_app(), "root"), "app_pages/5_Admin.py")
    at.selectbox(key="admin_client").set_value(clients["B"].id)
    at.run()
    at.selectbox(key=f"share_{clients['B'].id}").set_value(users["ana"].id)
    at.run()
    next(b for b in at.button if b.key == "share").click()
    at.run()
    assert not at.exception and users["ana"].id in store.shared_with(clients["B"].id)
    shares = _events(store, action="client.share")
    assert [(e.actor_name, e.client_id) for e in shares][-1] == ("root", clients["B"].id)
    at2 = _go(_login(_app(), "ana"), "app_pages/2_Clients.py")
    assert any("Client Bravo" in e.label for e in at2.expander)


def test_audit_trail_shows_names_not_ids(clinic):
    store, _, users, clients = clinic  # the fixture shared Charlie (bob's) with ana
    at = _go(_login(_app(), "root"), "app_pages/5_Admin.py")
    trail = at.dataframe[-1].value
    share = trail[trail["action"] == "client.share"].iloc[0]
    assert share["detail"] == "shared with ana" and share["client"] == f"Client Charlie (id {clients['C'].id})"
    created = trail[(trail["action"] == "client.create") & (trail["user"] == "ana")].iloc[0]
    assert created["detail"] == "owner ana"
    login = trail[trail["action"] == "login"].iloc[0]
    assert login["client"] == "—" and login["detail"] == "root"
    assert not trail["detail"].str.contains(r"user \d|None").any() and "None" not in set(trail["client"])


def test_a_colleagues_link_to_a_client_not_shared_says_so_truly(clinic):
    _, _, _, clients = clinic
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["client"] = str(clients["B"].id)  # bob's, not shared with ana
    at.run()
    at = _login(at, "ana")
    warnings = " ".join(w.value for w in at.warning)
    assert f"The address names client {clients['B'].id}, who is not one of your clients: a colleague's, not shared" in warnings
    assert "no longer in your list" not in warnings and "Client Bravo" not in _texts(at)


def test_admin_account_and_owner_changes_say_what_was_done_or_refused(clinic):
    store, accounts, users, clients = clinic
    at = _go(_login(_app(), "root"), "app_pages/5_Admin.py")
    # A refusal is shown in place, with the store's reason, and changes nothing.
    at.selectbox(key="change_user").set_value(users["bob"].id)
    at.run()
    at.text_input(key="passwd_pw").set_value("short")
    next(b for b in at.button if b.label == "Set password (also ends a lockout)").click()
    at.run()
    assert not at.exception and [e.value for e in at.error] and at.error[0].value.startswith("Not changed: ")
    # A success is said on the redrawn page.
    next(b for b in at.button if b.key == "toggle_disabled").click()
    at.run()
    assert not at.exception and accounts.find("bob").disabled
    assert [m.value for m in at.success] == ["bob is disabled."]
    at.selectbox(key="admin_client").set_value(clients["A"].id)
    at.run()
    at.selectbox(key=f"owner_{clients['A'].id}").set_value(users["root"].id)
    at.run()
    next(b for b in at.button if b.key == "reassign").click()
    at.run()
    assert not at.exception and [m.value for m in at.success] == ["Client Alpha now belongs to root."]
    assert next(c for c in store.list_clients() if c.id == clients["A"].id).owner_user_id == users["root"].id


def test_admin_adds_a_user_and_exports_the_audit_trail(clinic):
    store, accounts, _, _ = clinic
    at = _go(_login(_app(), "root"), "app_pages/5_Admin.py")
    at.text_input(key="add_name").set_value("cleo")
    at.text_input(key="add_pw1").set_value("cleo's long password")
    at.text_input(key="add_pw2").set_value("cleo's long password")
    next(b for b in at.button if b.label == "Add user").click()
    at.run()
    assert not at.exception and accounts.find("cleo").role == "therapist"
    next(b for b in at.button if b.key == "audit_prepare").click()
    at.run()
    assert any(d.label == "Download CSV" for d in at.get("download_button"))
    export = _events(store, action="audit.export")
    assert len(export) == 1 and export[0].actor_name == "root"
    by_root = [(e.action, e.detail) for e in _events(store, actor_name="root")]
    assert [a for a, _ in by_root] == ["client.share", "login", "user.add", "audit.export"]  # the first: the fixture's
    assert by_root[2][1].endswith("cleo (therapist)")


def test_failed_logins_are_recorded_and_lock_the_account(clinic):
    store, accounts, _, _ = clinic
    at = _app()
    for i in range(4):
        _login(at, "ana", f"wrong guess {i}")
        assert [e.value for e in at.error] == [acc.WRONG]
    _login(at, "ana", "wrong guess 5")
    assert "locked for 15 more minute(s)" in at.error[0].value
    _login(at, "ana", PW)  # the right password, too late
    assert at.title[0].value == "Posture — log in" and "locked" in at.error[0].value
    assert len(_events(store, action="login_failed")) == 6 and len(_events(store, action="lockout")) == 1
    assert _events(store, action="login") == []


def test_disabled_user_cannot_log_in_and_an_open_session_ends(clinic):
    store, accounts, _, _ = clinic
    at = _login(_app(), "bob")
    assert "Logged in as bob (therapist)" in _texts(at)
    accounts.set_disabled("bob", True, by=Actor("setup", "admin"))
    at.run()  # the next page load re-reads the account
    assert at.title[0].value == "Posture — log in" and "disabled" in at.info[0].value
    _login(at, "bob")
    assert at.title[0].value == "Posture — log in" and "disabled" in at.error[0].value
    assert [e.detail.split(" (")[0] for e in _events(store, action="login_failed")] == ["account disabled"]
    assert [e.detail for e in _events(store, action="logout")] == ["account disabled"]


def test_session_expires_after_inactivity_and_logout_is_recorded(clinic, monkeypatch):
    store = clinic[0]
    monkeypatch.setenv("POSTURE_IDLE_MINUTES", "30")
    at = _login(_app(), "ana")
    at.session_state["_auth_last_seen"] = time.monotonic() - 29 * 60  # 29 minutes idle: still in
    at.run()
    assert "Logged in as ana (therapist)" in _texts(at)
    at.session_state["_auth_last_seen"] = time.monotonic() - 30 * 60 - 1
    at.run()
    assert at.title[0].value == "Posture — log in"
    assert "logged out after 30 minutes without activity" in at.info[0].value
    assert "Client Alpha" not in _texts(at)
    _login(at, "ana")
    next(b for b in at.button if b.label == "Log out").click()
    at.run()
    assert at.title[0].value == "Posture — log in"
    assert [e.detail for e in _events(store, action="logout")] == ["inactivity", "logout"]


def test_self_check_needs_no_account_and_reads_no_records(clinic):
    store = clinic[0]
    before = _events(store)
    at = _go(_app(), "app_pages/4_Self_check.py")
    assert at.title[0].value == "Desk posture self check"
    assert not at.sidebar.button and "Client Alpha" not in _texts(at)
    assert _events(store) == before  # nothing read, nothing recorded
    from posture.ui.auth import self_check_actor

    assert self_check_actor().role == "self_check"


def test_a_check_saved_through_a_therapists_link_reaches_that_therapist_only(clinic, data_dir):
    store, accounts, _, _ = clinic
    code = accounts.find("ana").self_check_code
    assert code and code != accounts.find("bob").self_check_code
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["for"] = code
    at.run()
    at = _go(at, "app_pages/4_Self_check.py")
    at.radio(key="self_source").set_value("Upload")
    at.run()
    at.file_uploader(key="self_upload").upload("me.jpg", (data_dir / "seated_side_hunched_01.jpg").read_bytes(), "image/jpeg")
    at.run()
    at.text_input(key="self_name").set_value("Pat Walkin")
    next(b for b in at.button if b.label == "Save this check").click()
    at.run()
    assert any("Saved as self check" in m.value for m in at.success), _texts(at)
    ana_page = _go(_login(_app(), "ana"), "app_pages/2_Clients.py")
    assert "saved as Pat Walkin" in _texts(ana_page) and f"/Self_check?for={code}" in _texts(ana_page)
    bob_page = _go(_login(_app(), "bob"), "app_pages/2_Clients.py")
    assert "Pat Walkin" not in _texts(bob_page) and code not in _texts(bob_page)


def test_solo_mode_has_no_login(clinic, monkeypatch):
    monkeypatch.delenv("POSTURE_MODE")
    at = _app()
    assert at.title[0].value != "Posture — log in"
    assert "Log out" not in [b.label for b in at.button]


def test_a_bad_mode_is_one_line(clinic, monkeypatch):
    monkeypatch.setenv("POSTURE_MODE", "clinc")
    at = _app()
    assert [e.value for e in at.error] == ["POSTURE_MODE='clinc' is not a mode: use solo (the default) or clinic."]


def test_therapist_exports_a_client_zip_and_it_is_recorded(clinic):
    import io
    import json
    import zipfile

    store, _, _, clients = clinic
    at = _go(_login(_app(), "ana"), "app_pages/2_Clients.py")
    a = clients["A"].id
    next(b for b in at.button if b.key == f"export_{a}").click()
    at.run()
    assert not at.exception and not at.error
    name, data = at.session_state[f"export_zip_{a}"]
    assert re.fullmatch(rf"client-{a}-\d{{4}}-\d{{2}}-\d{{2}}\.zip", name)  # the download's name: the id, not the client's name
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert json.loads(zf.read("client.json"))["client"]["name"] == "Client Alpha"
    assert [(e.actor_name, e.client_id) for e in _events(store, action="client.export")] == [("ana", a)]


PAGES = ("app_pages/0_Intake.py", "app_pages/2_Clients.py", "app_pages/3_History.py", "app_pages/5_Admin.py")
# Alpha is ana's, shared with no one. Asking for the Admin page, ana lands on her default page (Intake).
SEES_ALPHA = {"therapist_a": set(PAGES), "admin": set(PAGES)}


@pytest.mark.parametrize("role", ["anonymous", "therapist_a", "therapist_b", "admin", "disabled"])
def test_role_page_matrix(clinic, role):
    """Each page, reached with the address of ana's client Alpha: who sees Alpha and who gets the
    Admin page. Anonymous runs each page on its own (past app.py's gate); the others log in
    through app.py; the disabled user is ana, disabled by an admin after logging in."""
    store, accounts, users, clients = clinic
    name = {"therapist_a": "ana", "therapist_b": "bob", "admin": "root", "disabled": "ana"}.get(role)
    seen: dict[str, tuple[bool, bool]] = {}
    for page in PAGES:
        if name is None:
            at = _page_alone(page)
            assert [e.value for e in at.error] == ["Log in first."]
        else:
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
            at.query_params["client"] = str(clients["A"].id)
            at.run()
            at = _login(at, name)
            if role == "disabled":
                accounts.set_disabled("ana", True, by=Actor("setup", "admin"))
            at = _go(at, page)
            if role == "disabled":
                assert "Log in" in [b.label for b in at.button]
                accounts.set_disabled("ana", False, by=Actor("setup", "admin"))
        shown = _texts(at) + " ".join(d.value.to_string() for d in at.dataframe)
        accounts_table = any("failed logins" in d.value.columns for d in at.dataframe)  # the Admin page's content
        seen[page] = ("Client Alpha" in shown, accounts_table)
    expected = {page: (page in SEES_ALPHA.get(role, set()), role == "admin" and page == PAGES[3]) for page in PAGES}
    assert seen == expected
