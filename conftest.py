"""Test-session wiring for the notebooks (nbval).

nbval runs each notebook in its own kernel process, started after collection, which inherits this
process's environment; pytest fixtures never reach notebook cells. So when the session runs with
``--nbval``, one simulator is started here, before any kernel, and every ``AURA_*`` variable the
notebooks read is pointed at it (the same environment ``./dev lab`` gives JupyterLab). A
developer's real ``.env`` cannot take over: python-dotenv never overrides the environment.

Tests marked ``after_notebooks`` run after every notebook (the secret scan reads what the
notebooks' simulator issued; the displayed-exchanges test reads what each notebook's kernel sent,
logged by ``tests/notebooks/http_watch``). Under pytest-xdist (``--dist loadgroup``) the notebooks and those
tests form one group, run in order on one worker, and the slow journeys three lanes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_session: dict = {}
#: The slow journeys' lanes (``./dev test`` runs them on three workers, ``--dist loadgroup``):
#: Run All of every notebook in JupyterLab (about 125 s here); the account-kind journeys,
#: notebook 12's and the official CLI's (85 + 14 + 22 s); and the rest, any file not named here
#: (the other browser tests, ``./dev lab`` started for real, the hub and the learner's path:
#: about 21 + 17 + 7 + 30 + 20 s). They mostly wait on kernels, simulators and the browser, so
#: three lanes share two cores well. A file stays whole on one worker (module fixtures start
#: one Lab, one hub, one run of the notebooks).
LANES = {"test_run_all_notebooks_in_lab.py": "first", "test_account_kinds.py": "second",
         "test_notebook12.py": "second", "test_neo4j_cli.py": "second"}
#: Where Hypothesis keeps its caches: beside the other temporary files, not in the repository.
HYPOTHESIS_CACHE = str(Path(tempfile.gettempdir()) / "aura_nb-tests-hypothesis")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "after_notebooks: run after the notebooks (uses their simulator's world)")
    # What waits learn (durations.json) must not come from or go to the developer's home.
    _session["own_home"] = (os.environ.get("AURA_NB_HOME"),
                            tempfile.mkdtemp(prefix="aura_nb-tests-"))
    os.environ["AURA_NB_HOME"] = _session["own_home"][1]
    # Hypothesis (under schemathesis) writes what it computes once, its Unicode tables, to
    # ./.hypothesis unless told otherwise: keep them out of the tree but across runs (building
    # them again costs about 7 s). Its own setting; the workers inherit it.
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", HYPOTHESIS_CACHE)
    if not (getattr(config.option, "nbval", False) or getattr(config.option, "nbval_lax", False)):
        return
    from aura_nb.lab import start_test_simulator

    home = Path(tempfile.mkdtemp(prefix="aura_nb-notebooks-"))
    sim, env = start_test_simulator(home)
    _session.update(sim=sim, home=home, http_logs=home / "http",
                    saved={k: os.environ.get(k) for k in [*env, "AURA_TENANT", *HTTP_WATCH]})
    os.environ.pop("AURA_TENANT", None)
    os.environ.update(env)


#: The variables that make a notebook's kernel log what the kit sends (see ``http_watch``).
HTTP_WATCH = ("AURA_NB_TEST_HTTP_LOG", "PYTHONPATH")


@pytest.hookimpl(tryfirst=True)  # before nbval's file-level setup starts the notebook's kernel
def pytest_runtest_setup(item):
    if "http_logs" in _session and ".ipynb" in item.nodeid:
        _session["http_logs"].mkdir(exist_ok=True)
        os.environ["AURA_NB_TEST_HTTP_LOG"] = str(_session["http_logs"] / f"{item.path.stem}.jsonl")
        watch = str(Path(__file__).parent / "tests" / "notebooks" / "http_watch")
        if watch not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
            os.environ["PYTHONPATH"] = os.pathsep.join(
                filter(None, [watch, os.environ.get("PYTHONPATH")]))


def pytest_unconfigure(config):
    sim = _session.pop("sim", None)
    if sim is not None:
        sim.stop()
        _restore(_session.pop("saved"))
        shutil.rmtree(_session.pop("home"), ignore_errors=True)
    saved, home = _session.pop("own_home", (None, None))
    if home is not None:
        _restore({"AURA_NB_HOME": saved})
        shutil.rmtree(home, ignore_errors=True)


def _restore(saved: dict) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(session, config, items):
    for item in items:
        # The notebooks share one simulator's world and run in order (09 leaves what 10 lists),
        # and the secret scan reads what they left: on parallel workers they stay on one.
        if item.get_closest_marker("after_notebooks") or ".ipynb" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("notebooks"))
        elif item.get_closest_marker("slow"):
            lane = LANES.get(item.path.name, "third")
            item.add_marker(pytest.mark.xdist_group(f"journeys-{lane}-lane"))
    later = [item for item in items if item.get_closest_marker("after_notebooks")]
    if later:
        items[:] = [item for item in items if item not in later] + later


@pytest.fixture(scope="session")
def notebook_http_logs() -> Path:
    """The folder of what each notebook's kernel sent in this session, ``<notebook stem>.jsonl``
    (skips without ``--nbval``)."""
    if "http_logs" not in _session:
        pytest.skip("the notebooks did not run in this session (no --nbval)")
    return _session["http_logs"]


@pytest.fixture(scope="session")
def notebook_simulator():
    """The simulator the notebooks ran against in this session (skips without ``--nbval``)."""
    if "sim" not in _session:
        pytest.skip("the notebooks did not run in this session (no --nbval)")
    return _session["sim"]
