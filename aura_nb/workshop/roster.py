"""Roster reading and instance naming for a workshop.

A roster is a CSV file with one row per attendee. Its header must have an ``attendee`` (or
``name``) column; an ``email`` column is optional. Header names are matched case-insensitively.

Instance names are ``<prefix>-<slug(attendee)>``, at most 30 characters (the API's limit). They
are deterministic: the same attendee always gets the same name, and a short hash of the attendee
is appended when two attendees share a slug or a slug had to be cut to fit.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..errors import AuraError

__all__ = [
    "Attendee",
    "RosterError",
    "MAX_NAME_LENGTH",
    "read_roster",
    "parse_roster",
    "slugify",
    "check_prefix",
    "instance_names",
]

MAX_NAME_LENGTH = 30  # the API's limit on instance names
MAX_PREFIX_LENGTH = 16  # leaves room for "-" plus a slug of at least 13 characters
_HASH_LENGTH = 6
_PREFIX_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


class RosterError(AuraError, ValueError):
    """Raised when a roster, a workshop prefix or an attendee name cannot be used.

    The message is one line naming the file row (or value) to fix. Nothing has been sent to the API.
    """


@dataclass(frozen=True)
class Attendee:
    """One roster row: the attendee's name as written, an optional email, and the CSV row number."""

    name: str
    email: str = ""
    row: int = 0


def slugify(text: str) -> str:
    """Lower-case ASCII slug of ``text``: accents dropped, other runs of characters become ``-``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def check_prefix(prefix: str) -> str:
    """Return ``prefix`` if it can start instance names, else raise :class:`RosterError`.

    A prefix is 1-16 characters of lower-case letters, digits and inner hyphens (e.g. ``gds-0612``).
    """
    if not isinstance(prefix, str) or not _PREFIX_RE.match(prefix) or len(prefix) > MAX_PREFIX_LENGTH:
        raise RosterError(
            f"workshop prefix {prefix!r} is not usable: use 1-{MAX_PREFIX_LENGTH} lower-case letters, "
            "digits and inner hyphens, e.g. 'gds-0612'"
        )
    return prefix


def _short_hash(attendee: str) -> str:
    return hashlib.sha1(_key(attendee).encode("utf-8")).hexdigest()[:_HASH_LENGTH]


def _key(attendee: str) -> str:
    """Identity of an attendee: spacing and case do not make two people different."""
    return " ".join(attendee.split()).casefold()


def parse_roster(text: str, source: str = "roster") -> list[Attendee]:
    """Parse roster CSV ``text`` into attendees, in file order.

    Raises :class:`RosterError` (one line, naming ``source`` and the row) when the header has no
    ``attendee``/``name`` column, a row's attendee is empty, or an attendee appears twice
    (compared ignoring case and repeated spaces).
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise RosterError(f"{source} is empty: it needs a header row with an 'attendee' column") from None
    columns = {cell.strip().casefold(): i for i, cell in reversed(list(enumerate(header)))}
    name_col = columns.get("attendee", columns.get("name"))
    if name_col is None:
        raise RosterError(
            f"{source} row 1: no 'attendee' or 'name' column in the header {header!r}; add one"
        )
    email_col = columns.get("email")
    attendees: list[Attendee] = []
    seen: dict[str, int] = {}
    for row_number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines are harmless
        name = " ".join(row[name_col].split()) if name_col < len(row) else ""
        if not name:
            raise RosterError(f"{source} row {row_number}: the attendee is empty; fill it in or remove the row")
        if _key(name) in seen:
            raise RosterError(
                f"{source} row {row_number}: attendee {name!r} already appears on row {seen[_key(name)]}; "
                "remove one or tell them apart"
            )
        seen[_key(name)] = row_number
        email = row[email_col].strip() if email_col is not None and email_col < len(row) else ""
        attendees.append(Attendee(name=name, email=email, row=row_number))
    if not attendees:
        raise RosterError(f"{source} has a header but no attendees")
    return attendees


def read_roster(path: str | Path) -> list[Attendee]:
    """Read a roster CSV file (UTF-8) into attendees; see :func:`parse_roster`.

    Raises :class:`RosterError` when the file cannot be read or its content is unusable.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read roster {path}: {exc.__class__.__name__}; check the path and that it is UTF-8 CSV") from None
    return parse_roster(text, source=str(path))


def instance_names(
    prefix: str, attendees: Iterable[str], taken: dict[str, str] | None = None
) -> dict[str, str]:
    """Map each attendee to a unique instance name ``<prefix>-<slug>`` of at most 30 characters.

    ``taken`` maps attendees that already have an instance name (from the manifest) to that name;
    they keep it, and no new attendee gets one of those names. Among the others, a short hash of
    the attendee is appended when the slug is empty, was cut to fit, or is shared by two attendees,
    so the result never depends on roster order. Raises :class:`RosterError` for a bad prefix.
    """
    check_prefix(prefix)
    taken = dict(taken or {})
    result = {attendee: name for attendee, name in taken.items()}
    used = set(result.values())
    room = MAX_NAME_LENGTH - len(prefix) - 1
    plain: dict[str, str] = {}
    for attendee in attendees:
        if attendee not in result:
            plain[attendee] = slugify(attendee)
    slug_count: dict[str, int] = {}
    for slug in plain.values():
        slug_count[slug] = slug_count.get(slug, 0) + 1
    for attendee, slug in plain.items():
        name = f"{prefix}-{slug}"
        if slug and len(slug) <= room and slug_count[slug] == 1 and name not in used:
            result[attendee] = name
            used.add(name)
            continue
        digest = _short_hash(attendee)
        keep = max(room - _HASH_LENGTH - 1, 0)
        stem = slug[:keep].rstrip("-")
        name = f"{prefix}-{stem}-{digest}" if stem else f"{prefix}-{digest}"
        counter = 1
        while name in used:  # a hash clash is astronomically rare; still never give out a name twice
            counter += 1
            name = f"{prefix}-{stem[: max(keep - 2, 0)]}{counter}-{digest}"[:MAX_NAME_LENGTH]
        result[attendee] = name
        used.add(name)
    return result
