"""`AuraMagics`: the ``%aura`` line magic, one ``_do_<name>`` method per sub-command."""

from __future__ import annotations

import argparse
import contextlib
import builtins
import difflib
import sys
from typing import Any, Callable, Iterable

from IPython.core.completer import SimpleCompletion, context_matcher
from IPython.core.error import StdinNotImplementedError, UsageError
from IPython.core.magic import Magics, line_magic, magics_class

from aura_nb.core import config
from aura_nb.core.errors import AuraError, NameNotFound, VaultWriteFailed, error_line
from aura_nb.core.lifecycle import ACTIONS, RUNNING
from aura_nb.core.waiting.common import GONE
from .commands import COMMANDS, SPEC_FLAGS, HelpShown, split_line
from .completion import complete_line
from .results import ConnectionInfo, HttpLog, expiry_text
from aura_nb.core.rules import complete_spec

__all__ = ["AuraMagics"]


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
        self._deleted: dict[str, str] = {}  # id -> name of the instances %aura delete deleted

    # -- connection --------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        """The client, connecting on first use (`aura_nb.connect()` with the interactive
        timeout, `config.interactive_timeout`); raises what it raises."""
        if self._client is None:
            import aura_nb

            self._client = aura_nb.connect(timeout=config.interactive_timeout())
        return self._client

    def _budget(self) -> contextlib.AbstractContextManager[None]:
        """Each call of the sub-command gets the interactive time budget (10 s, retries
        included); a client made on first use gets it as its timeout instead."""
        if self._client is None:
            return contextlib.nullcontext()
        return self._client.time_budget(config.interactive_timeout())

    def connect(self) -> Any:
        """Drop the current client and connect again; prints which API is used, returns it."""
        self._client = None
        self._instance_names.clear()
        self._tenant_names.clear()
        self._deleted.clear()  # another API or account may have instances of those names
        client = self.client
        print(client.describe())
        return client

    # -- entry point -------------------------------------------------------------------------
    @line_magic
    def aura(self, line: str) -> Any:
        """Aura API in one line: ``%aura help`` lists the sub-commands, ``%aura help NAME``
        shows one's options. Errors are one ``UsageError`` line; results are model objects."""
        words = split_line(line)
        if not words:
            return self._do_help(argparse.Namespace(command=None))
        name, rest = words[0], words[1:]
        command = COMMANDS.get(name)
        if command is None:
            close = difflib.get_close_matches(name, COMMANDS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UsageError(f"%aura: unknown sub-command {name!r}; {hint}%aura help lists them")
        try:
            args = command.parser().parse_args(rest)
        except HelpShown:
            return None
        handler: Callable[[argparse.Namespace], Any] = getattr(self, f"_do_{name}")
        try:
            with self._budget():
                return handler(args)
        except AuraError as exc:
            raise UsageError(error_line(exc, named=True)) from None

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
            command = COMMANDS.get(args.command)
            if command is None:
                raise UsageError(f"%aura help: unknown sub-command {args.command!r}; "
                                 "%aura help lists them")
            command.parser().print_help()
            return None
        width = max(len(name) for name in COMMANDS)
        print("%aura SUBCOMMAND [options]   (%aura help SUBCOMMAND for its options)")
        for command in COMMANDS.values():
            print(f"  {command.name:<{width}}  {command.summary}")
        return None

    def _do_connect(self, args: argparse.Namespace) -> Any:
        return self.connect()

    def _do_whoami(self, args: argparse.Namespace) -> ConnectionInfo:

        client = self.client
        remaining = client.token_expires_in
        return ConnectionInfo(
            mode=client.mode,
            base_url=client.base_url,
            tenant=client.default_tenant or config.tenant(),
            token="not fetched yet" if remaining is None else expiry_text(remaining, client.speed),
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
        client = self.client
        tenant = client.find_tenant(args.tenant, choose="add --tenant NAME_OR_ID")
        self._remember([tenant])
        spec = complete_spec(tenant, args.name, **{flag: getattr(args, flag) for flag in SPEC_FLAGS})
        if not args.allow_duplicate_name:
            live = client.find_live_instances(spec.name, tenant.id)
            if live:
                ids = ", ".join(f"{i.id} ({i.status})" for i in live)
                raise UsageError(f"%aura create: {spec.name!r} is already the name of {ids} in "
                                 f"{tenant.name!r}; nothing was sent. Use another name, or add "
                                 "--allow-duplicate-name to create one more")
        unsaved: list[VaultWriteFailed] = []  # created, but the vault file was not written
        created = client.create_instance(spec, show_once=unsaved.append)
        self._remember([created])
        if unsaved:
            self._report_unsaved(unsaved[0])
            return created
        print(f"creating {created.id} ({created.name}): {spec.type} on {spec.cloud_provider} "
              f"{spec.region}, {spec.memory}; password saved to the vault at {created.vault_path}; "
              f"%aura wait {created.id} waits until it is running")
        return created

    @staticmethod
    def _report_unsaved(exc: VaultWriteFailed) -> None:
        """Say on stderr where the credentials went; with no rescue file, show the password
        once there (the one exception to the no-secret-output rule: it exists nowhere else)."""
        created = exc.created
        print(f"%aura create: {exc}", file=sys.stderr)
        if exc.rescue_path is None:
            print(f"password of {created.id} ({created.name}), shown once: {created.password}",
                  file=sys.stderr)

    def _creation_form(self, args: argparse.Namespace) -> Any:
        try:
            from aura_nb.widgets import CreateInstanceForm
        except ImportError as exc:
            raise UsageError(
                f"%aura create: the creation form needs aura_nb.widgets and ipywidgets ({exc}); "
                "pass --type, --cloud, --region and --memory to create without it") from None
        return CreateInstanceForm(self.client, args.tenant, name=args.name)

    def _do_wait(self, args: argparse.Namespace) -> Any:
        try:
            summary = self._find(args)
        except NameNotFound:
            # Waiting for an instance this magic deleted that is gone already: done, not an error.
            gone = [(i, n) for i, n in self._deleted.items() if args.instance in (i, n)]
            if args.status != GONE or not gone:
                raise
            instance_id, name = gone[-1]
            print(f"{instance_id} ({name}) is deleted: it is no longer listed")
            return None
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
        return self._lifecycle(args, self.client.pause_instance, "pause")

    def _do_resume(self, args: argparse.Namespace) -> Any:
        return self._lifecycle(args, self.client.resume_instance, "resume")

    def _lifecycle(self, args: argparse.Namespace, send: Callable[[str], Any], action: str) -> Any:
        """Send a pause/resume (``action``, one of `lifecycle.ACTIONS`) for the named instance
        and say how to wait for its outcome."""
        summary = self._find(args)
        instance = self._fresh(send(summary.id), summary.id)
        rule = ACTIONS[action]
        flag = "" if rule.target == RUNNING else f" --status {rule.target}"
        print(f"{rule.in_flight} {summary.id} ({summary.name}); %aura wait {summary.id}{flag} "
              "waits for it")
        return instance

    def _do_delete(self, args: argparse.Namespace) -> Any:
        summary = self._find(args)
        if not args.yes and not self._confirm(
                f"Delete instance {summary.id} ({summary.name})? Its data cannot be recovered."):
            print(f"not deleted: {summary.id} ({summary.name})")
            return None
        answer = self.client.delete_instance(summary.id)
        self._instance_names.pop(summary.id, None)
        self._deleted[summary.id] = summary.name
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
        return complete_line(text_until_cursor, self._tenant_names, self._instance_names)

    @context_matcher(identifier="aura_nb.magics.aura")
    def matcher(self, context: Any) -> dict[str, Any]:
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

