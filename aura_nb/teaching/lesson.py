"""The notebook layer: under each cell, the HTTP exchanges the kit made; the kit's errors as one line.

``%load_ext aura_nb`` (the first cell of every teaching notebook) calls `install`. Then:

* after each cell, every `AuraClient` the notebook holds in a variable (and the ``%aura``
  magics' client) is asked for the exchanges it recorded during that cell (``client.history``,
  already redacted by the core), and they are displayed folded: an HTML ``<details>`` block per
  exchange, with a plain-text equivalent for text front-ends and nbval. Status reads (``GET``
  of an instance or a snapshot) between two writes fold into their last answer, never a count,
  so that a saved notebook reads the same however many polls a run needed; a read that got a
  transient answer (429, 5xx) or none, such as each attempt urllib3 sent again, never folds
  away: it shows on its own line, in order;
* the requests you send yourself with ``requests`` (`aura_nb.teaching.capture` sees them at
  ``HTTPAdapter.send``, by their User-Agent, which is not the kit's) are displayed the same way,
  under "Your request(s)", request headers and body as sent included;
* an exception of the kit's own tree (`aura_nb.AuraError`) shows as one line (class, status,
  reason, message, request id, what to do: the exception's own text) and is recorded as the
  last exception, so ``%tb`` prints its full traceback.

A bare ``import aura_nb`` or ``connect()`` installs nothing: the core never imports IPython;
this module is the only notebook-side piece, and it imports IPython only inside `install`.
"""

from __future__ import annotations

import re
import sys
import weakref
from typing import Any, Iterable, Sequence

from aura_nb.core.client import AuraClient
from aura_nb.core.errors import AuraError, error_line
from aura_nb.core import history
from aura_nb.core.history import SHOWN_HEADERS, Exchange, path_of
from aura_nb.core.retry_policy import RETRY_STATUSES
from . import capture

__all__ = ["install", "uninstall", "show_exchanges", "quiet_setup", "one_line", "show", "ExchangeView",
           "exchange_lines", "fold_polls", "PollRun", "SetupLine", "request_kind", "SHOWN_HEADERS",
           "TB_HINT"]

#: Appended to a one-line error: where the full traceback is.
TB_HINT = "(%tb shows the full traceback)"


def your_title(count: int) -> str:
    """The title over the exchanges your own ``requests`` calls sent in a cell."""
    return ("Your request and its answer (secrets masked):" if count == 1 else
            "Your requests and their answers (secrets masked):")


# --- what a cell's exchanges look like ----------------------------------------------------------

#: Paths a wait polls: an instance, a snapshot. Reads of these always fold into their last answer.
STATUS_PATH = re.compile(r"^/v1/instances/[^/?]+(/snapshots/[^/?]+)?$")
FOLD_NOTE = "(reads in a row fold into the last one)"


class PollRun:
    """The reads (``GET``) of one path between two writes in a cell, shown as the last answer.
    For a status path this is always so, whether a wait polled once or twenty times: how many
    there were is left out on purpose (it varies from run to run); see `fold_polls`."""

    def __init__(self, exchanges: Sequence[Exchange]) -> None:
        self.exchanges = list(exchanges)

    @property
    def last(self) -> Exchange:
        """The last of the reads (the answer a wait ended on)."""
        return self.exchanges[-1]

    def summary(self) -> str:
        """``GET /v1/instances/ab12cd34 -> 200, status "running"  (status reads fold ...)``."""
        last = self.last
        text = exchange_lines(last)[0]
        data = last.response_body.get("data") if isinstance(last.response_body, dict) else None
        if isinstance(data, dict) and "status" in data:
            text += f', status "{data["status"]}"'
        return f"{text}  {FOLD_NOTE}"

    def lines(self) -> list[str]:
        """The summary line, then the last answer's headers and body."""
        return [self.summary()] + exchange_lines(self.last)[1:]


def _transient(exchange: Exchange) -> bool:
    """True for an answer the client sends again after (429, 5xx) or no answer at all."""
    return exchange.status is None or exchange.status in RETRY_STATUSES


def fold_polls(exchanges: Iterable[Exchange]) -> list[Exchange | PollRun]:
    """The exchanges in order. Between two writes, the reads of a status path (`STATUS_PATH`),
    and the reads of any other path made more than once, become one `PollRun` at the place of
    the first read. So a cell shows the same lines however many polls its wait needed. A read
    with a transient answer or none (`_transient`: a retried attempt) stays its own line."""
    items: list[Exchange | PollRun] = []
    block: list[Exchange] = []

    def flush() -> None:
        by_path: dict[str, list[Exchange]] = {}
        for exchange in block:
            if not _transient(exchange):
                by_path.setdefault(path_of(exchange), []).append(exchange)
        placed: set[str] = set()
        for exchange in block:
            key = path_of(exchange)
            if _transient(exchange) or (len(by_path[key]) == 1 and not STATUS_PATH.match(key)):
                items.append(exchange)
            elif key not in placed:
                placed.add(key)
                items.append(PollRun(by_path[key]))
        block.clear()

    for exchange in exchanges:
        if exchange.method == "GET":
            block.append(exchange)
        else:
            flush()
            items.append(exchange)
    flush()
    return items


