"""Loaded by the kernels of the account-kind notebook runs (``PYTHONPATH``): name resolution of
any host but a loopback one is refused, and written down, so a test can see that no cell tried
to reach a host outside this machine (a simulated instance's ``*.databases.neo4j.io``, say)."""

import os
import socket

_LOOPBACK = {None, "", "localhost", "127.0.0.1", "::1", "0.0.0.0"}
_resolve = socket.getaddrinfo


def _loopback_only(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if name not in _LOOPBACK and not str(name).startswith("127."):
        with open(os.environ["AURA_NB_TEST_OFFHOST_LOG"], "a", encoding="utf-8") as log:
            log.write(f"{name}\n")
        raise socket.gaierror(socket.EAI_NONAME, f"test guard: {name} is not loopback")
    return _resolve(host, *args, **kwargs)


if os.environ.get("AURA_NB_TEST_OFFHOST_LOG"):
    socket.getaddrinfo = _loopback_only
