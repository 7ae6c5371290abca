"""#18's done-when: notebooks 01-05 and 99, each exercise filled in from its own printed
``solution()``, run in order in a real kernel against one simulator. Then:

* for every request the learner's code sent to the learner's own account (seen at the simulator:
  its request log, User-Agent ``python-requests/...``, neither the kit's ``aura_nb/`` nor the
  checks' ``aura_nb-check/``), the notebook displays that exchange, under a "your code" or "Your
  request" title: the writes in order with their statuses, the paths read, and each one's
  request headers (the ``Authorization`` scheme, ``Content-Type``) as they arrived;
* the check's own reads are displayed as the check's, and only those;
* ``nb-tutorial`` was created, polled, paused, resumed and deleted by the learner's functions,
  and the kit sent none of those to it.

Slow: six notebooks in a kernel (about a minute alone).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
from aura_nb.teaching import exercises  # noqa: E402
from tests.helpers.kernels import execute_notebook  # noqa: E402

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PATH = ["01", "02", "03", "04", "05", "99"]
HEAD = re.compile(r"^(GET|POST|PATCH|PUT|DELETE|HEAD) (\S+) -> (\d+|no answer)")
REPEATED = re.compile(r"\((\d+) times in a row\)$")
HEADER = re.compile(r"^    ([A-Za-z-]+): (.*)$")
YOURS = ("Your request", ": your code on your account")
CHECKS = "The check's own reads"
CHECK_CELL = re.compile(r"^(ex\d\d)\.check\(", re.M)


def fill(nb) -> int:
    """Replace each exercise cell's blank function with the exercise's printed solution; how
    many cells were filled."""
    filled = 0
    for cell in nb.cells:
        match = CHECK_CELL.search(cell.source) if cell.cell_type == "code" else None
        if match and "____" in cell.source:
            exercise = getattr(exercises, match[1])
            names = getattr(exercise, "names", ())
            imports = "\n".join(line for line in cell.source.splitlines()
                                if line.startswith(("from ", "import ")))
            cell.source = (f"{imports}\n\n{exercise.solution_code}\n\n"
                           f"{match[1]}.check({', '.join(names)})")
            filled += 1
    return filled


def displayed(nb) -> list[tuple[str, dict]]:
    """(title, exchange) of every exchange displayed in the notebook, in order, but for cells
    that talk to a throwaway simulator; an exchange is ``{"method", "path", "status",
    "headers": {request headers shown}}``."""
    found = []
    for cell in nb.cells:
        if "throwaway_simulator" in cell.source:  # 01's token loop: another simulator's requests
            continue
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/plain", "") \
                if output.get("output_type") in ("display_data", "execute_result") else ""
            lines = text.splitlines()
            if not lines or not any(HEAD.match(line) for line in lines):
                continue
            title, current, section = lines[0], None, None
            for line in lines[1:]:
                match = HEAD.match(line)
                if match:
                    status = None if match[3] == "no answer" else int(match[3])
                    current = {"method": match[1], "path": match[2], "status": status, "headers": {}}
                    times = REPEATED.search(line)
                    found += [(title, current)] * (int(times[1]) if times else 1)
                elif line.startswith("  ") and not line.startswith("   "):
                    section = line.strip().rstrip(":")
                elif current is not None and section == "request headers" and HEADER.match(line):
                    name, value = HEADER.match(line).groups()
                    current["headers"][name] = value
    return found


@pytest.fixture(scope="module")
def path_run(tmp_path_factory):
    """The six notebooks, exercises filled in, run in order against one fresh simulator: each
    notebook's (displayed exchanges, the simulator's log entries while it ran)."""
    from aura_nb.lab import start_test_simulator

    home = tmp_path_factory.mktemp("home")
    sim, env = start_test_simulator(home)
    saved = {k: os.environ.get(k) for k in [*env, "AURA_TENANT"]}
    os.environ.pop("AURA_TENANT", None)
    os.environ.update(env)
    try:
        runs = {}
        for number in PATH:
            nb = nbformat.read(next(NOTEBOOKS.glob(f"{number}-*.ipynb")), as_version=4)
            assert fill(nb) == 1, f"notebook {number} should hold one exercise of the path"
            start = len(sim.request_log())
            execute_notebook(nb, NOTEBOOKS, allow_errors=False)
            runs[number] = (nb, sim.request_log()[start:])
        yield runs
    finally:
        sim.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def agent(entry: dict) -> str:
    ua = entry["user_agent"]
    return "kit" if ua.startswith("aura_nb/") else "check" if ua.startswith("aura_nb-check/") \
        else "learner" if ua.startswith("python-requests/") else ua


def scheme(shown: dict) -> str:
    return shown["headers"].get("Authorization", "").split(" ", 1)[0]


@pytest.mark.parametrize("number", PATH)
def test_the_learners_exchanges_are_displayed_as_they_arrived(path_run, number):
    nb, log = path_run[number]
    shown = displayed(nb)
    yours = [e for title, e in shown if any(mark in title for mark in YOURS)]
    sent = [e for e in log if agent(e) == "learner"]
    assert sent, f"notebook {number}: the learner's code sent nothing to the account"
    writes_sent = [(e["method"], e["path"], e["status"], e["authorization"],
                    e["content_type"] or None) for e in sent if e["method"] != "GET"]
    writes_shown = [(e["method"], e["path"], e["status"], scheme(e),
                     e["headers"].get("Content-Type")) for e in yours if e["method"] != "GET"]
    assert writes_shown == writes_sent, number
    assert {e["path"] for e in yours if e["method"] == "GET"} == \
        {e["path"] for e in sent if e["method"] == "GET"}, number
    for e in yours:
        if e["method"] == "GET":
            arrived = [x for x in sent if (x["method"], x["path"]) == ("GET", e["path"])]
            assert e["status"] in {x["status"] for x in arrived}, (number, e)
            assert scheme(e) in {x["authorization"] for x in arrived}, (number, e)
    checks_shown = {(e["method"], e["path"]) for title, e in shown if title.startswith(CHECKS)}
    checks_sent = {(e["method"], e["path"]) for e in log if agent(e) == "check"}
    assert checks_shown == checks_sent, number


def test_nb_tutorial_went_through_the_learners_functions_and_not_the_kits(path_run):
    everything = [e for number in PATH for e in path_run[number][1]]
    created = [e for e in everything if (e["method"], e["path"], e["status"]) ==
               ("POST", "/v1/instances", 202) and agent(e) == "learner"]
    assert len(created) == 1, "the learner's create_instance made nb-tutorial, once"
    nb03 = path_run["03"][0]
    text = json.dumps([c.get("outputs", []) for c in nb03.cells])
    instance_id = re.search(r"your create made nb-tutorial.*?\(([0-9a-f]{8}), ", text)[1]
    mine = f"/v1/instances/{instance_id}"

    def by(who: str, method: str, path: str) -> list[dict]:
        return [e for e in everything if agent(e) == who and e["method"] == method
                and e["path"] == path and e["status"] is not None and e["status"] < 300]

    assert by("learner", "GET", mine), "polled by the learner's wait_until_running"
    assert by("learner", "POST", f"{mine}/pause") and by("learner", "POST", f"{mine}/resume")
    assert by("learner", "DELETE", mine)
    for method, path in (("POST", f"{mine}/pause"), ("POST", f"{mine}/resume"),
                         ("DELETE", mine)):
        assert not by("kit", method, path), f"the kit sent {method} {path} itself"
    kit_creates = [e for e in path_run["03"][1] if agent(e) == "kit" and e["method"] == "POST"
                   and e["path"] == "/v1/instances"]
    assert not kit_creates, "the kit created an instance in notebook 03"
