"""The ``%aura`` command table: each sub-command's summary, arguments and parser.

A sub-command is a `Command` in `COMMANDS`; ``AuraMagics`` runs ``_do_<name>`` for it, and
completion reads the same table (its flags, its value lists, what its first word names).
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass
from typing import Any

from IPython.core.error import UsageError

from aura_nb.core.lifecycle import PAUSED, RUNNING
from aura_nb.core.rules import NAME_MAX
from aura_nb.core.waiting.common import GONE

__all__ = ["COMMANDS", "Command", "HelpShown", "SPEC_FLAGS", "WAIT_STATUSES", "split_line"]

#: Statuses ``%aura wait --status`` offers in completion (any status string is accepted).
WAIT_STATUSES = (RUNNING, PAUSED, GONE)
#: ``create`` flags that switch from the creation form to a direct, validated create.
SPEC_FLAGS = ("type", "cloud_provider", "region", "memory", "version", "storage")


# --- argument parsing --------------------------------------------------------------------------

class HelpShown(Exception):
    """Raised by a parser after it printed ``--help``; the magic then returns quietly."""


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that raises `UsageError` instead of exiting the kernel."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Turn argparse's complaint into one line that says where the help is."""
        command = self.prog.split()[-1]
        raise UsageError(f"{self.prog}: {message} (%aura help {command} shows the options)")

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        """Called after ``--help`` was printed: stop parsing without leaving the kernel."""
        if message:
            print(message.rstrip())
        raise HelpShown()


@dataclass(frozen=True)
class Command:
    """One sub-command: its summary, its argparse arguments and what its first positional is
    (``"instance"`` / ``"tenant"``) so completion can offer known names there."""

    name: str
    summary: str
    arguments: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = ()
    completes: str = ""
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def parser(self) -> Parser:
        """A fresh parser for this sub-command (``%aura NAME --help`` prints its usage)."""
        parser = Parser(prog=f"%aura {self.name}", description=self.summary, add_help=True)
        for flags, options in self.arguments:
            parser.add_argument(*flags, **options)
        return parser

    def options(self) -> list[str]:
        """Every ``--flag`` the sub-command takes (for completion)."""
        return [flag for flags, _ in self.arguments for flag in flags if flag.startswith("--")]

    def choices_for(self, flag: str) -> tuple[str, ...]:
        """Values completion offers after ``flag`` (empty when free text)."""
        return dict(self.values).get(flag, ())


def arg(*flags: str, **options: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    return flags, options


TENANT = arg("--tenant", metavar="NAME_OR_ID",
               help="tenant (project) to look in; default AURA_TENANT or the only one")
INSTANCE = arg("instance", metavar="ID_OR_NAME", help="instance id or exact name")

COMMANDS: dict[str, Command] = {c.name: c for c in (
    Command("help", "list the sub-commands, or show one sub-command's options",
             (arg("command", nargs="?", metavar="SUBCOMMAND"),), completes="command"),
    Command("connect", "connect again, re-reading AURA_* variables and .env"),
    Command("whoami", "mode, base URL, token expiry and request count of the connection"),
    Command("tenants", "list the tenants (projects) these credentials can see"),
    Command("tenant", "one tenant with the instance configurations it offers",
             (arg("tenant", metavar="NAME_OR_ID", help="tenant name or id"),),
             completes="tenant"),
    Command("instances", "list instances (of one tenant with --tenant)", (TENANT,)),
    Command("instance", "details and status of one instance", (INSTANCE, TENANT),
             completes="instance"),
    Command("create", "create an instance (choices not given: the first offered); without flags, the form", (
        arg("name", metavar="NAME", help=f"name of the new instance (1-{NAME_MAX} characters)"),
        TENANT,
        arg("--type", help="e.g. free-db, professional-db"),
        arg("--cloud", dest="cloud_provider", help="gcp, aws or azure"),
        arg("--region", help="region code, e.g. europe-west1"),
        arg("--memory", help="e.g. 1GB, 8GB"),
        arg("--version", help="Neo4j version (default: the only one offered, else 5)"),
        arg("--storage", help="e.g. 16GB (default: the tenant's pairing for the memory)"),
        arg("--allow-duplicate-name", action="store_true",
            help="create even when a live instance in the tenant already has this name"),
    )),
    Command("wait", "wait until an instance reaches a status (default running)", (
        INSTANCE, TENANT,
        arg("--status", default=RUNNING, metavar="STATUS",
             help="status to wait for: running, paused... (default running)"),
        arg("--timeout", type=float, default=1200.0, metavar="SECONDS",
             help="give up after this many seconds (default 1200)"),
    ), completes="instance", values=(("--status", WAIT_STATUSES),)),
    Command("pause", "pause a running instance", (INSTANCE, TENANT), completes="instance"),
    Command("resume", "resume a paused instance", (INSTANCE, TENANT), completes="instance"),
    Command("delete", "delete an instance (asks first unless --yes)", (
        INSTANCE, TENANT,
        arg("--yes", "-y", action="store_true", help="do not ask for confirmation"),
    ), completes="instance"),
    Command("snapshots", "list an instance's snapshots of one day (default today)", (
        INSTANCE, TENANT, arg("--date", metavar="YYYY-MM-DD", help="day to list"),
    ), completes="instance"),
    Command("snapshot", "take an on-demand snapshot of an instance", (
        INSTANCE, TENANT,
        arg("--wait", action="store_true", help="wait until the snapshot completes"),
    ), completes="instance"),
    Command("http", "the last HTTP exchanges (secrets redacted) with equivalent curl commands", (
        arg("-n", "--last", type=int, default=3, metavar="N",
             help="how many exchanges (default 3)"),
    )),
)}


def split_line(line: str) -> list[str]:
    """Split a magic line like a shell would (quotes group words); one-line error if it can't."""
    try:
        return shlex.split(line)
    except ValueError as exc:  # unbalanced quotes
        raise UsageError(f"%aura: cannot read the line ({exc}); close the quotes") from None

