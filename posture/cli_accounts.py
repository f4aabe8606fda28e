"""`posture users add|passwd|disable|enable|list NAME`: clinic accounts from the command line.

The arguments, the password prompt and the printing; the accounts themselves (hashing,
lockout, the audit events) are posture.store.accounts.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from posture.core.errors import UsageError
from posture.store.actor import USER_ROLES, Actor, UserRole

if TYPE_CHECKING:
    from posture.store.records import Store

#: Who the command line acts as in the trail (whoever has a shell on the server is its admin).
CLI_ROLE: UserRole = "admin"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The `posture users` sub-commands (registered by posture.cli)."""
    sub = p.add_subparsers(dest="users_command", required=True)
    add = sub.add_parser("add", help="add a user (the password is asked for, or read from standard input)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", choices=USER_ROLES, required=True)
    sub.add_parser("passwd", help="set a new password (also ends a lockout)").add_argument("name", metavar="NAME")
    sub.add_parser("disable", help="disable a user: no more logins, open sessions end").add_argument("name", metavar="NAME")
    sub.add_parser("enable", help="enable a disabled user again").add_argument("name", metavar="NAME")
    sub.add_parser("new-code", help="give a user a new self-check link (the old one stops working)").add_argument(
        "name", metavar="NAME")
    sub.add_parser("list", help="list the users")


def run_command(args: argparse.Namespace, store: Store | None = None) -> int:
    """Run one `posture users` command; problems are UsageError (one line, exit 2)."""
    # The database libraries load here, not when the parser is built (`posture --help`).
    from posture.store.accounts import Accounts, is_locked, utcnow
    from posture.store.records import Store

    accounts = Accounts(store if store is not None else Store())
    by = Actor(name=f"cli:{getpass.getuser()}", role=CLI_ROLE)
    command = args.users_command
    if command == "list":
        for u in accounts.list_users():
            state = "disabled" if u.disabled else ("locked" if is_locked(u.locked_until, utcnow()) else "active")
            print(f"{u.name}\t{u.role}\t{state}")
        return 0
    if command == "add":
        user = accounts.add(args.name, args.role, read_new_password(), by=by)
        print(f"Added {user.role} {user.name}.")
    elif command == "new-code":
        user = accounts.new_self_check_code(args.name, by=by)
        print(f"New self-check link for {user.name}: /Self_check?for={user.self_check_code}")
    elif command == "passwd":
        accounts.find(args.name)  # an unknown name fails before the password is asked for
        user = accounts.set_password(args.name, read_new_password(), by=by)
        print(f"New password set for {user.name}.")
    else:
        user = accounts.set_disabled(args.name, command == "disable", by=by)
        print(f"{user.name} is {'disabled' if user.disabled else 'enabled'}.")
    return 0


def read_new_password() -> str:
    """Asked twice at a terminal (not echoed); a script pipes it in as the first line of standard input."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        raise UsageError("The two passwords differ; nothing was changed.")
    return first
