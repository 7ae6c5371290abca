"""Whole notebook journeys against simulators of each account kind, and real mode's quick world.

`journey` runs the teaching notebooks top to bottom for one account kind (free, professional,
enterprise) in fresh kernels and returns the problems it saw, one line each: an error a cell was
not written to raise, a traceback longer than the kit's one-line form, a ``UsageError:`` line on
stderr (how ``%aura`` reports a refusal), a kernel that tried to resolve a host beyond loopback
(``tests/notebooks/loopback_only/sitecustomize.py``). `run_every_kind` runs the three kinds in
parallel. Outputs are not compared: nbval does that for the default world.

Two modes. ``simulator``: notebooks 00-08, the simulator's extras in use, at speed 100. ``real``
(``AURA_NB_MODE=real``): notebooks 00-11 and 99 treat the loopback simulator as a real account
(no admin surface, no sped-up clock assumed, no connection to an instance's host). The
simulator then keeps real time, as the service does, but every lifecycle operation takes half a
second to a second (`QUICK`), each kernel's ``AURA_NB_HOME`` starts with those durations already learned
(`seed_learned_durations`: a create is not met with an unknown API's cautious first half
minute), waits whose start the kit cannot know (after the learner's own ``requests`` calls), the
workshop's and the clean-up's poll every half second (``AURA_POLL_INTERVAL=0.5``), and the rate limit is
off on both sides (``AURA_RATE_LIMIT=0``; what a Free account's 25 requests a minute do is tested
with the client). ``AURA_NB_JOURNEY="03 10"`` runs only those notebooks of each journey.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from aura_nb import AuraClient
from aura_nb.lab import simulator_environment
from aura_nb.core.waiting import DurationStore

from tests.helpers.kernels import execute_notebook

#: Real mode: every lifecycle operation takes half a second to a second of real time.
QUICK = {kind: (0.5, 1) for kind in ("creating", "pausing", "resuming", "updating", "overwriting",
                                   "restoring", "destroying", "snapshot")}
#: The operations whose durations the kit learns.
LEARNED = ("create", "pause", "resume", "delete", "resize", "overwrite", "restore", "snapshot")


def seed_learned_durations(base_url: str, home: Path) -> None:
    """Write QUICK's durations, seen three times, into ``home/durations.json`` for ``base_url``."""
    home.mkdir(parents=True, exist_ok=True)
    store = DurationStore(base_url, home / "durations.json")
    for operation in LEARNED:
        store.record(operation, [QUICK["creating"]] * 3, time.time())


