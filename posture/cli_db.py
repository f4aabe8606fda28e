"""`posture db upgrade [--app-role ROLE]`: migrations run by the database's owner, and the app's
own role given only what it needs (posture.store.grants). Run with POSTURE_DATABASE_URL naming
the owner; the app's service then connects as ROLE.
"""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The `posture db` sub-commands (registered by posture.cli)."""
    sub = p.add_subparsers(dest="db_command", required=True)
    up = sub.add_parser("upgrade", help="bring the database to the newest schema (run as the database's owner)")
    up.add_argument("--app-role", metavar="ROLE",
                    help="PostgreSQL: then give ROLE, the role the app connects as, only the app's rights "
                         "(records read and written, the audit trail SELECT and INSERT only, no DDL)")


def run_command(args: argparse.Namespace) -> int:
    # The store (SQLAlchemy, Alembic) loads only when the command runs: `posture --help` stays fast.
    from posture.store import db, grants
    from posture.store.paths import data_dir
    from posture.store.transactions import Database

    url = db.database_url(data_dir())
    where = db.safe_url(url)
    database = Database(url, where)
    database.migrate()
    print(f"{where}: at schema {db.head_revision()}.")
    if args.app_role:
        granted = grants.grant_app_role(database, args.app_role)
        for table, rights in granted.rights.items():
            print(f"{granted.role}: {rights} on {table}")
    return 0
