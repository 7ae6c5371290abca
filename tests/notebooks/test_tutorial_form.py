"""tutorial.creation_form (notebook 03) delegates to the widget and keeps ipywidgets lazy."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

from aura_nb import tutorial
from aura_nb.widgets import CreateInstanceForm


def test_importing_tutorial_does_not_import_ipywidgets():
    code = ("import sys, aura_nb.tutorial; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ipywidgets', 'IPython')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_creation_form_is_the_watching_form(simulator, make_client, clean_env):
    client = make_client(simulator)
    tenant = tutorial.tenant(client)
    form = tutorial.creation_form(client, tenant, name="nb-form")
    assert isinstance(form, CreateInstanceForm)
    assert repr(form) == "CreateInstanceForm(tenant='Learning Project', state='ready')"
    assert form.choices["type"] == "professional-db"

    form.create_button.click()

    (status,) = form.watchers
    assert status.instance_id == form.value.id and status.state in ("waiting", "done")
    simulator.advance(200)
    assert status.join(10) and status.state == "done"


def test_creation_form_passes_presets_through(simulator, make_client, clean_env):
    client = make_client(simulator)
    tenant = tutorial.tenant(client)
    spec = tutorial.tutorial_spec(tenant, "nb-x", cloud_provider="aws", memory="2GB")
    form = tutorial.creation_form(client, tenant, "nb-x", choices=spec)
    assert form.spec() == dataclasses.replace(spec, storage=form.spec().storage)
    assert form.spec().storage == "4GB"  # the one storage offered with 2GB memory
