"""The instance table and the class table fit a notebook column at 1280 x 800 in JupyterLab.

A small notebook generated here (not a committed one) creates a few instances with long names,
provisions a three-attendee workshop, and shows an ``InstanceTable`` and a ``ClassTable``. With
JupyterLab's file browser open at 1280 x 800, every button of both tables must lie inside its
output area, and no output area may scroll sideways. Screenshots of each table go to
``artifacts/`` (look at them when changing the layout).
"""

from __future__ import annotations

import re

import nbformat
import pytest

pytestmark = pytest.mark.slow

CELLS = [
    "import aura_nb\n"
    "from aura_nb.core.models import complete_spec\n"
    "from aura_nb.widgets import ClassTable, InstanceTable\n"
    "from aura_nb.workshop import ClassSpec, Workshop\n"
    "client = aura_nb.connect()",
    "tenant = client.find_tenant('Learning Project')\n"
    "for name in ('nb-fit-a-rather-long-name-here', 'nb-fit-b', 'nb-fit-c'):\n"
    "    client.create_instance(complete_spec(tenant, name, type='professional-db'))",
    "table = InstanceTable(client, 'Learning Project')\ntable",
    "from pathlib import Path\n"
    "Path('roster.csv').write_text('Attendee,Email\\n'\n"
    "    'Maximiliane Quellenberg-Oyelaran,m@example.org\\nAda,a@example.org\\nGrace,g@example.org\\n')\n"
    "ws = Workshop(client, 'fit')\n"
    "report = ws.provision('roster.csv', ClassSpec(type='professional-db', cloud_provider='gcp',\n"
    "    region='europe-west1', memory='2GB'), tenant='Workshop Project', wait=False)",
    "ClassTable(ws)",
]

#: For each output area holding a widget: its box, and the boxes of the buttons inside it.
MEASURE = """() => [...document.querySelectorAll('.jp-OutputArea-output')]
  .filter(area => area.querySelector('.widget-button'))
  .map(area => {
    const box = area.getBoundingClientRect();
    return {
      area: {left: box.left, right: box.right, scroll: area.scrollWidth, client: area.clientWidth},
      buttons: [...area.querySelectorAll('.widget-button')].map(button => {
        const b = button.getBoundingClientRect();
        return {label: button.title || button.textContent.trim(), left: b.left, right: b.right,
                width: b.width};
      }),
    };
  })"""


def write_notebook(path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, path)
    return path


def test_tables_fit_at_1280_with_the_file_browser_open(lab, chromium, artifacts, tmp_path):
    from playwright.sync_api import expect

    url, _ = lab(write_notebook(tmp_path / "tables-fit.ipynb"))
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    page.goto(url)
    expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible()
    browser_panel = page.locator("#filebrowser")
    if not browser_panel.is_visible():
        page.locator('.lm-TabBar-tab[data-id="filebrowser"]').click()
    expect(browser_panel).to_be_visible()
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
    expect(page.locator(".widget-button[title='Pause']").first).to_be_attached()
    expect(page.get_by_text(re.compile(r"3 attendees: "))).to_be_attached()
    expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible()

    grid = page.locator(".widget-gridbox").first
    grid.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "browser-instance-table-1280.png"))
    page.get_by_text(re.compile(r"3 attendees: ")).scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "browser-class-table-1280.png"))

    areas = page.evaluate(MEASURE)
    assert len(areas) == 2, areas  # the instance table and the class table
    labels = [button["label"] for area in areas for button in area["buttons"]]
    assert labels.count("Pause") == 3 and "Pause all" in labels
    for area in areas:
        box = area["area"]
        assert box["right"] <= 1280 and box["scroll"] <= box["client"], box  # no sideways scroll
        for button in area["buttons"]:
            if button["width"] == 0:  # hidden (the delete confirmation)
                continue
            assert box["left"] <= button["left"] and button["right"] <= box["right"], (button, box)
