"""The simulated instances' Bolt endpoint: the official ``neo4j`` driver connects to them.

Module map: :mod:`.packstream` (values), :mod:`.wire` (handshake, chunked messages),
:mod:`.session` (one connection: login, routing table, transactions), :mod:`.cypher` (the few
statements answered, one failure for the rest), :mod:`.tls` (a loopback-only CA per simulator)
and :mod:`.server` (the listener, the host-name lookup and the per-instance Bolt log).
Like the rest of the simulator it imports nothing of the client.
"""

from .server import BoltServer

__all__ = ["BoltServer"]
