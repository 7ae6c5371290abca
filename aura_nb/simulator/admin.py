"""The admin token: how a simulator's owner proves it on ``/_simulator/``, and where it is kept.

Each :class:`~aura_nb.simulator.server.Simulator` draws a fresh token when it is made
(``sim.admin_token``). Every ``/_simulator/`` request must carry it in the
``X-Simulator-Admin-Token`` header. A browser page cannot add that header to a cross-site request
without the simulator's consent (which it never gives), and another local user cannot read the
token: it lives in this process, in this process's registry of running simulators, and (for the
command line) in a file of mode 0600.

:func:`find_token` is how :class:`~aura_nb.simulator.remote.SimulatorAdmin` finds the token of the
simulator on a given port: a simulator running in this process first, then the environment
variable ``AURA_SIMULATOR_ADMIN_TOKEN`` (the test harness sets it for notebook kernels), then the
token file :func:`token_file` names (``$AURA_NB_HOME/simulator-admin-PORT.token``, by default in
``~/.aura_nb``), which ``python -m aura_nb.simulator`` writes.
"""

from __future__ import annotations

import hmac
import os
import threading
from pathlib import Path

#: The request header that carries the admin token.
HEADER = "X-Simulator-Admin-Token"
#: The environment variable a kernel may be given the token in.
ENV_VAR = "AURA_SIMULATOR_ADMIN_TOKEN"

_running: dict[int, str] = {}      # port -> token of the simulators serving in this process
_running_lock = threading.Lock()


def home() -> Path:
    """``AURA_NB_HOME`` (default ``~/.aura_nb``): restated here, the simulator imports nothing
    of the client's configuration."""
    return Path(os.environ.get("AURA_NB_HOME") or Path.home() / ".aura_nb")


def token_file(port: int, directory: Path | None = None) -> Path:
    """Where the command line keeps the token of the simulator on ``port``."""
    return (directory or home()) / f"simulator-admin-{port}.token"


def write_token(path: Path, token: str) -> None:
    """Write ``token`` to ``path`` with mode 0600 from the start (never readable by others)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if tmp.exists():
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    os.replace(tmp, path)


def register(port: int, token: str) -> None:
    """Remember the token of a simulator now serving in this process on ``port``."""
    with _running_lock:
        _running[port] = token


def unregister(port: int) -> None:
    """Forget the simulator that served on ``port``."""
    with _running_lock:
        _running.pop(port, None)


def find_token(port: int | None) -> str | None:
    """The admin token of the simulator on ``port`` (see the module's docstring), or ``None``."""
    with _running_lock:
        token = _running.get(port) if port is not None else None
    if token:
        return token
    token = os.environ.get(ENV_VAR, "").strip()
    if token:
        return token
    if port is not None:
        try:
            return token_file(port).read_text(encoding="utf-8").strip() or None
        except OSError:
            return None
    return None


def secrets_equal(a: str, b: str) -> bool:
    """Constant-time comparison of two strings."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"),
                               b.encode("utf-8", "surrogatepass"))
