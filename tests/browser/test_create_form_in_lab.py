"""The creation form in a real browser: JupyterLab on loopback, headless Debian Chromium via Playwright.

The form left notebook 03 for the kit's notebooks (issue 18: the newcomer's path holds the API, the
kit's widgets come after it), so this test writes a small notebook of its own that shows the form
as a learner would (``CreateInstanceForm(client, tenant, watch=True)``). It runs it with Run All,
fills the creation form with a fresh instance name, clicks Create, and waits until the status view below the form
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

CELLS = ["%load_ext aura_nb",
         "import aura_nb\nfrom aura_nb.widgets import CreateInstanceForm\n\nclient = aura_nb.connect()",
         'CreateInstanceForm(client, client.find_tenant("Learning Project"), watch=True)']


def form_notebook(folder: Path) -> Path:
    """A notebook whose last cell shows the creation form with a status view below it."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    path = folder / "create-form.ipynb"
    nbformat.write(nb, path)
    return path

pytestmark = pytest.mark.slow


def test_form_creates_an_instance_and_its_status_reaches_running(lab, chromium, artifacts, tmp_path):
    from playwright.sync_api import expect

    notebook = form_notebook(tmp_path)
    url, work = lab(notebook)
    committed = notebook.read_bytes()
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
        page.screenshot(path=str(artifacts / "browser-create-form.png"), full_page=True)
    assert notebook.read_bytes() == committed  # the lab ran a copy
