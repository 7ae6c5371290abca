"""IPython extension: one-line answers about Aura projects with the ``%aura`` line magic.

``%load_ext aura_nb`` registers ``%aura`` (and says in one line which API it talks to);
``%unload_ext aura_nb`` removes it and its tab completion again. ``%aura help`` lists the
sub-commands::

    %aura tenants
    x = %aura instances --tenant "Learning Project"
    %aura instance my-db
    %aura create demo --type free-db
    %aura delete demo --yes

Results are the core's model objects (they display as HTML tables and can be assigned); bad
input and API errors are shown as one ``UsageError`` line, never a traceback. Instance and tenant
names are accepted wherever an id is. This module only parses, calls `aura_nb.AuraClient` and
prints: every HTTP call, validation and secret handling happens in the core.
"""

from __future__ import annotations

import argparse
import builtins
import difflib
import html
import json
import re
import shlex
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from IPython.core.completer import SimpleCompletion, context_matcher
from IPython.core.error import StdinNotImplementedError, UsageError
from IPython.core.magic import Magics, line_magic, magics_class

from aura_nb import display
from aura_nb.errors import AuraError

__all__ = ["AuraMagics", "ConnectionInfo", "HttpLog", "load_ipython_extension",
           "unload_ipython_extension"]

#: Statuses ``%aura wait --status`` offers in completion (any status string is accepted).
WAIT_STATUSES = ("running", "paused", "deleted")
#: ``create`` flags that switch from the creation form to a direct, validated create.
SPEC_FLAGS = ("type", "cloud_provider", "region", "memory", "version", "storage")
_CASCADE = ("type", "cloud_provider", "region", "memory")  # what narrows allowed_choices


# --- argument parsing --------------------------------------------------------------------------

class _HelpShown(Exception):
    """Raised by a parser after it printed ``--help``; the magic then returns quietly."""


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that raises `UsageError` instead of exiting the kernel."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Turn argparse's complaint into one line that says where the help is."""
        command = self.prog.split()[-1]
        raise UsageError(f"{self.prog}: {message} (%aura help {command} shows the options)")

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        """Called after ``--help`` was printed: stop parsing without leaving the kernel."""
        if message:
            print(message.rstrip())
        raise _HelpShown()


@dataclass(frozen=True)
class _Command:
    """One sub-command: its summary, its argparse arguments and what its first positional is
    (``"instance"`` / ``"tenant"``) so completion can offer known names there."""

    name: str
    summary: str
    arguments: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = ()
    completes: str = ""
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def parser(self) -> _Parser:
        """A fresh parser for this sub-command (``%aura NAME --help`` prints its usage)."""
        parser = _Parser(prog=f"%aura {self.name}", description=self.summary, add_help=True)
        for flags, options in self.arguments:
            parser.add_argument(*flags, **options)
        return parser

    def options(self) -> list[str]:
        """Every ``--flag`` the sub-command takes (for completion)."""
        return [flag for flags, _ in self.arguments for flag in flags if flag.startswith("--")]

    def choices_for(self, flag: str) -> tuple[str, ...]:
        """Values completion offers after ``flag`` (empty when free text)."""
        return dict(self.values).get(flag, ())


