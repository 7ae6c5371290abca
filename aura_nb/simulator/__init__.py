"""A local simulator of the Neo4j Aura API (v1, v2beta1 core) for tests, notebooks, workshops.

``Simulator(...).start()`` serves ``POST /oauth/token`` and ``/v1/...`` on 127.0.0.1 with the
same URL layout as ``https://api.neo4j.io``, so any client with a configurable base URL works
against it. While an instance is running, the ``neo4j`` driver connects to it over Bolt
(:mod:`.bolt`, TLS on 127.0.0.1). ``python -m aura_nb.simulator --help`` runs it from a terminal.
This package imports nothing from the rest of aura_nb: it stands in for the real service.
"""

from .server import Simulator

__all__ = ["Simulator"]
