"""Clinic mode in a real browser: two therapists logged in at once in two browser contexts
(two separate sessions, as two computers would be) see only their own clients; an admin
sees both. The server is the launcher with POSTURE_MODE=clinic on its own data folder."""

import pytest

from .browser_kit import BASE_ARGS, CHROMIUM, Server, require_chromium
from .test_browser import _wait_text

pytestmark = pytest.mark.browser

PW = "correct horse battery"


@pytest.fixture
def clinic_server(tmp_path, monkeypatch):
    from posture.store.accounts import Accounts
    from posture.store.actor import Actor
    from posture.store.records import Store

    require_chromium()
    data = tmp_path / "data"
    monkeypatch.delenv("POSTURE_DATABASE_URL", raising=False)
    store = Store(data)
    accounts = Accounts(store)
    setup = Actor("setup", "admin")
    users = {n: accounts.add(n, r, PW, by=setup) for n, r in (("ana", "therapist"), ("bob", "therapist"), ("root", "admin"))}
    store.create_client("Alpha Ana-client", actor=users["ana"].actor())
    store.create_client("Bravo Bob-client", actor=users["bob"].actor())
    monkeypatch.setenv("POSTURE_MODE", "clinic")  # read by Server.start from this process's environment
    srv = Server(data, tmp_path / "streamlit.log")
    srv.start()
    yield srv, store
    srv.stop()


def _login(page, url: str, name: str) -> None:
    page.goto(url)
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(PW)
    page.get_by_role("button", name="Log in").click()
    _wait_text(page, f"Logged in as {name}")


def _clients_page(page, drawn_once: str) -> str:
    """The Clients page's text once its list is drawn (`drawn_once`: a client this user must see;
    what they must not see is only meaningful after the list is there)."""
    page.locator("[data-testid=stSidebar]").get_by_role("link", name="Clients").click()
    page.wait_for_function("document.querySelector('h1')?.innerText.includes('Clients')", timeout=30_000)
    page.get_by_label("Find a client").wait_for(timeout=30_000)
    page.locator("[data-testid=stMain]").get_by_text(drawn_once).first.wait_for(timeout=30_000)
    page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')", timeout=30_000)
    return page.inner_text("[data-testid=stMain]")


def test_two_therapists_see_only_their_own_clients_and_an_admin_sees_both(clinic_server):
    from playwright.sync_api import sync_playwright

    server, store = clinic_server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS)
        try:
            ana = browser.new_context(viewport={"width": 1300, "height": 900}).new_page()
            bob = browser.new_context(viewport={"width": 1300, "height": 900}).new_page()
            _login(ana, server.url, "ana")
            _login(bob, server.url, "bob")  # both logged in at the same time
            ana_sees, bob_sees = _clients_page(ana, "Alpha Ana-client"), _clients_page(bob, "Bravo Bob-client")
            assert "Alpha Ana-client" in ana_sees and "Bravo Bob-client" not in ana_sees
            assert "Bravo Bob-client" in bob_sees and "Alpha Ana-client" not in bob_sees
            # A fresh context with no login gets the login page, whatever address it asks for.
            stranger = browser.new_context().new_page()
            stranger.goto(f"{server.url}/Clients")
            stranger.get_by_role("button", name="Log in").wait_for(timeout=30_000)
            assert "Alpha" not in stranger.inner_text("body") and "Bravo" not in stranger.inner_text("body")
            # Ana logs out; the admin logs in in her window and sees both clients.
            ana.get_by_role("button", name="Log out").click()
            ana.get_by_role("button", name="Log in").wait_for(timeout=30_000)
            _login(ana, server.url, "root")
            admin_sees = _clients_page(ana, "Bravo Bob-client")
            assert "Alpha Ana-client" in admin_sees and "Bravo Bob-client" in admin_sees
        finally:
            browser.close()
    from posture.store.actor import SOLO
    from posture.store.audit import EventFilter, list_events

    logins = [e.actor_name for e in reversed(list_events(store, EventFilter(action="login"), actor=SOLO))]
    assert logins == ["ana", "bob", "root"]


def test_a_page_address_opens_the_login_and_then_that_page(clinic_server):
    # A bookmark or a colleague's link to /History?client=N: before, the login page came with
    # Streamlit's "Page not found" box, and logging in led to the intake instead.
    from playwright.sync_api import sync_playwright

    server, store = clinic_server
    alpha = next(c for c in store.list_clients() if c.name == "Alpha Ana-client")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
            page.goto(f"{server.url}/History?client={alpha.id}")
            page.get_by_label("User name").wait_for(timeout=30_000)
            assert "Page not found" not in page.inner_text("body")
            page.get_by_label("User name").fill("ana")
            page.get_by_label("Password", exact=True).fill(PW)
            page.get_by_role("button", name="Log in").click()
            _wait_text(page, "History and before/after")
            _wait_text(page, "No saved assessments for Alpha Ana-client yet.")  # that client's history
            assert page.url.endswith(f"/History?client={alpha.id}")
        finally:
            browser.close()
