"""Fault injection: make the simulator misbehave the way networks and services do.

Random faults (each request draws from a seeded RNG):

* ``error_rate``: probability of answering 500, 502, 503 or 504 without doing the work;
* ``rate_429``: probability of a spurious 429 with ``Retry-After``;
* ``drop_rate``: probability of closing the connection without any answer (before the work);
* ``latency``: real seconds added before every answer.

Scripted one-off faults match the next requests with a method and a path (the concrete path
``/v1/instances/1a2b3c4d`` or the route template ``/v1/instances/{instanceId}``):

* ``lose_response``: the request is carried out, then the connection is closed unanswered;
* ``drop``: the connection is closed unanswered and nothing is done;
* ``status``: the request is answered with ``status`` and nothing is done.

Faults never apply to the admin surface under ``/_simulator/``.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

ACTIONS = ("lose_response", "drop", "status")
SERVER_ERRORS = (500, 502, 503, 504)


@dataclass
class Decision:
    """What to do with one request: ``action`` is ``drop``, ``lose_response`` or ``status``."""
    action: str
    status: int = 0


def _probability(key: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{key} must be a probability between 0 and 1, got {value!r}")
    return float(value)


def _script_item(item) -> dict:
    if not isinstance(item, dict):
        raise ValueError("each script entry must be an object with method, path and action")
    method, path, action = item.get("method"), item.get("path"), item.get("action")
    if not isinstance(method, str) or not isinstance(path, str) or not path.startswith("/"):
        raise ValueError("a script entry needs a method (e.g. POST) and a path starting with /")
    if action not in ACTIONS:
        raise ValueError(f"script action must be one of {', '.join(ACTIONS)}, got {action!r}")
    status = item.get("status", 503)
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ValueError("script status must be an HTTP error status (400-599)")
    times = item.get("times", 1)
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise ValueError("script times must be a positive integer")
    return {"method": method.upper(), "path": path, "action": action, "status": status,
            "times": times}


class Faults:
    """The fault configuration of one simulator, and the seeded dice it rolls per request.

    Thread-safe. ``update(**kw)`` and ``to_dict()`` use the admin endpoint's keys:
    ``error_rate``, ``rate_429``, ``drop_rate``, ``latency``, ``script``.
    """

    def __init__(self, seed: int = 0):
        self._lock = threading.Lock()
        self._rng = random.Random(f"faults/{seed}")
        self.error_rate = 0.0
        self.rate_429 = 0.0
        self.drop_rate = 0.0
        self.latency = 0.0
        self.script: list[dict] = []

    def to_dict(self) -> dict:
        """The current configuration, as ``GET /_simulator/faults`` returns it."""
        with self._lock:
            return {"error_rate": self.error_rate, "rate_429": self.rate_429,
                    "drop_rate": self.drop_rate, "latency": self.latency,
                    "script": [dict(item) for item in self.script]}

    def update(self, **settings) -> dict:
        """Change some settings (``script`` replaces the script) and return the configuration.

        Raises ValueError for an unknown key or a bad value; then nothing changes.
        """
        changes = {}
        for key, value in settings.items():
            if key in ("error_rate", "rate_429", "drop_rate"):
                changes[key] = _probability(key, value)
            elif key == "latency":
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 60:
                    raise ValueError(f"latency must be between 0 and 60 seconds, got {value!r}")
                changes[key] = float(value)
            elif key == "script":
                if not isinstance(value, list):
                    raise ValueError("script must be a list of entries")
                changes[key] = [_script_item(item) for item in value]
            else:
                raise ValueError(f"unknown fault setting {key!r}; known: error_rate, rate_429, "
                                 "drop_rate, latency, script")
        with self._lock:
            for key, value in changes.items():
                setattr(self, key, value)
        return self.to_dict()

    def decide(self, method: str, path: str, template: str) -> Decision | None:
        """Roll the dice for one request; ``None`` means behave normally.

        Scripted entries come first and are used up; then drop, 429 and 5xx in that order.
        """
        with self._lock:
            for item in self.script:
                if item["method"] == method and item["path"] in (path, template):
                    item["times"] -= 1
                    if item["times"] == 0:
                        self.script.remove(item)
                    return Decision(item["action"], item["status"])
            if not (self.drop_rate or self.rate_429 or self.error_rate):
                return None
            roll = self._rng.random
            if roll() < self.drop_rate:
                return Decision("drop")
            if roll() < self.rate_429:
                return Decision("status", 429)
            if roll() < self.error_rate:
                return Decision("status", self._rng.choice(SERVER_ERRORS))
            return None


def parse_spec(spec: str) -> dict:
    """Turn the CLI's ``--faults`` text into :meth:`Faults.update` settings.

    ``"5xx=0.05,429=0.02,drop=0.01,latency=0.2,lose=POST /v1/instances"``; also
    ``fail=503 POST /v1/instances`` (answer that status once) and ``dropone=GET /v1/tenants``.
    The long names (``error_rate=``...) work too. Raises ValueError naming the bad part.
    """
    aliases = {"5xx": "error_rate", "429": "rate_429", "drop": "drop_rate"}
    settings: dict = {}
    script: list[dict] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep:
            raise ValueError(f"fault {part!r} needs the form key=value")
        try:
            if key in ("lose", "dropone"):
                method, _, path = value.partition(" ")
                script.append({"method": method, "path": path.strip(),
                               "action": "lose_response" if key == "lose" else "drop"})
            elif key == "fail":
                status, _, rest = value.partition(" ")
                method, _, path = rest.strip().partition(" ")
                script.append({"method": method, "path": path.strip(), "action": "status",
                               "status": int(status)})
            else:
                settings[aliases.get(key, key)] = float(value)
        except ValueError:
            raise ValueError(f"fault {part!r} could not be read; examples: 5xx=0.05, "
                             "latency=0.2, lose=POST /v1/instances, fail=503 GET /v1/tenants") from None
    if script:
        settings["script"] = script
    Faults().update(**settings)        # validate everything now, with a clear message
    return settings
