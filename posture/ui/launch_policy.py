"""Where the app may listen, and in which mode: read by the launcher before Streamlit starts
and again by every page (posture.ui.page.privacy_guard), so `streamlit run` started by hand
is held to the same rule. No Streamlit import: the launcher refuses before loading it.

Solo mode has no logins, so anyone who reaches the server reads every client. It therefore
listens on this machine only; an address beyond it needs both POSTURE_ALLOW_NETWORK=1 (the
deliberate choice of a clinic network) and POSTURE_MODE=clinic (logins, roles, the audit trail).
"""

from __future__ import annotations

import ipaddress
import os
from typing import Literal

from posture.core.errors import UsageError

MODE_ENV = "POSTURE_MODE"
#: Set to 1 to let the app listen beyond this machine (a clinic network, behind a firewall; clinic mode only).
ALLOW_NETWORK_ENV = "POSTURE_ALLOW_NETWORK"

Mode = Literal["solo", "clinic"]


def app_mode() -> Mode:
    """`solo` unless POSTURE_MODE says `clinic`; anything else is a one-line error."""
    value = os.environ.get(MODE_ENV, "").strip().lower()
    if value in ("", "solo"):
        return "solo"
    if value == "clinic":
        return "clinic"
    raise UsageError(f"{MODE_ENV}={value!r} is not a mode: use solo (the default) or clinic.")


def is_loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def network_problem(address: str) -> str | None:
    """Why listening on `address` would expose client data, in plain words (None when it is allowed)."""
    address = address.strip()
    if is_loopback(address):
        return None
    where = f"address {address}" if address else "every network interface"
    if os.environ.get(ALLOW_NETWORK_ENV) != "1":
        return (f"the server listens on {where}, not only on this machine "
                f"(set {ALLOW_NETWORK_ENV}=1 and {MODE_ENV}=clinic to allow it on a clinic network)")
    try:
        mode = app_mode()
    except UsageError as exc:
        return str(exc)
    if mode != "clinic":
        return (f"the server listens on {where}, beyond this machine, in solo mode, which has no logins: anyone "
                f"on the network would read every client (set {MODE_ENV}=clinic)")
    return None
