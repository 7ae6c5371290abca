"""Before the class: does every attendee's hand-out open their database?

:func:`verify_handouts` connects to each attendee's instance with the ``neo4j`` driver, using only
what their hand-out says (``NEO4J_URI``, ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``), several at once,
each within the client's time budget. Against a simulator the driver gets
:func:`aura_nb.core.bolt.driver_options`; against Aura, nothing. Outcomes: ``ok``,
``wrong password``, ``not running``, ``no hand-out``, or ``error: <one line>``.
"""

from __future__ import annotations

import importlib.util
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from aura_nb.core.envfile import read_env
from aura_nb.core.bolt import driver_options
from aura_nb.core.errors import ConfigurationError, error_line
from .manifest import AttendeeRecord
from .operations import Workshop

__all__ = ["HandoutCheck", "VerifyReport", "verify_handouts", "OK", "WRONG_PASSWORD",
           "NOT_RUNNING", "NO_HANDOUT"]

OK, WRONG_PASSWORD, NOT_RUNNING, NO_HANDOUT = "ok", "wrong password", "not running", "no hand-out"


@dataclass(frozen=True)
class HandoutCheck:
    """One attendee's outcome (never the password)."""
    attendee: str
    instance_id: str
    outcome: str

    def __str__(self) -> str:
        return f"{self.attendee}: {self.outcome}" + (f" ({self.instance_id})" if self.instance_id else "")


@dataclass(frozen=True)
class VerifyReport:
    """Every attendee's :class:`HandoutCheck`, in roster order."""
    checks: tuple[HandoutCheck, ...]

    @property
    def ok(self) -> bool:
        """True when every attendee logged in."""
        return all(check.outcome == OK for check in self.checks)

    def lines(self) -> list[str]:
        """One line per attendee, then the count."""
        good = sum(check.outcome == OK for check in self.checks)
        return [str(check) for check in self.checks] + \
            [f"{good} of {len(self.checks)} attendees can log in with their hand-out"]


def _handout(workshop: Workshop, record: AttendeeRecord) -> dict | None:
    path = Path(record.handout_path) if record.handout_path else \
        workshop.handouts_folder / f"{record.name}.txt"
    if not record.has_instance or not path.is_file():
        return None
    values = read_env(path)
    if not all(values.get(k) for k in ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD")):
        return None
    return values


def _check(record: AttendeeRecord, handout: dict | None, options: dict, timeout: float) -> str:
    if handout is None:
        return NO_HANDOUT
    import neo4j
    from neo4j.exceptions import AuthError, ServiceUnavailable

    try:
        with neo4j.GraphDatabase.driver(
                handout["NEO4J_URI"], auth=(handout["NEO4J_USERNAME"], handout["NEO4J_PASSWORD"]),
                connection_timeout=timeout, connection_acquisition_timeout=timeout,
                max_transaction_retry_time=0, **options) as driver:
            driver.verify_connectivity()
        return OK
    except AuthError:
        return WRONG_PASSWORD
    except ServiceUnavailable:
        return NOT_RUNNING
    except Exception as error:      # one attendee's odd failure must not end the others' checks
        return f"error: {error_line(error, limit=200)}"


def verify_handouts(client: Any, prefix: str, home: Any = None, concurrency: int = 4) -> VerifyReport:
    """Log in to every attendee's instance with their hand-out; see the module docstring.

    Raises ConfigurationError (saying how to install it) when the ``neo4j`` driver is missing.
    """
    if importlib.util.find_spec("neo4j") is None:
        raise ConfigurationError("workshop verify needs the neo4j driver: pip install "
                                 "'aura_nb[driver]'")
    workshop = Workshop(client, prefix, home=home)
    records = list(workshop.manifest)
    handouts = [_handout(workshop, record) for record in records]
    options = driver_options(client) if any(handouts) else {}
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        outcomes = list(pool.map(lambda pair: _check(*pair, options, client.timeout),
                                 zip(records, handouts)))
    return VerifyReport(tuple(HandoutCheck(r.attendee, r.instance_id, o)
                              for r, o in zip(records, outcomes)))
