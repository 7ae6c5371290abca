"""The notebooks' driver cells: notebook 04's check that the learner's cell really reached the
database, and the guard that lets a driver cell say in one line why it could not connect."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Any, Iterator

from aura_nb.core.errors import ConfigurationError, VaultEntryNotFound

__all__ = ["check_connected", "unless_unreachable"]


def check_connected(client: Any, instance_id: str) -> str:
    """One line saying whether the instance's database saw the learner log in and what it ran.

    In simulator mode it reads the simulator's Bolt log of the instance (admin surface). Where
    there is no such log (the real service, or a simulator played as a real account) the driver's
    answers in the cell above are the only proof, and the line says so. Sends no API request.
    """
    log = None
    if client.mode == "simulator":
        from aura_nb.simulator.remote import NotASimulator, SimulatorAdmin

        try:
            with SimulatorAdmin(client.base_url) as admin:
                log = admin.bolt_log(instance_id)
        except (NotASimulator, OSError, ValueError):
            log = None
    if log is None:
        return ("No database log to read here (real mode): the answers printed by the cell "
                "above came from your instance.")
    logins = [e for e in log if e["event"] == "login" and e["ok"]]
    if not logins:
        return (f"The simulator saw no login to {instance_id} yet: run the driver cell above "
                "(with the vault's password).")
    ran = [e["statement"] for e in log if e["event"] == "statement" and e["ok"]]
    statements = ", ".join(dict.fromkeys(ran)) or "no statement yet"
    return (f"Connected: the simulator's Bolt log of {instance_id} shows {logins[-1]['user']} "
            f"logged in and ran {statements}.")


@contextmanager
def unless_unreachable(name: str) -> Iterator[None]:
    """Run a driver cell's ``with`` block; when it cannot reach the database ``name``, print one
    line saying why (and that the notebook goes on without it) instead of a traceback. "Cannot
    reach": the ``neo4j`` driver is not installed, the simulator has no Bolt endpoint, the vault
    has no password for the instance, the database refuses it (``AuthError``) or cannot be
    reached (``ServiceUnavailable``: paused, gone, a firewall in the way). Any other error
    propagates. Sends nothing itself."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - only the reasons above are caught, see _why
        why = _why_unreachable(error)
        if why is None:
            raise
        print(f"Could not connect to {name}: {why}; the rest of this notebook does not need it.")


def _why_unreachable(error: Exception) -> str | None:
    """One line for an error that means "this database cannot be reached from here", else None."""
    if isinstance(error, ModuleNotFoundError) and error.name == "neo4j":
        return "the neo4j driver is not installed (pip install neo4j)"
    if isinstance(error, (ConfigurationError, VaultEntryNotFound)):
        return str(error)
    exceptions = sys.modules.get("neo4j.exceptions")    # loaded if the driver raised it
    if exceptions and isinstance(error, (exceptions.AuthError, exceptions.ServiceUnavailable)):
        first = (str(error).strip().splitlines() or [""])[0]
        return f"{type(error).__name__}: {first}" if first else type(error).__name__
    return None