def _arg(*flags: str, **options: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    return flags, options


_TENANT = _arg("--tenant", metavar="NAME_OR_ID",
               help="tenant (project) to look in; default AURA_TENANT or the only one")
_INSTANCE = _arg("instance", metavar="ID_OR_NAME", help="instance id or exact name")

_COMMANDS: dict[str, _Command] = {c.name: c for c in (
    _Command("help", "list the sub-commands, or show one sub-command's options",
             (_arg("command", nargs="?", metavar="SUBCOMMAND"),), completes="command"),
    _Command("connect", "connect again, re-reading AURA_* variables and .env"),
    _Command("whoami", "mode, base URL, token expiry and request count of the connection"),
    _Command("tenants", "list the tenants (projects) these credentials can see"),
    _Command("tenant", "one tenant with the instance configurations it offers",
             (_arg("tenant", metavar="NAME_OR_ID", help="tenant name or id"),),
             completes="tenant"),
    _Command("instances", "list instances (of one tenant with --tenant)", (_TENANT,)),
    _Command("instance", "details and status of one instance", (_INSTANCE, _TENANT),
             completes="instance"),
    _Command("create", "create an instance; without flags it opens the creation form", (
        _arg("name", metavar="NAME", help="name of the new instance (1-30 characters)"),
        _TENANT,
        _arg("--type", help="e.g. free-db, professional-db"),
        _arg("--cloud", dest="cloud_provider", help="gcp, aws or azure"),
        _arg("--region", help="region code, e.g. europe-west1"),
        _arg("--memory", help="e.g. 1GB, 8GB"),
        _arg("--version", help="Neo4j version (default: the only one offered, else 5)"),
        _arg("--storage", help="e.g. 16GB (default: the tenant's pairing for the memory)"),
    )),
    _Command("wait", "wait until an instance reaches a status (default running)", (
        _INSTANCE, _TENANT,
        _arg("--status", default="running", metavar="STATUS",
             help="status to wait for: running, paused... (default running)"),
        _arg("--timeout", type=float, default=1200.0, metavar="SECONDS",
             help="give up after this many seconds (default 1200)"),
    ), completes="instance", values=(("--status", WAIT_STATUSES),)),
    _Command("pause", "pause a running instance", (_INSTANCE, _TENANT), completes="instance"),
    _Command("resume", "resume a paused instance", (_INSTANCE, _TENANT), completes="instance"),
    _Command("delete", "delete an instance (asks first unless --yes)", (
        _INSTANCE, _TENANT,
        _arg("--yes", "-y", action="store_true", help="do not ask for confirmation"),
    ), completes="instance"),
    _Command("snapshots", "list an instance's snapshots of one day (default today)", (
        _INSTANCE, _TENANT, _arg("--date", metavar="YYYY-MM-DD", help="day to list"),
    ), completes="instance"),
    _Command("snapshot", "take an on-demand snapshot of an instance", (
        _INSTANCE, _TENANT,
        _arg("--wait", action="store_true", help="wait until the snapshot completes"),
    ), completes="instance"),
    _Command("http", "the last HTTP exchanges (secrets redacted) with equivalent curl commands", (
        _arg("-n", "--last", type=int, default=3, metavar="N",
             help="how many exchanges (default 3)"),
    )),
)}


def _split(line: str) -> list[str]:
    """Split a magic line like a shell would (quotes group words); one-line error if it can't."""
    try:
        return shlex.split(line)
    except ValueError as exc:  # unbalanced quotes
        raise UsageError(f"%aura: cannot read the line ({exc}); close the quotes") from None


# --- small result types --------------------------------------------------------------------

@dataclass(frozen=True)
class ConnectionInfo:
    """What ``%aura whoami`` answers: ``mode`` (real/simulator), ``base_url``, ``tenant`` (the
    configured default, or None), ``token`` (relative expiry of the cached token, in words),
    ``requests`` (HTTP requests the client sent, retries and token requests included: its
    ``request_count``) and ``token_requests`` (tokens fetched).
    Holds no secret."""

    mode: str
    base_url: str
    tenant: str | None
    token: str
    requests: int
    token_requests: int

    def __str__(self) -> str:
        return (f"{self.mode} API at {self.base_url}; token {self.token}; "
                f"{self.requests} requests, {self.token_requests} token requests")

    def _repr_html_(self) -> str:
        return display.record(self, title="Aura connection")


class HttpLog(list):
    """The exchanges ``%aura http`` returns: a ``list`` of `aura_nb.history.Exchange` (already
    redacted by the core). Its text and HTML show each exchange in a few lines (bodies cut to
    one short line) with its ``curl`` equivalent; ``print(log[i])`` shows one in full."""

    def __str__(self) -> str:
        if not self:
            return "no HTTP exchanges yet"
        return "\n\n".join(_summary(exchange) for exchange in self)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(str(self))}</pre>"