class Repeat:
    """Identical requests sent one after another (same method, path, body and status), shown
    as the last of them with how many there were: a learner's loop of 15 token requests is one
    exchange and a count, not fifteen. Only the learner's views fold these (`your_view`)."""

    def __init__(self, exchanges: Sequence[Exchange]) -> None:
        self.exchanges = list(exchanges)

    def lines(self) -> list[str]:
        """The last one's lines, its first line saying how many there were in a row."""
        lines = exchange_lines(self.exchanges[-1])
        return [f"{lines[0]}  ({len(self.exchanges)} times in a row)"] + lines[1:]


def _same(a: Exchange, b: Exchange) -> bool:
    return (a.method, path_of(a), a.status, a.request_body) == (b.method, path_of(b), b.status,
                                                                b.request_body)


def fold_repeats(items: Iterable[Exchange | PollRun]) -> list[Exchange | PollRun | Repeat]:
    """``items`` with each run of identical writes (`_same`) made one `Repeat`."""
    out: list[Exchange | PollRun | Repeat] = []
    run: list[Exchange] = []
    for item in [*items, None]:
        if isinstance(item, Exchange) and item.method != "GET" and run and _same(run[-1], item):
            run.append(item)
            continue
        if run:
            out.append(run[0] if len(run) == 1 else Repeat(run))
        run = [item] if isinstance(item, Exchange) and item.method != "GET" else []
        if item is not None and not run:
            out.append(item)
    return out


def exchange_lines(exchange: Exchange) -> list[str]:
    """One exchange as the notebook layer shows it: the core's ``cell`` form
    (`aura_nb.core.history.exchange_lines`)."""
    return history.exchange_lines(exchange, "cell")


class ExchangeView:
    """What a cell displays under its result: its exchanges (and poll runs), folded in HTML,
    in full in plain text."""

    def __init__(self, exchanges: Iterable[Exchange],
                 title: str = "HTTP exchanges of this cell (secrets masked):",
                 repeats: bool = False) -> None:
        self.items = fold_polls(exchanges)
        if repeats:
            self.items = fold_repeats(self.items)
        self.title = title

    def text(self) -> str:
        """The plain-text form (nbval compares this one)."""
        lines = [self.title]
        for item in self.items:
            lines += exchange_lines(item) if isinstance(item, Exchange) else item.lines()
        return "\n".join(lines)

    def html(self) -> str:
        """The HTML form: one folded ``<details>`` block per exchange."""
        return history.folded_html(self.title, (
            exchange_lines(item) if isinstance(item, Exchange) else item.lines()
            for item in self.items))

    def __repr__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": self.text(), "text/html": self.html()}


def show(answer: Any) -> ExchangeView:
    """The exchange of a ``requests`` response you sent yourself, displayed like the kit's:
    the request line, your request's headers (``Authorization`` masked, ``Content-Type``) and
    body as sent (``answer.request``), the status, the response headers that matter and its
    body, with passwords and tokens masked. Secrets are redacted before anything is kept.
    (After ``%load_ext aura_nb`` every request you send is shown under its cell anyway; this
    one is then shown here instead, not twice.)"""
    exchange = capture.take_response(answer) or capture.exchange_of(answer.request, answer)
    return ExchangeView([exchange], title=your_title(1))


#: Path segments that carry an id; `request_kind` replaces the id with ``{id}``.
_ID_SEGMENT = re.compile(r"/(tenants|instances|snapshots|projects|organizations|databases|backups)/[^/?]+")
#: How a quiet setup cell's line starts (tests find it by this).
SETUP_PREFIX = "Setup, its exchanges folded into this line:"


def request_kind(method: str, path: str, status: int | None) -> str:
    """``GET /v1/instances/{id} 200``: an exchange with its ids and query left out, so that a
    line of these reads the same on every run."""
    template = _ID_SEGMENT.sub(lambda m: f"/{m[1]}/{{id}}", path.split("?", 1)[0])
    return f"{method} {template} {status if status is not None else 'no answer'}"


class SetupLine:
    """What a quiet setup cell (`quiet_setup`) shows instead of its exchanges: one line naming
    each kind of request it sent, in order, once (`request_kind`), then the note."""

    def __init__(self, exchanges: Iterable[Exchange], note: str = "") -> None:
        kinds: list[str] = []
        for exchange in exchanges:
            kind = request_kind(exchange.method, path_of(exchange), exchange.status)
            if kind not in kinds:
                kinds.append(kind)
        self.kinds = kinds
        self.note = note

    def text(self) -> str:
        return f"{SETUP_PREFIX} {', '.join(self.kinds)}." + (f" {self.note}" if self.note else "")

    def __repr__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": self.text()}


# --- one-line errors --------------------------------------------------------------------------

