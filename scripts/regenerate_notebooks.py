"""Re-execute the teaching notebooks in place against a fresh simulator and save their outputs.

    .venv/bin/python scripts/regenerate_notebooks.py            # every notebooks/NN-*.ipynb
    .venv/bin/python scripts/regenerate_notebooks.py 05 06      # only these (by number or path)

The committed outputs are nbval's oracle, so they must come from the same world nbval runs in:
the simulator `aura_nb.lab.start_test_simulator` gives (seed, speed; one port for the whole
run), with the notebooks run in order as one learner's journey, in a scratch working directory
with ``AURA_NB_HOME=.aura_nb`` so that paths read as the learner's do (``.aura_nb/vault/...``). Widget state is stripped (``metadata.widgets``), no timing metadata
is recorded, and a notebook whose outputs hold a secret the simulator issued (or anything shaped
like one) is not written. Outputs are saved exactly as the live run made them: the kit's errors
are one line because ``%load_ext aura_nb`` (each notebook's first cell) shows them so, live.
Review ``git diff notebooks/`` afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
sys.path.insert(0, str(REPO / "tests" / "notebooks"))

from notebook_secrets import scan_notebook, secret_values  # noqa: E402

CELL_TIMEOUT = 120  # seconds; the slowest cell waits for an instance at the simulator's speed


def notebook_paths(selection: list[str]) -> list[Path]:
    """The notebooks to run, in journey order (file name order); ``selection`` filters by
    number prefix (``05``) or path. Raises SystemExit naming a selection that matches nothing."""
    every = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    if not selection:
        return every
    chosen = []
    for item in selection:
        matches = [p for p in every if p.name.startswith(item) or p == Path(item).resolve()]
        if not matches:
            raise SystemExit(f"no notebook matches {item!r}; there are: "
                             + ", ".join(p.name for p in every))
        chosen.extend(m for m in matches if m not in chosen)
    return sorted(chosen)


def strip_widget_state(nb: nbformat.NotebookNode) -> None:
    """Remove saved widget state (model ids and values that change on every run)."""
    nb.metadata.pop("widgets", None)


def execute(path: Path, workdir: Path) -> nbformat.NotebookNode:
    """Run one notebook top to bottom in a fresh ``python3`` kernel whose working directory is
    ``workdir``; cells tagged ``raises-exception`` may raise, any other error stops with
    nbclient's CellExecutionError."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            record_timing=False, store_widget_state=False,
                            resources={"metadata": {"path": str(workdir)}})
    client.execute()
    strip_widget_state(nb)
    return nb


def main(argv: list[str] | None = None) -> int:
    """Regenerate the selected notebooks; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="numbers (05) or paths; default: all")
    args = parser.parse_args(argv)
    paths = notebook_paths(args.notebooks)

    from aura_nb.lab import start_test_simulator
    from aura_nb.simulator.remote import SimulatorAdmin

    # The kernels work in a scratch folder that looks like notebooks/ (its data/ linked in) and
    # keep AURA_NB_HOME as the relative ".aura_nb", so saved outputs show the vault as the
    # learner reads it, .aura_nb/vault/...; nbval's own temporary home is mapped to the same
    # words by the sanitize file.
    workdir = Path(tempfile.mkdtemp(prefix="aura_nb-notebooks-"))
    (workdir / "data").symlink_to(NOTEBOOKS / "data", target_is_directory=True)
    home = workdir / ".aura_nb"
    sim, env = start_test_simulator(home)
    env["AURA_NB_HOME"] = ".aura_nb"
    os.environ.pop("AURA_TENANT", None)
    os.environ.update(env)  # the kernels inherit it, as under nbval
    admin = SimulatorAdmin(sim.base_url)
    failed = 0
    try:
        for path in paths:
            started = time.monotonic()
            try:
                nb = execute(path, workdir)
            except Exception as exc:  # noqa: BLE001 - report and go on with the next notebook
                failed += 1
                detail = f"{getattr(exc, 'ename', '')}: {getattr(exc, 'evalue', '')}" \
                    if hasattr(exc, "ename") else str(exc).strip()
                print(f"FAILED  {path.name}: {type(exc).__name__}: {detail}")
                continue
            findings = scan_notebook(nb, path.name, secret_values(admin.issued_secrets()))
            if findings:
                failed += 1
                print(f"SECRET  {path.name} not written:", *findings, sep="\n  ")
                continue
            nbformat.write(nb, path)
            print(f"ok      {path.name} ({time.monotonic() - started:.1f} s)")
    finally:
        sim.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