def _short(body: Any, limit: int = 160) -> str:
    """A request or response body on one line, cut to ``limit`` characters."""
    text = json.dumps(body, ensure_ascii=False) if not isinstance(body, str) else body
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _summary(exchange: Any) -> str:
    """A few lines for one exchange: request, answer, bodies (short) and the curl command."""
    answer = exchange.status if exchange.status is not None else f"no answer ({exchange.error})"
    lines = [f"{exchange.method} {exchange.url} -> {answer} in {exchange.elapsed * 1000:.0f} ms"
             + (f" [request id {exchange.request_id}]" if exchange.request_id else "")]
    if exchange.request_body is not None:
        lines.append(f"  sent:     {_short(exchange.request_body)}")
    if exchange.response_body is not None:
        lines.append(f"  received: {_short(exchange.response_body)}")
    lines.append(f"  {exchange.as_curl()}")
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    """``45 s`` / ``59 min`` / ``1.5 h`` for a number of seconds."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _expiry(remaining: float, speed: float) -> str:
    """When a token expires, from the real seconds left; a simulator running faster than real
    time also gets the figure in its own (server) time, the one its lifetimes are set in."""
    words = _duration(abs(remaining))
    text = f"expires in {words}" if remaining >= 0 else f"expired {words} ago"
    if speed != 1:
        text += f" ({_duration(abs(remaining) * speed)} in server time at {speed:g}x)"
    return text


def _quote(word: str) -> str:
    """A word as it must be typed on the magic line (quoted when it has spaces or quotes)."""
    return shlex.quote(word) if re.search(r"[\s'\"\\]", word) else word


# --- the magics ----------------------------------------------------------------------------

@magics_class
class AuraMagics(Magics):
    """The ``%aura`` line magic. ``client`` is an `aura_nb.AuraClient` to use; by default
    `aura_nb.connect()` is called on first need (environment, ``.env``, or an embedded
    simulator when nothing is configured)."""

    def __init__(self, shell: Any = None, client: Any = None) -> None:
        super().__init__(shell)
        self._client = client
        self._instance_names: dict[str, str] = {}  # id -> name, for tab completion
        self._tenant_names: dict[str, str] = {}

    # -- connection --------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        """The client, connecting on first use (`aura_nb.connect()`); raises what it raises."""
        if self._client is None:
            import aura_nb

            self._client = aura_nb.connect()
        return self._client

    def connect(self) -> Any:
        """Drop the current client and connect again; prints which API is used, returns it."""
        self._client = None
        self._instance_names.clear()
        self._tenant_names.clear()
        client = self.client
        print(client.describe())
        return client

    # -- entry point -------------------------------------------------------------------------
    @line_magic
    def aura(self, line: str) -> Any:
        """Aura API in one line: ``%aura help`` lists the sub-commands, ``%aura help NAME``
        shows one's options. Errors are one ``UsageError`` line; results are model objects."""
        words = _split(line)
        if not words:
            return self._do_help(argparse.Namespace(command=None))
        name, rest = words[0], words[1:]
        command = _COMMANDS.get(name)
        if command is None:
            close = difflib.get_close_matches(name, _COMMANDS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UsageError(f"%aura: unknown sub-command {name!r}; {hint}%aura help lists them")
        try:
            args = command.parser().parse_args(rest)
        except _HelpShown:
            return None
        handler: Callable[[argparse.Namespace], Any] = getattr(self, f"_do_{name}")
        try:
            return handler(args)
        except AuraError as exc:
            raise UsageError(f"{type(exc).__name__}: {exc}") from None

    # -- helpers -----------------------------------------------------------------------------
    def _remember(self, items: Iterable[Any]) -> None:
        for item in items:
            if getattr(item, "id", None) and getattr(item, "name", None) is not None:
                target = self._instance_names if hasattr(item, "tenant_id") \
                    else self._tenant_names
                target[item.id] = item.name

    def _tenant_id(self, name_or_id: str | None) -> str | None:
        if name_or_id is None:
            return None
        tenant = self.client.find_tenant(name_or_id)
        self._remember([tenant])
        return tenant.id

    def _find(self, args: argparse.Namespace) -> Any:
        """The `InstanceSummary` named by ``args.instance`` (id or exact name)."""
        summary = self.client.find_instance(args.instance, self._tenant_id(args.tenant))
        self._remember([summary])
        return summary

    def _fresh(self, answer: Any, instance_id: str) -> Any:
        """The instance an action answered with, or a fresh GET when its body was empty."""
        instance = answer if answer is not None else self.client.get_instance(instance_id)
        self._remember([instance])
        return instance

    # -- sub-commands ------------------------------------------------------------------------
    def _do_help(self, args: argparse.Namespace) -> None:
        if args.command:
            command = _COMMANDS.get(args.command)
            if command is None:
                raise UsageError(f"%aura help: unknown sub-command {args.command!r}; "
                                 "%aura help lists them")
            command.parser().print_help()
            return None
        width = max(len(name) for name in _COMMANDS)
        print("%aura SUBCOMMAND [options]   (%aura help SUBCOMMAND for its options)")
        for command in _COMMANDS.values():
            print(f"  {command.name:<{width}}  {command.summary}")
        return None

    def _do_connect(self, args: argparse.Namespace) -> Any:
        return self.connect()

    def _do_whoami(self, args: argparse.Namespace) -> ConnectionInfo:
        from aura_nb import config

        client = self.client
        remaining = client.token_expires_in
        return ConnectionInfo(
            mode=client.mode,
            base_url=client.base_url,
            tenant=client.default_tenant or config.tenant(),
            token="not fetched yet" if remaining is None else _expiry(remaining, client.speed),
            requests=client.request_count,
            token_requests=client.token_requests,
        )

    def _do_tenants(self, args: argparse.Namespace) -> Any:
        tenants = self.client.list_tenants()
        self._remember(tenants)
        return tenants

    def _do_tenant(self, args: argparse.Namespace) -> Any:
        tenant = self.client.find_tenant(args.tenant)
        self._remember([tenant])
        return tenant

    def _do_instances(self, args: argparse.Namespace) -> Any:
        instances = self.client.list_instances(self._tenant_id(args.tenant))
        if args.tenant is None:  # the whole list: forget names of instances now gone
            self._instance_names.clear()
        self._remember(instances)
        return instances

    def _do_instance(self, args: argparse.Namespace) -> Any:
        return self._fresh(None, self._find(args).id)

    def _do_create(self, args: argparse.Namespace) -> Any:
        if all(getattr(args, flag) is None for flag in SPEC_FLAGS):
            return self._creation_form(args)
        from aura_nb.models import InstanceSpec, allowed_choices

        client = self.client
        tenant = client.find_tenant(args.tenant)
        self._remember([tenant])
        picked: dict[str, Any] = {}
        for field in SPEC_FLAGS:
            above = {k: v for k, v in picked.items() if k in _CASCADE}
            offered = allowed_choices(tenant, **above).get(field, ())
            value = getattr(args, field)
            if value is None and (len(offered) == 1 or (field == "version" and "5" in offered)):
                value = offered[0] if len(offered) == 1 else "5"
            if value is None and field != "storage":
                if offered:
                    flag = "--cloud" if field == "cloud_provider" else f"--{field}"
                    raise UsageError(f"%aura create: choose {flag} from: {', '.join(offered)}")
                value = ""  # a value above is not offered: validate_spec names that one
            picked[field] = value
        spec = InstanceSpec(name=args.name, tenant_id=tenant.id, **picked)  # type: ignore[arg-type]
        client.validate_spec(spec, tenant)
        created = client.create_instance(spec)
        self._remember([created])
        print(f"creating {created.id} ({created.name}); password saved to the vault at "
              f"{created.vault_path}; %aura wait {created.id} waits until it is running")
        return created

    def _creation_form(self, args: argparse.Namespace) -> Any:
        try:
            from aura_nb.widgets import CreateInstanceForm
        except ImportError as exc:
            raise UsageError(
                f"%aura create: the creation form needs aura_nb.widgets and ipywidgets ({exc}); "
                "pass --type, --cloud, --region and --memory to create without it") from None
        return CreateInstanceForm(self.client, args.tenant, name=args.name)

    def _do_wait(self, args: argparse.Namespace) -> Any:
        summary = self._find(args)
        print(f"waiting for {summary.id} ({summary.name}) to be {args.status}")
        instance = self.client.wait_for_instance(summary.id, status=args.status,
                                                 timeout=args.timeout)
        if instance is None:  # status "deleted": the instance is gone
            self._instance_names.pop(summary.id, None)
            print(f"{summary.id} ({summary.name}) is deleted")
            return summary
        self._remember([instance])
        return instance

    def _do_pause(self, args: argparse.Namespace) -> Any:
        return self._lifecycle(args, self.client.pause_instance, "pausing", "paused")

    def _do_resume(self, args: argparse.Namespace) -> Any:
        return self._lifecycle(args, self.client.resume_instance, "resuming", "running")

    def _lifecycle(self, args: argparse.Namespace, action: Callable[[str], Any], doing: str,
                   target: str) -> Any:
        """Send a pause/resume for the named instance and say how to wait for its outcome."""
        summary = self._find(args)
        instance = self._fresh(action(summary.id), summary.id)
        flag = "" if target == "running" else f" --status {target}"
        print(f"{doing} {summary.id} ({summary.name}); %aura wait {summary.id}{flag} waits for it")
        return instance

    def _do_delete(self, args: argparse.Namespace) -> Any:
        summary = self._find(args)
        if not args.yes and not self._confirm(
                f"Delete instance {summary.id} ({summary.name})? Its data cannot be recovered."):
            print(f"not deleted: {summary.id} ({summary.name})")
            return None
        answer = self.client.delete_instance(summary.id)
        self._instance_names.pop(summary.id, None)
        print(f"deleting {summary.id} ({summary.name})")
        return answer if answer is not None else summary

    def _confirm(self, question: str) -> bool:
        """Ask on the console; refuses with a one-line error where no answer can be typed."""
        try:
            answer = builtins.input(f"{question} [y/N] ")
        except (StdinNotImplementedError, EOFError, OSError):
            raise UsageError("%aura delete: this kernel cannot ask for confirmation; "
                             "add --yes to delete without asking") from None
        return answer.strip().lower() in ("y", "yes")

    def _do_snapshots(self, args: argparse.Namespace) -> Any:
        return self.client.list_snapshots(self._find(args).id, date=args.date)

    def _do_snapshot(self, args: argparse.Namespace) -> Any:
        summary = self._find(args)
        snapshot_id = self.client.create_snapshot(summary.id)
        if args.wait:
            return self.client.wait_for_snapshot(summary.id, snapshot_id)
        print(f"snapshot {snapshot_id} of {summary.id} started; "
              f"%aura snapshots {summary.id} lists it")
        return self.client.get_snapshot(summary.id, snapshot_id)

    def _do_http(self, args: argparse.Namespace) -> HttpLog:
        if args.last < 1:
            raise UsageError("%aura http: -n must be 1 or more")
        return HttpLog(list(self.client.history)[-args.last:])

    # -- completion --------------------------------------------------------------------------
    def completions(self, text_until_cursor: str) -> tuple[str, list[str]] | None:
        """What tab completion offers for a line ending at the cursor: ``(fragment, words)``
        where ``fragment`` is the text being replaced, or ``None`` when the line is not a
        ``%aura`` call. Uses only names already seen (never sends a request)."""
        match = re.match(r"\s*(?:[\w.]+\s*=\s*)?%aura\s+(.*)$", text_until_cursor)
        if match is None:
            return None
        rest = match.group(1)
        start, quote = 0, ""
        for index, char in enumerate(rest):
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char.isspace():
                start = index + 1
        fragment = rest[start:]
        try:
            words = shlex.split(rest[:start])
        except ValueError:
            return None
        bare = fragment.lstrip("'\"")
        if not words:
            candidates: Iterable[str] = _COMMANDS
        else:
            command = _COMMANDS.get(words[0])
            if command is None:
                return None
            previous = words[-1] if len(words) > 1 else ""
            if previous.startswith("-") and command.choices_for(previous):
                candidates = command.choices_for(previous)
            elif previous == "--tenant" or (command.completes == "tenant" and len(words) == 1):
                candidates = [*self._tenant_names.values(), *self._tenant_names]
            elif fragment.startswith("-"):
                candidates = command.options()
            elif command.completes == "instance" and len(words) == 1:
                candidates = [*self._instance_names.values(), *self._instance_names]
            elif command.completes == "command" and len(words) == 1:
                candidates = _COMMANDS
            else:
                return None
        words_out = [_quote(c) for c in dict.fromkeys(candidates) if c.startswith(bare)]
        return fragment, words_out

    @context_matcher(identifier="aura_nb.magics.aura")
    def _matcher(self, context: Any) -> dict[str, Any]:
        """IPython completer (matcher API v2) for ``%aura`` lines."""
        found = self.completions(context.text_until_cursor)
        if found is None:
            return {"completions": []}
        fragment, words = found
        return {
            "completions": [SimpleCompletion(text=w, type="aura") for w in words],
            "matched_fragment": fragment,
            "suppress": True,
        }


# --- extension hooks -------------------------------------------------------------------------

def load_ipython_extension(ipython: Any) -> None:
    """Register ``%aura`` and its tab completion on ``ipython`` and print, in one line, which
    API it talks to (connecting with `aura_nb.connect()`). A connection problem is printed as one
    line and retried on the next ``%aura`` call; the magic is registered either way."""
    unload_ipython_extension(ipython)
    magics = AuraMagics(ipython)
    ipython.register_magics(magics)
    ipython.Completer.custom_matchers.append(magics._matcher)
    try:
        describe = magics.client.describe()
    except AuraError as exc:
        print(f"%aura is ready, but could not connect yet ({type(exc).__name__}: {exc}); "
              "fix the settings and run %aura connect")
    else:
        print(f"{describe.rstrip('.')}; %aura help lists the commands.")


def unload_ipython_extension(ipython: Any) -> None:
    """Remove ``%aura`` and its tab completion from ``ipython`` (nothing happens if absent)."""
    manager = ipython.magics_manager
    magics = manager.registry.pop(AuraMagics.__name__, None)
    if magics is None:
        return
    line_table = manager.magics["line"]
    bound = line_table.get("aura")
    if getattr(bound, "__self__", None) is magics:
        del line_table["aura"]
    matchers = ipython.Completer.custom_matchers
    matchers[:] = [m for m in matchers if getattr(m, "__self__", None) is not magics]
