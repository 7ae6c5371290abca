"""JupyterLab on loopback with its kernels pointed at a fresh simulator, for the browser tests.

``lab(notebook)`` (a factory fixture) copies ``notebook`` (a path; committed notebooks are
never touched) into a scratch folder, starts the simulator and JupyterLab there with the
environment ``./dev lab`` gives kernels, and returns ``(url, workdir)``; everything is stopped
after the test. ``chromium`` is a launched headless Debian Chromium (Playwright), closed
afterwards; the test is skipped, with the reason, when ``/usr/bin/chromium`` is missing
(``./dev test`` installs it). ``artifacts`` is the git-ignored folder for screenshots.
"""

from __future__ import annotations

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


@pytest.fixture
def artifacts() -> Path:
    """The folder screenshots go to (``artifacts/`` at the repository root, git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def chromium():
    """A headless Chromium launched through Playwright; skipped when none is installed."""
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
    """``lab(notebook)``: JupyterLab serving a copy of ``notebook``, its kernels pointed at a
    fresh simulator; returns ``(url, workdir)``. Stops Lab and the simulator afterwards."""
    from aura_nb.lab import start_test_simulator

    started = []

    def start(notebook: Path) -> tuple[str, Path]:
        url, work, proc, sim, log = _start(tmp_path, notebook, start_test_simulator)
        started.append((proc, sim, log))
        return url, work

    yield start
    for proc, sim, log in started:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        sim.stop()


def _start(tmp_path: Path, notebook: Path, start_test_simulator):
    home, work, scratch = tmp_path / "home", tmp_path / "work", tmp_path / "jupyter"
    work.mkdir()
    shutil.copy(notebook, work / notebook.name)
    settings = scratch / "settings"
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))

    sim, sim_env = start_test_simulator(home)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURA_")}
    env.update(sim_env)
    env.update(JUPYTER_CONFIG_DIR=str(scratch / "config"), JUPYTER_RUNTIME_DIR=str(scratch / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(settings),
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
    return f"{base}/lab/tree/{notebook.name}?token={token}", work, proc, sim, log


