"""Each committed notebook's cells display exactly the exchanges the kit's client sent in them.

While nbval runs the notebooks (``./dev test``'s first step), each notebook's kernel logs every
attempt the kit sends at the HTTP boundary (``tests/notebooks/http_watch``: urllib3's one-attempt
call, the kit's User-Agent, urllib3's own resends included) with the cell's number and the status
it got. That log is independent of ``client.history`` and of the notebook layer. nbval has held
each fresh output to the committed one, so the committed cells are what this run displayed;
not so a cell tagged ``nbval-ignore-output`` (its output depends on timing: 99's clean-up may
find ``nb-tutorial`` still going or gone), which is left out. Then, per cell:

* the writes (POST, PATCH, DELETE) displayed are the writes sent, in order, with their statuses;
* the paths read (GET) displayed are the paths read, and each read's displayed status is one the
  path got in that cell (repeated status reads fold into their last answer);
* a quiet setup cell (``lesson.quiet_setup``) names in its one line each kind of request it sent
  (method, path with ids as ``{id}``, status), and nothing else;
* after ``lesson.show_exchanges(False)`` (11, whose class sends dozens of requests in parallel,
  as its Markdown says) a cell displays no exchange at all.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
from aura_nb.teaching.lesson import SETUP_PREFIX, request_kind  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NOT_COMPARED = "nbval-ignore-output"
HEAD = re.compile(r"^(GET|POST|PATCH|PUT|DELETE|HEAD) (\S+) -> (\d+|no answer)")


def displayed(cell) -> list[tuple[str, str, int | None]]:
    """(method, path, status) of every exchange the notebook layer displayed under a cell."""
    shown = []
    for output in cell.get("outputs", []):
        text = output.get("data", {}).get("text/plain", "")
        if output.get("output_type") != "display_data" or \
                not text.startswith("HTTP exchanges of this cell"):
            continue
        for line in text.splitlines()[1:]:
            match = HEAD.match(line)
            if match:
                status = None if match[3] == "no answer" else int(match[3])
                shown.append((match[1], match[2], status))
    return shown


def setup_kinds(cell) -> set[str] | None:
    """The kinds of request a quiet setup cell's one line names, or None for another cell."""
    for output in cell.get("outputs", []):
        text = output.get("data", {}).get("text/plain", "")
        if output.get("output_type") == "display_data" and text.startswith(SETUP_PREFIX):
            listed = text[len(SETUP_PREFIX):].split(".", 1)[0]
            return {kind.strip() for kind in listed.split(",")}
    return None


def sent_by_cell(log: Path, cells: list) -> dict[int, list[tuple[str, str, int | None]]]:
    """(method, path, status) of every attempt the kit sent, by the index of the code cell whose
    execute request sent it (the log's requests in order, matched to the cells by their code)."""
    requests: dict[str, tuple[str, list]] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        msg_id, code, method, path, status = json.loads(line)
        requests.setdefault(msg_id, (code, []))[1].append((method, path, status))
    by_cell, index = {}, 0
    for code, attempts in requests.values():
        while index < len(cells) and cells[index].source != code:
            index += 1
        assert index < len(cells), f"{log.name}: sent by no cell of the notebook: {attempts[:3]}"
        by_cell[index] = attempts
    return by_cell


#: ``lesson.show_exchanges(False)`` (11: a class's parallel requests), or ``(True)`` again.
SWITCH = re.compile(r"show_exchanges\((True|False)?\)")


def notebooks() -> list:
    return [pytest.param(path, id=path.name[:2])
            for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))]


@pytest.mark.after_notebooks
@pytest.mark.parametrize("path", notebooks())
def test_each_cell_displays_the_exchanges_the_kit_sent(notebook_http_logs, path):
    log = notebook_http_logs / f"{path.stem}.jsonl"
    if not log.exists():
        pytest.skip(f"{path.name} did not run in this session")
    cells = [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
    by_cell = sent_by_cell(log, cells)
    showing = True
    for index, cell in enumerate(cells):
        hidden = not showing
        for switch in SWITCH.findall(cell.source):  # takes effect from the next cell on
            showing = switch != "False"
        if NOT_COMPARED in cell.metadata.get("tags", []):  # its committed output is another run's
            continue
        sent, shown = by_cell.get(index, []), displayed(cell)
        where = f"{path.name[:2]} code cell {index + 1}: {cell.source.splitlines()[0]!r}"
        if hidden:
            assert not shown, where  # switched off: no list under the cell (errors stay one line)
            continue
        folded = setup_kinds(cell)
        if folded is not None:
            assert not shown, where  # a quiet cell shows its exchanges in its line only
            assert folded == {request_kind(m, p, s) for m, p, s in sent}, where
            continue
        assert [e for e in shown if e[0] != "GET"] == [e for e in sent if e[0] != "GET"], where
        assert {p for m, p, s in shown if m == "GET"} == {p for m, p, s in sent if m == "GET"}, where
        for method, p, status in shown:
            if method == "GET":
                assert status in {s for m, q, s in sent if (m, q) == ("GET", p)}, where
