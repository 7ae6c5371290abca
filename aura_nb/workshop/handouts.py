"""Hand-outs: one credentials file per attendee and a summary for the instructor.

Per-attendee files use the format of the credentials file the Aura console offers for download
(``NEO4J_URI``, ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``, ``AURA_INSTANCEID``, ``AURA_INSTANCENAME``).
The summary (CSV and Markdown) lists attendee, email, instance name, id, connection URL and the
hand-out file, never a password. Everything is written with mode 0600 into
``<workshop folder>/handouts/``, which sits under a git-ignored folder.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

from aura_nb.core.envfile import env_text
from aura_nb.core.vault import write_private
from .manifest import AttendeeRecord

__all__ = ["Handouts", "write_handouts", "handout_text", "csv_safe", "markdown_text", "SUMMARY_COLUMNS"]

SUMMARY_COLUMNS = ("attendee", "email", "instance_name", "instance_id", "connection_url", "handout")

LOST_PASSWORD_LINE = (
    "The API lost this instance's one-time password: ask your instructor, who can reset it "
    "in the Aura console (https://console.neo4j.io)."
)


@dataclass(frozen=True)
class Handouts:
    """Where :func:`write_handouts` wrote things: ``folder``, ``files`` (attendee -> path),
    ``summary_csv``, ``summary_md``, and ``missing`` (attendees without an instance, so no file)."""

    folder: Path
    files: dict[str, Path]
    summary_csv: Path
    summary_md: Path
    missing: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:
        return f"Handouts(folder={str(self.folder)!r}, files={len(self.files)}, missing={len(self.missing)})"


def handout_text(prefix: str, record: AttendeeRecord, password: str | None, username: str = "neo4j",
                 settings: Mapping[str, str] | None = None) -> str:
    """The console-format credentials text for one attendee.

    ``password`` is ``None`` when it was never captured; the file then says so and how to recover.
    ``settings`` (the hub hand-out's ``.env``: the API the notebooks use, the attendee's tenant
    and tutorial instance) follow the credentials, with a comment saying what they are for.
    """
    comments = [f"Workshop {prefix}: Aura instance for {' '.join(record.attendee.split())}",
                "Wait until your instructor says the class is ready, then connect with these details."]
    if password is None:
        comments.append(LOST_PASSWORD_LINE)
    if settings:
        comments.append("The notebooks in this folder read this file: your instance, and the API settings "
                        "below. Keep it private.")
    return env_text({"NEO4J_URI": record.connection_url, "NEO4J_USERNAME": username,
                     "NEO4J_PASSWORD": password or "", "AURA_INSTANCEID": record.instance_id,
                     "AURA_INSTANCENAME": record.name, **(settings or {})}, comments)


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """A cell that a spreadsheet will not run as a formula: a leading ``=``, ``+``, ``-``, ``@``,
    tab or carriage return gets a ``'`` in front (the usual neutralisation)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


_MARKDOWN_SPECIAL = set("\\`*_[]|~")
_HTML_SPECIAL = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def markdown_text(value: str) -> str:
    """``value`` as literal Markdown text: one line, HTML's ``<``, ``>``, ``&`` as entities and
    every Markdown punctuation mark backslash-escaped, so a name shows as typed and never as a
    link, image, emphasis, table cell or HTML."""
    return "".join(_HTML_SPECIAL.get(c) or ("\\" + c if c in _MARKDOWN_SPECIAL else c)
                   for c in " ".join(value.split()))


def write_handouts(
    folder: Path,
    prefix: str,
    records: Iterable[AttendeeRecord],
    read_secret: Callable[[AttendeeRecord], tuple[str, str] | None],
) -> Handouts:
    """Write one hand-out per attendee that has an instance, plus ``summary.csv`` and ``summary.md``.

    ``read_secret(record)`` returns ``(username, password)`` from the vault, or ``None`` when the
    password was never captured. Files are written atomically with mode 0600; the folder is 0700.
    Returns a :class:`Handouts`. Raises ``OSError`` if the folder cannot be written.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    files: dict[str, Path] = {}
    missing: list[str] = []
    rows: list[dict[str, str]] = []
    for record in records:
        if not record.has_instance:
            missing.append(record.attendee)
            continue
        secret = read_secret(record) if record.password_captured or record.rescue_path else None
        username, password = secret if secret else ("neo4j", None)
        path = folder / f"{record.name}.txt"
        write_private(path, handout_text(prefix, record, password, username))
        files[record.attendee] = path
        rows.append(
            {
                "attendee": record.attendee,
                "email": record.email,
                "instance_name": record.name,
                "instance_id": record.instance_id,
                "connection_url": record.connection_url,
                "handout": path.name,
            }
        )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SUMMARY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: csv_safe(v) for k, v in row.items()} for row in rows)
    summary_csv = folder / "summary.csv"
    write_private(summary_csv, buffer.getvalue())
    md = [
        f"# Workshop {prefix}: hand-outs",
        "",
        "Give each attendee their own file; passwords are only inside those files.",
        "",
        "| " + " | ".join(SUMMARY_COLUMNS) + " |",
        "|" + "---|" * len(SUMMARY_COLUMNS),
    ]
    md += ["| " + " | ".join(markdown_text(row[c]) for c in SUMMARY_COLUMNS) + " |" for row in rows]
    if missing:
        md += ["", "No instance yet (run provision again): " + ", ".join(map(markdown_text, missing))]
    summary_md = folder / "summary.md"
    write_private(summary_md, "\n".join(md) + "\n")
    return Handouts(folder, files, summary_csv, summary_md, tuple(missing))
