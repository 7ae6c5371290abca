"""One Bolt connection: the server side of HELLO, LOGON, ROUTE, transactions and results.

The instance a connection is for comes from the routing context the driver sends in ``HELLO``
(``{"address": "<id>.databases.neo4j.io:7687"}``, the host of the ``neo4j+s://`` URL): every
instance shares one listener, as every Aura instance shares port 7687 behind its own name.
A connection whose instance is not running (or no longer exists) is closed, as Aura's is.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from .cypher import Answer, CypherFailure, Facts, answer
from .wire import Closed, read_message, write_message

__all__ = ["Connection", "Messages"]


class Messages:
    """Signatures of the Bolt 5 messages."""
    HELLO, GOODBYE, LOGON, LOGOFF, TELEMETRY = 0x01, 0x02, 0x6A, 0x6B, 0x54
    RESET, RUN, BEGIN, COMMIT, ROLLBACK = 0x0F, 0x10, 0x11, 0x12, 0x13
    DISCARD, PULL, ROUTE = 0x2F, 0x3F, 0x66
    SUCCESS, RECORD, IGNORED, FAILURE = 0x70, 0x71, 0x7E, 0x7F


#: The server agent a simulated instance reports.
AGENT = "Neo4j/5.27-aura"
_connection_ids = itertools.count(1)
_bookmarks = itertools.count(1)


class _Refused(Exception):
    """End the connection without an answer (instance gone or not running)."""


@dataclass
class _Failure(Exception):
    code: str
    message: str
    gql_status: str = "50N42"
    description: str = "error: general processing exception - unexpected error"
    classification: str = "CLIENT_ERROR"
    close: bool = False


def _unauthorized() -> _Failure:
    return _Failure("Neo.ClientError.Security.Unauthorized",
                    "The client is unauthorized due to authentication failure.", "42NFF",
                    "error: syntax error or access rule violation - permission/access denied",
                    close=True)


def _invalid(message: str) -> _Failure:
    return _Failure("Neo.ClientError.Request.Invalid", message, "50N42")


@dataclass
class Connection:
    """The state of one client connection; :meth:`serve` runs it until it ends."""
    sock: object
    version: tuple[int, int]
    world: object
    log: object                        # callable(instance_id, entry dict)
    client: str                        # "ip:port" of the peer
    connection_id: str = field(default_factory=lambda: f"bolt-{next(_connection_ids)}")
    instance_id: str | None = None
    address: str = ""
    agent: str = ""
    user: str | None = None            # set once logged in
    failed: bool = False
    in_transaction: bool = False
    pending: list = field(default_factory=list)   # records not pulled yet

    # -- the loop -----------------------------------------------------------------------

    def serve(self) -> None:
        """Answer messages until GOODBYE, a refusal, or the client goes away."""
        try:
            while True:
                message = read_message(self.sock)
                if message is None:
                    continue
                if message.tag == Messages.GOODBYE:
                    return
                if self.instance_id is not None:
                    self._require_running()
                if self.failed and message.tag != Messages.RESET:
                    write_message(self.sock, Messages.IGNORED, {})
                    continue
                try:
                    self._dispatch(message.tag, message.fields)
                except _Failure as failure:
                    self.failed = True
                    self.pending = []
                    write_message(self.sock, Messages.FAILURE, self._failure_metadata(failure))
                    if failure.close:
                        return
        except (_Refused, Closed, OSError, ValueError):
            return

    def _send(self, metadata: dict | None = None) -> None:
        write_message(self.sock, Messages.SUCCESS, metadata or {})

    def _failure_metadata(self, failure: _Failure) -> dict:
        """FAILURE fields: ``code`` before Bolt 5.7, GQL fields and ``neo4j_code`` from 5.7."""
        if self.version < (5, 7):
            return {"code": failure.code, "message": failure.message}
        return {"gql_status": failure.gql_status, "description": failure.description,
                "message": failure.message, "neo4j_code": failure.code,
                "diagnostic_record": {"OPERATION": "", "OPERATION_CODE": "0",
                                      "CURRENT_SCHEMA": "/",
                                      "_classification": failure.classification}}

    def _require_running(self) -> dict:
        target = self.world.bolt_target(self.address.rsplit(":", 1)[0])
        if target is None or target["status"] != "running":
            raise _Refused()
        return target

    # -- messages -----------------------------------------------------------------------

    def _dispatch(self, tag: int, fields: list) -> None:
        handler = {Messages.HELLO: self._hello, Messages.LOGON: self._logon,
                   Messages.LOGOFF: self._logoff, Messages.RESET: self._reset,
                   Messages.TELEMETRY: lambda _: self._send()}.get(tag)
        if handler is not None:
            return handler(fields)
        if self.user is None:
            raise _Failure("Neo.ClientError.Security.Unauthorized",
                           "Log in (HELLO, then LOGON) before sending this message.", "42NFF",
                           "error: syntax error or access rule violation - permission/access "
                           "denied", close=True)
        handler = {Messages.ROUTE: self._route, Messages.BEGIN: self._begin,
                   Messages.RUN: self._run, Messages.PULL: self._pull,
                   Messages.DISCARD: self._discard, Messages.COMMIT: self._commit,
                   Messages.ROLLBACK: self._rollback}.get(tag)
        if handler is None:
            raise _invalid(f"The simulator does not handle Bolt message 0x{tag:02X}.")
        handler(fields)

    def _hello(self, fields: list) -> None:
        extra = fields[0] if fields and isinstance(fields[0], dict) else {}
        routing = extra.get("routing") if isinstance(extra.get("routing"), dict) else {}
        self.address = str(routing.get("address") or "")
        self.agent = str(extra.get("user_agent") or "")
        if not self.address:
            raise _invalid("Connect with the instance's connection_url (neo4j+s://<id>."
                           "databases.neo4j.io): the simulator knows the instance by that name.")
        self.instance_id = self._require_running()["instance_id"]
        self._send({"server": AGENT, "connection_id": self.connection_id, "hints": {}})
        if self.version == (5, 0):            # Bolt 5.0 logs in with HELLO; LOGON came in 5.1
            self._login(extra)

    def _logon(self, fields: list) -> None:
        if self.instance_id is None:
            raise _invalid("Send HELLO first.")
        self._login(fields[0] if fields and isinstance(fields[0], dict) else {})
        self._send()

    def _login(self, auth: dict) -> None:
        user = auth.get("principal")
        ok = auth.get("scheme") == "basic" and self.world.bolt_login(
            self.instance_id, user, auth.get("credentials"))
        self.log(self.instance_id, {"event": "login", "user": str(user), "client": self.client,
                                    "agent": self.agent, "ok": ok})
        if not ok:
            raise _unauthorized()
        self.user = user

    def _logoff(self, _fields: list) -> None:
        self.user = None
        self._send()

    def _reset(self, _fields: list) -> None:
        self.failed, self.in_transaction, self.pending = False, False, []
        self._send()

    def _route(self, fields: list) -> None:
        target = self._require_running()
        servers = [{"addresses": [self.address], "role": role}
                   for role in ("ROUTE", "READ", "WRITE")]
        self._send({"rt": {"ttl": 300, "db": target["databases"][0], "servers": servers}})

    def _begin(self, _fields: list) -> None:
        self.in_transaction = True
        self._send()

    def _run(self, fields: list) -> None:
        statement = fields[0] if fields and isinstance(fields[0], str) else ""
        parameters = fields[1] if len(fields) > 1 and isinstance(fields[1], dict) else {}
        target = self._require_running()
        facts = Facts(target["type"], target["version"], tuple(target["databases"]))
        entry = {"event": "statement", "user": self.user, "client": self.client,
                 "statement": statement}
        try:
            result: Answer = answer(statement, parameters, facts)
        except CypherFailure as error:
            self.log(self.instance_id, {**entry, "ok": False})
            raise _Failure(error.code, error.message, error.gql_status, error.description)
        self.log(self.instance_id, {**entry, "ok": True})
        self.pending = [list(row) for row in result.records]
        metadata = {"fields": result.fields, "t_first": 0}
        if self.in_transaction:
            metadata["qid"] = 0
        self._send(metadata)

    def _summary(self) -> dict:
        metadata = {"has_more": False, "type": "r", "t_last": 0, "db": "neo4j"}
        if not self.in_transaction:
            metadata["bookmark"] = f"FB:simulator-{next(_bookmarks)}"
        return metadata

    def _pull(self, fields: list) -> None:
        n = fields[0].get("n", -1) if fields and isinstance(fields[0], dict) else -1
        count = len(self.pending) if not isinstance(n, int) or n < 0 else n
        for row in self.pending[:count]:
            write_message(self.sock, Messages.RECORD, row)
        self.pending = self.pending[count:]
        if self.pending:
            self._send({"has_more": True})
        else:
            self._send(self._summary())

    def _discard(self, _fields: list) -> None:
        self.pending = []
        self._send(self._summary())

    def _commit(self, _fields: list) -> None:
        self.in_transaction = False
        self._send({"bookmark": f"FB:simulator-{next(_bookmarks)}"})

    def _rollback(self, _fields: list) -> None:
        self.in_transaction = False
        self._send()