def one_line(error: BaseException) -> str:
    """The line a kit error shows as in a notebook: ``NotFound: 404 db-not-found: ... [request
    id ...]. <what to do> (%tb shows the full traceback)``."""
    return f"{error_line(error, named=True)} {TB_HINT}"


def _show_one_line(shell: Any, etype: type, value: BaseException, tb: Any,
                   tb_offset: Any = None) -> list[str]:
    """IPython's custom exception handler for `AuraError`: record the exception as the last one
    (what ``%tb`` prints) and show it as one line."""
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
    if sys.version_info >= (3, 12):
        sys.last_exc = value
    stb = [one_line(value)]
    shell._showtraceback(etype, value, stb)
    return stb


# --- which clients a cell used, and what they sent ----------------------------------------------

class _Watcher:
    """Remembers, per client, the last exchange already shown, and after each cell displays the
    newer ones of every client the notebook can reach."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.enabled = True
        self.quiet_note: str | None = None  # set by `quiet_setup` for the cell that runs it
        self.seen: "weakref.WeakKeyDictionary[AuraClient, Exchange | None]" = \
            weakref.WeakKeyDictionary()

    def clients(self) -> list[AuraClient]:
        """The clients held in the notebook's variables, then the ``%aura`` magics' client."""
        found: list[AuraClient] = []
        for value in list(self.shell.user_ns.values()):
            if isinstance(value, AuraClient) and all(value is not c for c in found):
                found.append(value)
        for magics in list(self.shell.magics_manager.registry.values()):  # %aura's connection
            for value in list(vars(magics).values()):
                if isinstance(value, AuraClient) and all(value is not c for c in found):
                    found.append(value)
        return found

    def new_exchanges(self, client: AuraClient) -> list[Exchange]:
        """The exchanges ``client`` recorded since the last call (all of them the first time)."""
        items = list(client.history)
        marker = self.seen.get(client)
        start = 0
        if marker is not None:
            for index in range(len(items) - 1, -1, -1):
                if items[index] is marker:
                    start = index + 1
                    break
        self.seen[client] = items[-1] if items else marker
        return items[start:]

    def mark_all(self) -> None:
        """Treat everything recorded so far as shown (when the layer is installed)."""
        for client in self.clients():
            self.new_exchanges(client)

    def post_run_cell(self, result: Any = None) -> None:
        """Display the exchanges the cell caused, one view per client that made any."""
        from IPython.display import display

        note, self.quiet_note = self.quiet_note, None
        folded: list[Exchange] = []
        for client in self.clients():
            exchanges = self.new_exchanges(client)
            if not exchanges or not self.enabled:
                continue
            if note is not None and not any(_refused(e) for e in exchanges):
                folded += exchanges
            else:
                display(ExchangeView(exchanges))
        if folded:
            display(SetupLine(folded, note or ""))
        yours = capture.take_pending()
        if yours and self.enabled:
            display(ExchangeView(yours, title=your_title(len(yours)), repeats=True))


def _refused(exchange: Exchange) -> bool:
    """True for an answer a quiet cell must not hide: no answer, or a 4xx/5xx status."""
    return exchange.status is None or exchange.status >= 400


_watchers: "weakref.WeakKeyDictionary[Any, _Watcher]" = weakref.WeakKeyDictionary()


def install(shell: Any) -> None:
    """Install the notebook layer on an IPython shell (again: nothing changes): the one-line
    handler for `AuraError` and the display of each cell's exchanges."""
    shell.set_custom_exc((AuraError,), _show_one_line)
    if shell in _watchers:
        return
    capture.install()
    capture.take_pending()  # what was sent before the layer was installed is not this cell's
    watcher = _Watcher(shell)
    watcher.mark_all()
    shell.events.register("post_run_cell", watcher.post_run_cell)
    _watchers[shell] = watcher


def show_exchanges(enabled: bool = True, shell: Any = None) -> None:
    """Switch the display of each cell's exchanges on or off (from the next cell on; errors
    stay one line). For notebooks whose cells send many requests in parallel, such as the
    workshop's, where a list of them would be long and its order vary from run to run.
    ``shell`` defaults to the running IPython; nothing happens where the layer is not installed."""
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    watcher = _watchers.get(shell) if shell is not None else None
    if watcher is not None:
        watcher.enabled = enabled


def quiet_setup(note: str = "", shell: Any = None) -> None:
    """Fold the exchanges of the cell that calls this into one line (`SetupLine`) followed by
    ``note``, such as where the notebooks show those requests in full. For a notebook's setup
    cell, whose token, tenant and instance look-ups earlier notebooks already taught. An answer
    that was refused or never came is still shown in full. Nothing happens where the layer is
    not installed (``shell`` defaults to the running IPython)."""
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    watcher = _watchers.get(shell) if shell is not None else None
    if watcher is not None:
        watcher.quiet_note = note


def uninstall(shell: Any) -> None:
    """Remove what `install` added (nothing happens if it was not installed)."""
    watcher = _watchers.pop(shell, None)
    if watcher is not None:
        shell.events.unregister("post_run_cell", watcher.post_run_cell)
        shell.set_custom_exc((), None)
