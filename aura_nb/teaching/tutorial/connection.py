"""Notebook 04's check that the learner's driver cell really reached the database."""

from __future__ import annotations

from typing import Any

__all__ = ["check_connected"]


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
