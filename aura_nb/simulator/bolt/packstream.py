"""PackStream, Bolt's binary value format: ``pack(value) -> bytes`` and ``Unpacker(data).unpack()``.

Covers what the simulator sends and receives: null, booleans, integers (64-bit), floats, strings,
bytes, lists, maps and structures (a message is a structure whose tag is its signature). Dates,
points and graph types never occur in what the simulator answers, so they are not decoded beyond
their generic :class:`Structure`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

__all__ = ["Structure", "pack", "Unpacker", "PackStreamError"]


class PackStreamError(ValueError):
    """The bytes are not valid PackStream (or hold a value this module does not know)."""


@dataclass
class Structure:
    """A tagged structure: a Bolt message (``tag`` is its signature byte) or a typed value."""
    tag: int
    fields: list = field(default_factory=list)


def _sized(size: int, tiny: int, markers: tuple[int, int, int]) -> bytes:
    """The header of a string, list or map of ``size`` items (``tiny`` marker for fewer than 16)."""
    if size < 0x10 and tiny is not None:
        return bytes([tiny + size])
    for marker, fmt, limit in zip(markers, (">B", ">H", ">I"), (0xFF, 0xFFFF, 0xFFFFFFFF)):
        if size <= limit:
            return bytes([marker]) + struct.pack(fmt, size)
    raise PackStreamError("value too large for PackStream")


def _pack_int(value: int) -> bytes:
    if -0x10 <= value < 0x80:
        return struct.pack(">b", value)
    for marker, fmt, bits in ((0xC8, ">b", 8), (0xC9, ">h", 16), (0xCA, ">i", 32), (0xCB, ">q", 64)):
        if -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
            return bytes([marker]) + struct.pack(fmt, value)
    raise PackStreamError(f"integer {value} does not fit in 64 bits")


def pack(value) -> bytes:
    """``value`` as PackStream. Raises PackStreamError for a type it cannot carry."""
    if value is None:
        return b"\xC0"
    if value is True:
        return b"\xC3"
    if value is False:
        return b"\xC2"
    if isinstance(value, int):
        return _pack_int(value)
    if isinstance(value, float):
        return b"\xC1" + struct.pack(">d", value)
    if isinstance(value, str):
        data = value.encode("utf-8")
        return _sized(len(data), 0x80, (0xD0, 0xD1, 0xD2)) + data
    if isinstance(value, (bytes, bytearray)):
        return _sized(len(value), None, (0xCC, 0xCD, 0xCE)) + bytes(value)
    if isinstance(value, (list, tuple)):
        return _sized(len(value), 0x90, (0xD4, 0xD5, 0xD6)) + b"".join(map(pack, value))
    if isinstance(value, dict):
        parts = [_sized(len(value), 0xA0, (0xD8, 0xD9, 0xDA))]
        for key, item in value.items():
            if not isinstance(key, str):
                raise PackStreamError("map keys must be strings")
            parts += [pack(key), pack(item)]
        return b"".join(parts)
    if isinstance(value, Structure):
        if len(value.fields) > 0x0F:
            raise PackStreamError("a structure holds at most 15 fields")
        return bytes([0xB0 + len(value.fields), value.tag]) + b"".join(map(pack, value.fields))
    raise PackStreamError(f"cannot pack a {type(value).__name__}")


class Unpacker:
    """Reads PackStream values one after another from ``data``."""

    _FIXED = {0xC8: ">b", 0xC9: ">h", 0xCA: ">i", 0xCB: ">q", 0xC1: ">d"}
    _SIZES = {0xD0: ">B", 0xD1: ">H", 0xD2: ">I", 0xD4: ">B", 0xD5: ">H", 0xD6: ">I",
              0xD8: ">B", 0xD9: ">H", 0xDA: ">I", 0xCC: ">B", 0xCD: ">H", 0xCE: ">I"}

    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.pos = 0

    def _take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise PackStreamError("PackStream value ends early")
        chunk = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return chunk

    def _read(self, fmt: str):
        return struct.unpack(fmt, self._take(struct.calcsize(fmt)))[0]

    def unpack(self):
        """The next value. Raises PackStreamError for bytes that are not PackStream."""
        marker = self._take(1)[0]
        high = marker & 0xF0
        if marker < 0x80 or marker >= 0xF0:
            return struct.unpack(">b", bytes([marker]))[0]
        if marker == 0xC0:
            return None
        if marker in (0xC2, 0xC3):
            return marker == 0xC3
        if marker in self._FIXED:
            return self._read(self._FIXED[marker])
        if high == 0x80:
            return self._take(marker & 0x0F).decode("utf-8")
        if high == 0x90:
            return [self.unpack() for _ in range(marker & 0x0F)]
        if high == 0xA0:
            return self._map(marker & 0x0F)
        if high == 0xB0:
            tag = self._take(1)[0]
            return Structure(tag, [self.unpack() for _ in range(marker & 0x0F)])
        if marker in self._SIZES:
            size = self._read(self._SIZES[marker])
            if marker in (0xD0, 0xD1, 0xD2):
                return self._take(size).decode("utf-8")
            if marker in (0xD4, 0xD5, 0xD6):
                return [self.unpack() for _ in range(size)]
            if marker in (0xD8, 0xD9, 0xDA):
                return self._map(size)
            return self._take(size)
        raise PackStreamError(f"unknown PackStream marker 0x{marker:02X}")

    def _map(self, size: int) -> dict:
        out = {}
        for _ in range(size):
            key = self.unpack()
            if not isinstance(key, str):
                raise PackStreamError("map keys must be strings")
            out[key] = self.unpack()
        return out
