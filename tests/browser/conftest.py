"""JupyterLab on loopback with its kernels pointed at a fresh simulator, for the browser tests.

``lab(notebook)`` (a factory fixture) copies ``notebook`` (a path; committed notebooks are
never touched) into a scratch folder, starts the simulator and JupyterLab there with the
environment ``./dev lab`` gives kernels, and returns ``(url, workdir)``; everything is stopped
after the test. Given a folder instead (``notebooks/``), it copies the folder's notebooks and
data and the URL opens JupyterLab on that folder, as ``./dev lab`` does. ``chromium`` is a
launched headless Debian Chromium (Playwright), closed afterwards; the test is skipped, with the
reason, when ``/usr/bin/chromium`` is missing (``./dev test`` installs it). ``artifacts`` is the
git-ignored folder for screenshots.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO / "artifacts"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The folder screenshots go to (``artifacts/`` at the repository root, git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def chromium():
    """A headless Chromium launched through Playwright; skipped when none is installed."""
    with launched_chromium() as browser:
        yield browser


@contextlib.contextmanager
def launched_chromium():
    """The `chromium` fixture's browser, for fixtures of a wider scope."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (./dev test does) to run "
                    "the real-browser tests")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)  # a kernel takes 5-6 s to start, Run All longer
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """``lab(notebook, settings=None)``: JupyterLab serving a copy of ``notebook`` (a file, or a
    folder of notebooks), its kernels pointed at a fresh simulator; returns ``(url, workdir)``.
    ``settings`` as in `running_lab`. Stops Lab and the simulator afterwards."""
    with contextlib.ExitStack() as stack:
        yield lambda notebook, settings=None: stack.enter_context(
            running_lab(tmp_path, notebook, settings))


@pytest.fixture(scope="module")
def module_lab(tmp_path_factory):
    """The `lab` factory for a whole test module (one JupyterLab that its tests share)."""
    with contextlib.ExitStack() as stack:
        yield lambda notebook, settings=None: stack.enter_context(
            running_lab(tmp_path_factory.mktemp("lab"), notebook, settings))


@pytest.fixture(scope="module")
def module_chromium():
    """The `chromium` browser for a whole test module."""
    with launched_chromium() as browser:
        yield browser


@contextlib.contextmanager
def running_lab(tmp_path: Path, notebook: Path, settings: dict | None = None):
    """The `lab` fixture's JupyterLab (scratch files under ``tmp_path``), for fixtures of a wider
    scope: yields ``(url, workdir)``. ``settings`` adds JupyterLab user settings, as
    ``{"@jupyterlab/notebook-extension/tracker": {...}}``."""
    from aura_nb.lab import start_test_simulator

    url, work, proc, sim, log = _start(tmp_path, notebook, start_test_simulator, settings or {})
    try:
        yield url, work
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        sim.stop()


def _start(tmp_path: Path, notebook: Path, start_test_simulator, settings: dict):
    home, work, scratch = tmp_path / "home", tmp_path / "work", tmp_path / "jupyter"
    if notebook.is_dir():
        shutil.copytree(notebook, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    else:
        work.mkdir()
        shutil.copy(notebook, work / notebook.name)
    settings_dir = scratch / "settings"
    settings = {"@jupyterlab/apputils-extension/notification":
                {"fetchNews": "false", "checkForUpdates": False}, **settings}
    for plugin, values in settings.items():
        file = settings_dir / f"{plugin}.jupyterlab-settings"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(values))

    sim, sim_env = start_test_simulator(home)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURA_")}
    env.update(sim_env)
    env.update(JUPYTER_CONFIG_DIR=str(scratch / "config"), JUPYTER_RUNTIME_DIR=str(scratch / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(settings_dir),
               JUPYTERLAB_WORKSPACES_DIR=str(scratch / "workspaces"), JUPYTER_PLATFORM_DIRS="1")
    port, token = _free_port(), secrets.token_hex(16)
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
         "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}"],
        env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{base}/api/status", params={"token": token}, timeout=1).ok:
                break
        except requests.ConnectionError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            sim.stop()
            pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-2000:])
        time.sleep(0.2)
    opened = "" if notebook.is_dir() else f"/tree/{notebook.name}"
    return f"{base}/lab{opened}?token={token}", work, proc, sim, log


