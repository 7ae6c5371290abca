"""Notebook 03 in a real browser: JupyterLab on loopback, headless Debian Chromium via Playwright.

Runs a copy of the notebook (the committed one is never touched) with Run All, fills the creation
form with a fresh instance name, clicks Create, and waits until the status view below the form
says the new instance is running. Its kernel talks to an in-process simulator started here,
through the same environment ``./dev lab`` gives JupyterLab. A screenshot goes to
``artifacts/`` (git-ignored).

Skipped, with the reason, only when ``/usr/bin/chromium`` is missing (``./dev test`` installs it).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = "03-create-instance.ipynb"

pytestmark = pytest.mark.slow


def test_form_creates_an_instance_and_its_status_reaches_running(lab, chromium, artifacts):
    from playwright.sync_api import expect

    url, work = lab(REPO / "notebooks" / NOTEBOOK)
    committed = (REPO / "notebooks" / NOTEBOOK).read_bytes()
    name = f"nb-browser-{secrets.token_hex(3)}"
    page = chromium.new_page(viewport={"width": 1280, "height": 2000})
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
        page.screenshot(path=str(artifacts / "browser-03-create-instance.png"), full_page=True)
    assert (REPO / "notebooks" / NOTEBOOK).read_bytes() == committed
