"""Every teaching notebook runs top to bottom against a simulator of each account kind (free,
professional, enterprise), and no cell raises an error it was not written to raise.

Two journeys per kind: in simulator mode (notebooks 00-08, the simulator's extras in use) and in
real mode (``AURA_NB_MODE=real``: notebooks 00-11 and 99 treat the loopback simulator as a real
account: no admin surface, no sped-up clock assumed, no connection to an instance's host). Where
a step cannot apply (a Free account: paid types need billing details, one instance only, no
resize; a simulator-only demonstration in real mode), the notebook says why in one line and
carries on. Every error a cell does raise is the kit's one-line form. Outputs are not compared
(nbval does that for the default world). The kinds run in parallel, each in its own kernels with
its own environment; the test prints how long each journey took. The kernels may resolve only
loopback host names (``loopback_only/sitecustomize.py``): a simulated instance's host is never
looked up, in any mode.

In real mode the simulator keeps real time, as the service does (the kit assumes speed 1 and
learns how long operations take), but its operations take seconds, not minutes, and the rate
limit is off on both sides (``AURA_RATE_LIMIT=0``), so the journeys finish quickly; what a Free
account's 25 requests a minute do is tested with the client. Each real-mode kernel starts with
those durations already learned (``durations.json`` in its ``AURA_NB_HOME``), so a wait polls
after about 2 seconds instead of an unknown API's cautious first wait. A ``UsageError:`` line on
stderr (how ``%aura`` reports a refusal) counts as an error too. ``AURA_NB_JOURNEY="03 10"`` runs
only those notebooks of each journey (``00 03 10``, with seeded durations: about 22 s).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
from nbclient import NotebookClient  # noqa: E402

from aura_nb import AuraClient  # noqa: E402
from aura_nb.lab import simulator_environment  # noqa: E402
from tests.helpers.journeys import QUICK, seed_learned_durations  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
KINDS = ("free", "professional", "enterprise")
#: The notebooks of each journey, by number prefix (12 is another helper's, with its own runs).
JOURNEYS = {"simulator": ("00", "01", "02", "03", "04", "05", "06", "07", "08"),
            "real": ("00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "99")}
SPEED = 100.0
GUARD = Path(__file__).resolve().parent / "loopback_only"
#: ``AURA_NB_JOURNEY="03 10"`` runs only these notebooks (by number prefix) of each journey.
SELECTED = os.environ.get("AURA_NB_JOURNEY", "").split()


def journey(kind: str, mode: str, make_simulator, home: Path) -> tuple[list[str], float]:
    """Run one journey's notebooks for one account kind: the problems found, one line each,
    and the seconds it took."""
    started = time.monotonic()
    if mode == "real":
        sim = make_simulator(account=kind, speed=1.0, durations=QUICK, rate_limit=0)
    else:
        sim = make_simulator(account=kind, speed=SPEED)
    env = dict(os.environ)
    env.pop("AURA_TENANT", None)
    env.update(simulator_environment(sim.base_url, sim.client_id, sim.client_secret, home))
    if mode == "real":
        env["AURA_NB_MODE"] = "real"     # the kit must not know it faces a simulator
        env.pop("AURA_SIMULATOR_ADMIN_TOKEN", None)
        env.pop("AURA_SIMULATOR_SPEED", None)
        env["AURA_RATE_LIMIT"] = "0"
    else:
        env["AURA_NB_MODE"] = "auto"
        env["AURA_SIMULATOR_SPEED"] = str(int(SPEED))
        env["AURA_SIMULATOR_ADMIN_TOKEN"] = sim.admin_token
    with AuraClient(sim.client_id, sim.client_secret, sim.base_url) as client:
        tenants = [t.name for t in client.list_tenants()]
    if len(tenants) > 1:
        env["AURA_TENANT"] = tenants[0]  # several projects: the learner sets AURA_TENANT
    home.mkdir(parents=True, exist_ok=True)
    if mode == "real":
        seed_learned_durations(sim.base_url, home)
    offhost = home / "offhost.log"
    env["AURA_NB_TEST_OFFHOST_LOG"] = str(offhost)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(GUARD), env.get("PYTHONPATH")]))
    problems = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        if path.name[:2] not in JOURNEYS[mode] or (SELECTED and path.name[:2] not in SELECTED):
            continue
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(NOTEBOOKS)}}).execute(env=env)
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
    return problems, time.monotonic() - started


def usage_error(output: dict) -> str | None:
    """The ``UsageError:`` line of a stderr output, or ``None``: ``%aura`` reports a refused
    request that way (IPython prints it, the cell raises nothing), so it is an error the journey
    must notice all the same."""
    if output.get("output_type") != "stream" or output.get("name") != "stderr":
        return None
    return next((line for line in output.get("text", "").splitlines()
                 if line.startswith("UsageError:")), None)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["simulator", "real"])
def test_notebooks_run_on_every_account_kind(mode, make_simulator, tmp_path, capsys):
    with ThreadPoolExecutor(len(KINDS)) as pool:
        runs = {kind: pool.submit(journey, kind, mode, make_simulator, tmp_path / kind)
                for kind in KINDS}
        results = {kind: runs[kind].result() for kind in KINDS}
    with capsys.disabled():
        print(f"\n{mode} mode journeys: " + ", ".join(
            f"{kind} {seconds:.0f} s" for kind, (_, seconds) in results.items()))
    problems = [line for kind in KINDS for line in results[kind][0]]
    assert not problems, "\n".join(problems)
