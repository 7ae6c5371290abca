"""Each teaching notebook's cells display exactly the exchanges the kit's client sent in them.

Notebooks 00-08 run in order (one learner's journey) in a real kernel against one simulator, with
the HTTP boundary watched: a first, unsaved cell wraps urllib3's one-attempt call and notes, per
cell, every attempt the kit sent (its User-Agent starts with ``aura_nb/``; urllib3's own resends
included) with the status it got. That log is independent of ``client.history`` and of the notebook layer. Then, per cell:

* the writes (POST, PATCH, DELETE) displayed are the writes sent, in order, with their statuses;
* the paths read (GET) displayed are the paths read, and each read's displayed status is one the
  path got in that cell (repeated status reads fold into their last answer);
* a quiet setup cell (``lesson.quiet_setup``) names in its one line each kind of request it sent
  (method, path with ids as ``{id}``, status), and nothing else.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
from aura_nb.teaching.lesson import SETUP_PREFIX, request_kind  # noqa: E402
from tests.helpers.kernels import execute_notebook  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
JOURNEY = ["00", "01", "02", "03", "04", "05", "06", "07", "08"]
HEAD = re.compile(r"^(GET|POST|PATCH|PUT|DELETE|HEAD) (\S+) -> (\d+|no answer)")

WATCH = """
from urllib3.connectionpool import HTTPConnectionPool as _Pool
_aura_log, _aura_cell = [], [0]
get_ipython().events.register("pre_run_cell", lambda info: _aura_cell.__setitem__(0, _aura_cell[0] + 1))
_aura_attempt = _Pool._make_request
def _watched_attempt(self, conn, method, url, *args, **kwargs):
    headers = kwargs.get("headers") or (args[1] if len(args) > 1 else None) or {}
    kit = str(headers.get("User-Agent", "")).startswith("aura_nb/")
    try:
        response = _aura_attempt(self, conn, method, url, *args, **kwargs)
    except Exception:
        if kit:
            _aura_log.append((_aura_cell[0], method, url, None))
        raise
    if kit:
        _aura_log.append((_aura_cell[0], method, url, response.status))
    return response
_Pool._make_request = _watched_attempt
"""
REPORT = "import json as _json\nprint(_json.dumps(_aura_log))"

pytestmark = pytest.mark.slow  # runs notebooks 00-08 in a kernel


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


def run(path: Path, workdir: Path) -> tuple[nbformat.NotebookNode, list]:
    """Run a notebook with the watch cell first and the report cell last; (notebook, log)."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(WATCH))
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    execute_notebook(nb, workdir, allow_errors=False)
    report = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    return nb, json.loads(report)


@pytest.fixture(scope="module")
def journey(tmp_path_factory):
    """Every notebook of the journey run once, in order, against one fresh simulator."""
    import os

    from aura_nb.lab import start_test_simulator

    home = tmp_path_factory.mktemp("home")
    sim, env = start_test_simulator(home)
    saved = {k: os.environ.get(k) for k in [*env, "AURA_TENANT"]}
    os.environ.pop("AURA_TENANT", None)
    os.environ.update(env)
    try:
        runs = {}
        for number in JOURNEY:
            path = next(NOTEBOOKS.glob(f"{number}-*.ipynb"))
            runs[number] = run(path, NOTEBOOKS)
        yield runs
    finally:
        sim.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.mark.parametrize("number", JOURNEY)
def test_each_cell_displays_the_exchanges_the_kit_sent(journey, number):
    nb, log = journey[number]
    calling = 0
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    for index, cell in enumerate(code_cells[1:-1], start=1):  # the counter counts code cells
        sent = [(m, p, s) for (c, m, p, s) in log if c == index]
        shown = displayed(cell)
        where = f"{number} cell {index}: {cell.source.splitlines()[0]!r}"
        folded = setup_kinds(cell)
        if folded is not None:
            assert not shown, where  # a quiet cell shows its exchanges in its line only
            assert folded == {request_kind(m, p, s) for m, p, s in sent}, where
            calling += 1
            continue
        assert [e for e in shown if e[0] != "GET"] == [e for e in sent if e[0] != "GET"], where
        assert {p for m, p, s in shown if m == "GET"} == {p for m, p, s in sent if m == "GET"}, where
        for method, path, status in shown:
            if method == "GET":
                assert status in {s for m, p, s in sent if (m, p) == ("GET", path)}, where
        calling += bool(sent)
    assert calling, f"notebook {number}: no cell called the API through the kit"
