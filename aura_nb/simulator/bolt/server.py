"""The Bolt listener of a simulator: TLS on a loopback port, one thread per connection.

:meth:`BoltServer.address_for` is the simulator's stand-in for DNS: the address a driver should
connect to for an instance's host name. A running instance's host leads to the listener; one that
is paused, creating, resuming or being destroyed leads to a loopback port that is bound but never
listens, so the driver's connection is refused; a deleted instance's host has no address at all.
"""

from __future__ import annotations

import socket
import threading
from collections import defaultdict

from ..clock import rfc3339
from ..loopback import is_loopback_host
from ..threads import ConnectionThreads
from .session import Connection
from .tls import BoltCertificates
from .wire import Closed, handshake

__all__ = ["BoltServer"]

#: Seconds a connection may stay silent before the simulator closes it.
IDLE_TIMEOUT = 600.0
#: Entries kept in each instance's Bolt log.
LOG_LIMIT = 200


class BoltServer:
    """Bolt over TLS for the instances of ``world``, on ``host`` (a loopback address only).

    ``start()`` binds and serves in daemon threads; ``stop()`` closes the listener and every
    connection. ``ca_pem`` is the certificate a client trusts to check the server's.
    ``log(instance_id)`` lists who connected to an instance, with which statements, and whether
    each succeeded (never a password).
    """

    def __init__(self, world, host: str = "127.0.0.1", port: int = 0) -> None:
        if not is_loopback_host(host):
            raise ValueError(f"the Bolt endpoint listens on loopback only, not {host!r}")
        self.world = world
        self.host = "127.0.0.1" if host == "localhost" else host.strip("[]")
        self.port = port
        self.refusing_port = 0
        self.certificates = BoltCertificates()
        self._context = self.certificates.server_context()
        self._listener: socket.socket | None = None
        self._door: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._connections = ConnectionThreads()
        self._lock = threading.Lock()          # guards the log
        self._log: dict[str, list[dict]] = defaultdict(list)

    def __repr__(self) -> str:
        return f"<BoltServer {self.host}:{self.port}>"

    @property
    def ca_pem(self) -> str:
        """The CA certificate (PEM) that signs the server's certificate."""
        return self.certificates.ca_pem

    # -- life cycle -----------------------------------------------------------------------

    def start(self) -> "BoltServer":
        """Bind the listener and the refusing port; serve in a daemon thread."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(64)
        door = socket.socket(family, socket.SOCK_STREAM)
        door.bind((self.host, 0))              # bound, never listening: connections are refused
        self._listener, self._door = listener, door
        self.port, self.refusing_port = listener.getsockname()[1], door.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, name="aura-simulator-bolt",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listener and every connection; join the threads."""
        listener, self._listener = self._listener, None
        if listener is None:
            return
        try:
            listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        listener.close()
        self._door.close()
        self._thread.join(5)
        self._connections.end_all()

    # -- what clients ask -------------------------------------------------------------------

    def address_for(self, host: str) -> tuple[str, int] | None:
        """Where ``<id>.databases.neo4j.io`` leads now (see the module docstring), or ``None``."""
        target = self.world.bolt_target(host)
        if target is None:
            return None
        return (self.host, self.port if target["status"] == "running" else self.refusing_port)

    def log(self, instance_id: str) -> list[dict]:
        """The instance's Bolt log, oldest first: dicts with ``at`` (virtual time, RFC 3339),
        ``event`` (``login`` or ``statement``), ``user``, ``client``, ``ok`` and, for a
        statement, its text."""
        with self._lock:
            return [dict(entry) for entry in self._log.get(instance_id, [])]

    def _record(self, instance_id: str, entry: dict) -> None:
        entry = {"at": rfc3339(self.world.now()), **entry}
        with self._lock:
            entries = self._log[instance_id]
            entries.append(entry)
            del entries[:-LOG_LIMIT]

    # -- serving ------------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        listener = self._listener
        while True:
            try:
                sock, peer = listener.accept()
            except OSError:
                return                         # the listener was closed: stop() is under way
            thread = threading.Thread(target=self._serve, args=(sock, peer),
                                      name="aura-simulator-bolt-connection", daemon=True)
            # a duplicate, to shut the connection down: TLS takes over the original socket
            self._connections.add(thread, sock.dup())
            thread.start()

    def _serve(self, sock: socket.socket, peer) -> None:
        try:
            sock.settimeout(IDLE_TIMEOUT)
            with self._context.wrap_socket(sock, server_side=True) as tls:
                version = handshake(tls)
                if version is not None:
                    Connection(tls, version, self.world, self._record,
                               f"{peer[0]}:{peer[1]}").serve()
        except (Closed, OSError, ValueError):
            pass                               # a client that goes away is no error
        finally:
            try:
                sock.close()
            except OSError:
                pass
            guard = self._connections.forget_current()
            if guard is not None:
                guard.close()
