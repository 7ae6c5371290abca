"""Tab completion for ``%aura`` lines, from the command table and names already seen."""

from __future__ import annotations

import re
import shlex
from typing import Iterable, Mapping

from .commands import COMMANDS

__all__ = ["complete_line", "quote"]


def complete_line(text_until_cursor: str, tenant_names: Mapping[str, str],
                  instance_names: Mapping[str, str]) -> tuple[str, list[str]] | None:
    """What tab completion offers for a line ending at the cursor: ``(fragment, words)`` where
    ``fragment`` is the text being replaced, or ``None`` when the line is not a ``%aura`` call.
    ``tenant_names`` / ``instance_names`` map ids to names already seen (no request is sent)."""
    match = re.match(r"\s*(?:[\w.]+\s*=\s*)?%aura\s+(.*)$", text_until_cursor)
    if match is None:
        return None
    rest = match.group(1)
    start, open_quote = 0, ""
    for index, char in enumerate(rest):
        if open_quote:
            open_quote = "" if char == open_quote else open_quote
        elif char in "'\"":
            open_quote = char
        elif char.isspace():
            start = index + 1
    fragment = rest[start:]
    try:
        words = shlex.split(rest[:start])
    except ValueError:
        return None
    bare = fragment.lstrip("'\"")
    if not words:
        candidates: Iterable[str] = COMMANDS
    else:
        command = COMMANDS.get(words[0])
        if command is None:
            return None
        previous = words[-1] if len(words) > 1 else ""
        if previous.startswith("-") and command.choices_for(previous):
            candidates = command.choices_for(previous)
        elif previous == "--tenant" or (command.completes == "tenant" and len(words) == 1):
            candidates = [*tenant_names.values(), *tenant_names]
        elif fragment.startswith("-"):
            candidates = command.options()
        elif command.completes == "instance" and len(words) == 1:
            candidates = [*instance_names.values(), *instance_names]
        elif command.completes == "command" and len(words) == 1:
            candidates = COMMANDS
        else:
            return None
    words_out = [quote(c) for c in dict.fromkeys(candidates) if c.startswith(bare)]
    return fragment, words_out


def quote(word: str) -> str:
    """A word as it must be typed on the magic line (quoted when it has spaces or quotes)."""
    return shlex.quote(word) if re.search(r"[\s'\"\\]", word) else word

