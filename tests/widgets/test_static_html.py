"""Forms read without a kernel: an exported notebook shows each form's static HTML picture."""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat

from aura_nb.lab import simulator_environment
from aura_nb.widgets import CreateInstanceForm, TenantPicker

CELLS = [
    "import aura_nb\nfrom aura_nb.widgets import CreateInstanceForm\nclient = aura_nb.connect()",
    'form = CreateInstanceForm(client, "Learning Project", name="nb-static",\n'
    '                          choices={"type": "professional-db", "memory": "2GB"})\nform',
]


def test_bundle_adds_html_of_the_current_state(wclient):
    form = CreateInstanceForm(wclient, "Learning Project", name="bundle-me",
                              choices={"memory": "4GB"})
    bundle = form._repr_mimebundle_()
    assert bundle["text/plain"] == repr(form)
    assert "application/vnd.jupyter.widget-view+json" in bundle
    page = bundle["text/html"]
    assert "bundle-me" in page and "4GB" in page and "POST /v1/instances" in page
    assert "Learning Project" in page and "<button" in page
    form.choose(memory="8GB")
    assert "8GB" in form._repr_mimebundle_()["text/html"]


def test_hidden_parts_and_escaping(wclient):
    picker = TenantPicker(wclient, tenant="Learning Project")
    page = picker.static_html()
    assert "<b>Tenant</b> <code>Learning Project</code>" in page and "configurations" in page
    form = CreateInstanceForm(wclient, "Learning Project", name="<b>x</b>")
    page = form.static_html()
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    assert "Reveal password" not in page  # the result box is hidden before a create


def test_nbconvert_html_export_shows_the_form(sim, tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    path = tmp_path / "static.ipynb"
    nbformat.write(notebook, path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURA_")}
    env.update(simulator_environment(sim.base_url, sim.client_id,
                                     sim.client_secret, tmp_path / "home"))
    done = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--execute",
         "--ExecutePreprocessor.store_widget_state=False", "--ExecutePreprocessor.timeout=300",
         "--ExecutePreprocessor.startup_timeout=300", str(path)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    page = (tmp_path / "static.html").read_text()
    assert 'class="aura-nb-static"' in page
    for shown in ("nb-static", "professional-db", "2GB", "POST /v1/instances", "Create"):
        assert shown in page, shown
