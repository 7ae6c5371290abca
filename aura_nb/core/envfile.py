"""The one writer and reader of ``KEY=value`` files (``.env``, vault entries, hand-outs).

Every value written here reads back exactly, whatever it holds (``#``, spaces, quotes, a
newline, ``$``): a plain value is written bare, as the Aura console's credentials file does;
anything else is double-quoted with python-dotenv's escapes (``\\\\``, ``\\"``, ``\\n``, ``\\r``,
``\\t``). Reading never expands ``${VAR}`` (python-dotenv's ``interpolate=False``): a password is
a password, not a template.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Iterable, Mapping

from dotenv import dotenv_values
from dotenv.parser import parse_stream

__all__ = ["quote", "env_line", "env_text", "read_env", "read_env_text", "set_env_values"]

_PLAIN = re.compile(r"[A-Za-z0-9_@%+=:,./~-]*")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote(value: str) -> str:
    """``value`` as it must appear after ``KEY=`` to read back unchanged."""
    if _PLAIN.fullmatch(value):
        return value
    return '"' + "".join(_ESCAPES.get(char, char) for char in value) + '"'


def env_line(key: str, value: str) -> str:
    """One ``KEY=value`` line (no newline at the end)."""
    return f"{key}={quote(str(value))}"


def env_text(values: Mapping[str, str], comments: Iterable[str] = ()) -> str:
    """A whole file: ``# comment`` lines, then one line per key, newline-terminated."""
    lines = [f"# {text}" if text else "#" for text in comments]
    lines += [env_line(key, value) for key, value in values.items()]
    return "\n".join(lines) + "\n"


def read_env_text(text: str) -> dict[str, str]:
    """The values of a file's text (keys without a value are left out); never interpolates."""
    return {k: v for k, v in dotenv_values(stream=io.StringIO(text), interpolate=False).items()
            if v is not None}


def read_env(path: str | os.PathLike[str]) -> dict[str, str]:
    """The values of the file at ``path`` (see :func:`read_env_text`). Raises OSError."""
    return read_env_text(Path(path).read_text(encoding="utf-8"))


def set_env_values(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each key of ``values`` set: a key's existing line is replaced where it
    stands (its later repeats dropped), a new key is appended; every other line is kept as is."""
    out: list[str] = []
    done: set[str] = set()
    for binding in parse_stream(io.StringIO(text)):
        original = binding.original.string
        if binding.key in values and not binding.error:
            if binding.key not in done:
                lead = original[: len(original) - len(original.lstrip("\n"))]
                out.append(lead + env_line(binding.key, values[binding.key]) + "\n")
                done.add(binding.key)
            continue
        out.append(original if original.endswith("\n") else original + "\n")
    out += [env_line(key, value) + "\n" for key, value in values.items() if key not in done]
    return "".join(out)