# --- whole journeys (tests/notebooks/test_account_kinds.py) -------------------------------

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
KINDS = ("free", "professional", "enterprise")
#: The kinds of each mode. Simulator mode runs Free alone, the kind its extras meet differently
#: (no billing, no room for a second instance, 25 requests a minute under the fault demos):
#: Professional's one billed project and Enterprise's several are run in real mode, and nbval's
#: default world (several projects, billing, the simulator's extras) holds every notebook's
#: output to the committed one. Each kind left out saves nine kernels, about 20 s of CPU.
MODE_KINDS = {"simulator": ("free",), "real": KINDS}
#: The notebooks of each journey, by number prefix (12 is another helper's, with its own runs).
JOURNEYS = {"simulator": ("00", "01", "02", "03", "04", "05", "06", "07", "08"),
            "real": ("00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "99")}
SPEED = 100.0  # simulator mode
GUARD = Path(__file__).resolve().parents[1] / "notebooks" / "loopback_only"
#: ``AURA_NB_JOURNEY="03 10"`` runs only these notebooks (by number prefix) of each journey.
SELECTED = os.environ.get("AURA_NB_JOURNEY", "").split()


def kernel_environment(sim, mode: str, home: Path) -> dict[str, str]:
    """The environment of a journey's kernels: this process's without its ``AURA_*`` variables,
    then what ``./dev lab`` gives a learner for ``sim``, played as ``mode`` (see the module
    docstring); ``AURA_TENANT`` is the first project when the account has several, as a learner
    would set it. In real mode ``home`` starts with `QUICK` already learned."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURA_")}
    env.update(simulator_environment(sim.base_url, sim.client_id, sim.client_secret, home))
    if mode == "real":
        env["AURA_NB_MODE"] = "real"     # the kit must not know it faces a simulator
        env.pop("AURA_SIMULATOR_ADMIN_TOKEN", None)
        env.pop("AURA_SIMULATOR_SPEED", None)
        env["AURA_RATE_LIMIT"] = "0"
        env["AURA_POLL_INTERVAL"] = "0.5"  # operations take a second here, not minutes
        seed_learned_durations(sim.base_url, home)
    else:
        env["AURA_NB_MODE"] = "auto"
        env["AURA_SIMULATOR_SPEED"] = str(int(SPEED))
        env["AURA_SIMULATOR_ADMIN_TOKEN"] = sim.admin_token
    with AuraClient(sim.client_id, sim.client_secret, sim.base_url) as client:
        tenants = [t.name for t in client.list_tenants()]
    if len(tenants) > 1:
        env["AURA_TENANT"] = tenants[0]  # several projects: the learner sets AURA_TENANT
    return env


def journey(kind: str, mode: str, make_simulator, home: Path) -> tuple[list[str], float, int]:
    """Run one journey's notebooks for one account kind: the problems found, one line each,
    the seconds it took and the tokens the simulator issued. In real mode the simulator keeps
    the service's token limit (15 an hour per client id; its hour is a real one), so a journey
    that asks for more meets the 429 a learner would."""
    started = time.monotonic()
    if mode == "real":
        sim = make_simulator(account=kind, speed=1.0, durations=QUICK, rate_limit=0)
    else:
        sim = make_simulator(account=kind, speed=SPEED)
    env = kernel_environment(sim, mode, home)
    offhost = home / "offhost.log"
    env["AURA_NB_TEST_OFFHOST_LOG"] = str(offhost)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(GUARD), env.get("PYTHONPATH")]))
    problems = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        if path.name[:2] not in JOURNEYS[mode] or (SELECTED and path.name[:2] not in SELECTED):
            continue
        nb = nbformat.read(path, as_version=4)
        execute_notebook(nb, NOTEBOOKS, env)
        for cell in nb.cells:
            where = f"{mode} {kind} {path.name[:2]}: {cell.source.splitlines()[0]!r}" \
                if cell.source else f"{mode} {kind} {path.name[:2]}"
            expected = "raises-exception" in cell.metadata.get("tags", [])
            for output in cell.get("outputs", []):
                if not expected and (usage := usage_error(output)):
                    problems.append(f"{where} printed {usage[:200]}")
                if output.get("output_type") != "error":
                    continue
                if not expected:
                    problems.append(f"{where} raised {output.ename}: {output.evalue[:200]}")
                elif len(output.traceback) != 1:
                    problems.append(f"{where} showed a {len(output.traceback)}-line traceback")
    if offhost.exists():
        problems.append(f"{mode} {kind}: a kernel tried to resolve "
                        + ", ".join(sorted(set(offhost.read_text().split()))))
    return problems, time.monotonic() - started, sim.stats_snapshot()["tokens_issued"]


def usage_error(output: dict) -> str | None:
    """The ``UsageError:`` line of a stderr output, or ``None``: ``%aura`` reports a refused
    request that way (IPython prints it, the cell raises nothing), so it is an error the journey
    must notice all the same."""
    if output.get("output_type") != "stream" or output.get("name") != "stderr":
        return None
    return next((line for line in output.get("text", "").splitlines()
                 if line.startswith("UsageError:")), None)


def run_every_kind(mode: str, make_simulator, home: Path) -> tuple[list[str], str]:
    """One journey per account kind, in parallel (each in its own kernels and environment):
    the problems found and a line saying how long each kind took."""
    kinds = MODE_KINDS[mode]
    with ThreadPoolExecutor(len(kinds)) as pool:
        runs = {kind: pool.submit(journey, kind, mode, make_simulator, home / kind)
                for kind in kinds}
        results = {kind: runs[kind].result() for kind in kinds}
    timing = f"{mode} mode journeys: " + ", ".join(
        f"{kind} {seconds:.0f} s ({tokens} tokens)" for kind, (_, seconds, tokens) in results.items())
    return [line for kind in kinds for line in results[kind][0]], timing
