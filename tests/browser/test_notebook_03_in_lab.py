"""Notebook 03 in a real browser: JupyterLab on loopback, headless Debian Chromium via Playwright.

Runs a copy of the notebook (the committed one is never touched) with Run All, fills the creation
form with a fresh instance name, clicks Create, and waits until the status view below the form
says the new instance is running. Its kernel talks to an in-process simulator started here,
through the same environment ``./dev lab`` gives JupyterLab. A screenshot goes to
``artifacts/`` (git-ignored).

Skipped, with the reason, only when ``/usr/bin/chromium`` is missing (``./dev test`` installs it).
"""

from __future__ import annotations

import json
import os
import re
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
NOTEBOOK = "03-create-instance.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO / "artifacts"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(),
                                 reason=f"{CHROMIUM} is missing: install Debian's chromium "
                                        "(./dev test does) to run the real-browser test")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """JupyterLab serving a copy of notebook 03, its kernels pointed at a fresh simulator.
    Yields ``(url, workdir)``; stops Lab and the simulator afterwards."""
    from aura_nb.lab import start_test_simulator

    home, work, scratch = tmp_path / "home", tmp_path / "work", tmp_path / "jupyter"
    work.mkdir()
    shutil.copy(REPO / "notebooks" / NOTEBOOK, work / NOTEBOOK)
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
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/api/status", params={"token": token}, timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-2000:])
            time.sleep(0.2)
        yield f"{base}/lab/tree/{NOTEBOOK}?token={token}", work
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        sim.stop()


def test_form_creates_an_instance_and_its_status_reaches_running(lab):
    from playwright.sync_api import expect, sync_playwright

    url, work = lab
    committed = (REPO / "notebooks" / NOTEBOOK).read_bytes()
    name = f"nb-browser-{secrets.token_hex(3)}"
    expect.set_options(timeout=60_000)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 2000})
        try:
            page.goto(url)
            expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible()
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()

            name_box = page.locator(".widget-text input").first  # the form's first field: the name
            expect(name_box).to_be_visible()
            expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible()
            name_box.fill(name)
            create = page.locator(".widget-button", has_text="Create")
            expect(create).to_be_enabled()
            create.click()

            expect(page.get_by_text(re.compile(rf"Created '{name}'"))).to_be_visible()
            expect(page.get_by_text(re.compile(rf"'{name}' \(\w+\) is running"))).to_be_visible()
        finally:
            page.screenshot(path=str(ARTIFACTS / "browser-03-create-instance.png"), full_page=True)
            browser.close()
    assert (REPO / "notebooks" / NOTEBOOK).read_bytes() == committed
