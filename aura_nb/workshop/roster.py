"""Roster reading and instance naming for a workshop.

A roster is a CSV file with one row per attendee. Its header must have an ``attendee`` (or
``name``) column; an ``email`` column and a ``hub_user`` column (their JupyterHub user name, for
``provision --hub``) are optional. Header names are matched case-insensitively.

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
from typing import Iterable, Iterator

from aura_nb.core.errors import AuraError
from aura_nb.core.rules import NAME_MAX as MAX_NAME_LENGTH  # the API's limit, named as before

__all__ = [
    "Attendee",
    "RosterError",
    "MAX_NAME_LENGTH",
    "read_roster",
    "parse_roster",
    "slugify",
    "check_prefix",
    "clean_name",
    "attendee_key",
    "instance_names",
]

MAX_PREFIX_LENGTH = 16  # leaves room for "-" plus a slug of at least 13 characters
_HASH_LENGTH = 6
_PREFIX_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


class RosterError(AuraError, ValueError):
    """Raised when a roster, a workshop prefix or an attendee name cannot be used.

    The message is one line naming the file row (or value) to fix. Nothing has been sent to the API.
    """


@dataclass(frozen=True)
class Attendee:
    """One roster row: the attendee's name (NFC, spacing tidied), an optional email, and the CSV
    line number where the row starts."""

    name: str
    email: str = ""
    row: int = 0
    hub_user: str = ""  # the roster's optional ``hub_user`` column: their JupyterHub user name


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
    return hashlib.sha1(attendee_key(attendee).encode("utf-8")).hexdigest()[:_HASH_LENGTH]


def clean_name(text: str) -> str:
    """An attendee's name as the kit keeps it: Unicode NFC (an accent typed as one character or
    as letter + combining mark is the same name), runs of spaces made one, no spaces at the ends."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def attendee_key(attendee: str) -> str:
    """Identity of an attendee: Unicode form, spacing and case do not make two people different."""
    return clean_name(attendee).casefold()


def _csv_problem(source: str, error: csv.Error, line: int, started: int) -> RosterError:
    """A csv module error as one line that names the roster line and says what to fix."""
    text = str(error)
    if "unexpected end of data" in text:
        return RosterError(f"{source} line {started}: a quoted field opened here is never closed; "
                           'add the closing " (or remove the stray quote)')
    if "expected after" in text:
        return RosterError(f"{source} line {line}: text follows a closing quote; put the whole field in "
                           'quotes and double any quote inside it ("")')
    if "field larger than field limit" in text:
        return RosterError(f"{source} line {started}: a field is longer than {csv.field_size_limit()} "
                           "characters (a closing quote missing?); fix or shorten it")
    return RosterError(f"{source} line {line}: not valid CSV ({text}); fix that line")


def _rows(text: str, source: str) -> Iterator[tuple[int, list[str]]]:
    """``(line number where the record starts, cells)`` for each CSV record, strictly parsed."""
    reader = csv.reader(io.StringIO(text), strict=True)
    while True:
        started = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _csv_problem(source, exc, reader.line_num, started) from None
        yield started, row


def parse_roster(text: str, source: str = "roster") -> list[Attendee]:
    """Parse roster CSV ``text`` into attendees, in file order (names in Unicode NFC).

    The CSV is read strictly. Raises :class:`RosterError` (one line, naming ``source``, the line
    and what to fix) for malformed CSV (a quote never closed, text after a closing quote, a field
    over the csv module's size limit), a header without an ``attendee``/``name`` column, an empty
    attendee, a name with control characters, or an attendee who appears twice (compared after
    NFC, ignoring case and repeated spaces).
    """
    rows = _rows(text.lstrip("\ufeff"), source)
    try:
        _, header = next(rows)
    except StopIteration:
        raise RosterError(f"{source} is empty: it needs a header row with an 'attendee' column") from None
    columns = {cell.strip().casefold(): i for i, cell in reversed(list(enumerate(header)))}
    name_col = columns.get("attendee", columns.get("name"))
    if name_col is None:
        raise RosterError(
            f"{source} line 1: no 'attendee' or 'name' column in the header {header!r}; add one"
        )
    email_col = columns.get("email")
    hub_col = columns.get("hub_user")
    attendees: list[Attendee] = []
    seen: dict[str, int] = {}
    for row_number, row in rows:
        if not any(cell.strip() for cell in row):
            continue  # blank lines are harmless
        name = clean_name(row[name_col]) if name_col < len(row) else ""
        if not name:
            raise RosterError(f"{source} line {row_number}: the attendee is empty; fill it in or remove the line")
        if any(unicodedata.category(ch) == "Cc" for ch in name):
            raise RosterError(f"{source} line {row_number}: the attendee {name!r} holds a control character; "
                              "retype the name")
        if attendee_key(name) in seen:
            raise RosterError(
                f"{source} line {row_number}: attendee {name!r} already appears on line "
                f"{seen[attendee_key(name)]}; remove one or tell them apart"
            )
        seen[attendee_key(name)] = row_number
        email = row[email_col].strip() if email_col is not None and email_col < len(row) else ""
        hub_user = row[hub_col].strip() if hub_col is not None and hub_col < len(row) else ""
        attendees.append(Attendee(name=name, email=email, row=row_number, hub_user=hub_user))
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
