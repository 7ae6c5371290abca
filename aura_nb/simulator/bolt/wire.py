"""Bolt on the wire: the version handshake and chunked messages.

A client opens with the magic ``60 60 B0 17`` and four version proposals of four bytes each
(``reserved, range, minor, major``: "major.minor and the ``range`` minors below it"). The server
answers the version it picked (``00 00 minor major``) or ``00 00 00 00``. Then every message is a
PackStream structure cut into chunks (a two-byte big-endian size, then the bytes) and ended by an
empty chunk. An empty message (a lone ``00 00``) is a keep-alive NOOP.
"""

from __future__ import annotations

import socket
import struct

from .packstream import Structure, Unpacker, pack

__all__ = ["MAGIC", "SUPPORTED", "negotiate", "read_message", "write_message", "Closed"]

MAGIC = b"\x60\x60\xB0\x17"
#: The versions the simulator speaks: the Bolt 5 line (Neo4j 5 LTS and the 2025.x releases).
SUPPORTED = [(5, minor) for minor in range(8, -1, -1)]
_MAX_CHUNK = 0xFFFF


class Closed(ConnectionError):
    """The peer closed the connection (or sent something that ends it)."""


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    data = bytearray()
    while len(data) < n:
        part = sock.recv(n - len(data))
        if not part:
            raise Closed("connection closed by the client")
        data += part
    return bytes(data)


def negotiate(proposals: bytes) -> tuple[int, int] | None:
    """The highest supported version the 16 proposal bytes allow, or ``None``.

    A proposal with major 0xFF (Bolt's "manifest" handshake for Bolt 6) is passed over: the
    driver then settles for a plain 5.x proposal.
    """
    offered = []
    for i in range(0, 16, 4):
        _, span, minor, major = proposals[i:i + 4]
        if major == 0xFF:
            continue
        offered += [(major, m) for m in range(minor, max(minor - span, 0) - 1, -1)]
    for version in SUPPORTED:
        if version in offered:
            return version
    return None


def handshake(sock: socket.socket) -> tuple[int, int] | None:
    """Read the client's opening and answer it; the agreed version, or ``None`` (then close)."""
    if _recv_exactly(sock, 4) != MAGIC:
        raise Closed("not a Bolt client (no magic preamble)")
    version = negotiate(_recv_exactly(sock, 16))
    sock.sendall(bytes([0, 0, version[1], version[0]]) if version else b"\x00\x00\x00\x00")
    return version


def read_message(sock: socket.socket) -> Structure | None:
    """The next message, or ``None`` for a NOOP. Raises Closed when the client has gone."""
    data = bytearray()
    while True:
        (size,) = struct.unpack(">H", _recv_exactly(sock, 2))
        if size == 0:
            break
        data += _recv_exactly(sock, size)
    if not data:
        return None
    message = Unpacker(bytes(data)).unpack()
    if not isinstance(message, Structure):
        raise Closed("a Bolt message must be a structure")
    return message


def write_message(sock: socket.socket, tag: int, *fields) -> None:
    """Send one message (``tag`` is its signature) in chunks."""
    data = pack(Structure(tag, list(fields)))
    out = bytearray()
    for start in range(0, len(data), _MAX_CHUNK):
        chunk = data[start:start + _MAX_CHUNK]
        out += struct.pack(">H", len(chunk)) + chunk
    out += b"\x00\x00"
    sock.sendall(out)
