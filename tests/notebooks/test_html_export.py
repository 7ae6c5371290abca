"""nbconvert's HTML export (what ``jupyter nbconvert --to html`` writes) of each committed notebook
that holds widgets (not executed) shows each widget as it was: a form's fields with their chosen
values, the table's rows with their buttons.

nbconvert cannot draw a live widget (the notebooks keep no widget state), so what a reader of an
export, GitHub or nbviewer sees is the static ``text/html`` picture each widget adds to its
display (`aura_nb.widgets.static`). The expected fields and values are read from the pictures the
notebook holds, and cross-checked against the request body the form shows.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
# One worker exports each notebook once for every test here.
pytestmark = pytest.mark.xdist_group("html_export")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
FORM_FIELDS = ("Type", "Cloud", "Region", "Memory", "Version")
FIELD = re.compile(r"<b>(\w+)</b> <code>([^<]*)</code>")


def export(nb) -> str:
    """The HTML ``jupyter nbconvert --to html`` writes for ``nb``: its exporter, in this process
    (a ``jupyter`` child process per notebook and worker cost about 15 s each)."""
    from nbconvert import HTMLExporter

    return HTMLExporter().from_notebook_node(nb)[0]


def pictures(nb) -> list[tuple[str, str]]:
    """``(repr, static HTML)`` of every widget display the notebook holds."""
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                found.append((data.get("text/plain", ""), data.get("text/html", "")))
    return found


def holding(kind: str) -> list[str]:
    """The numbers of the committed notebooks that display a widget whose repr starts with
    ``kind`` (any widget for ``""``)."""
    return [path.name[:2] for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
            if any(text.startswith(kind) for text, _ in pictures(nbformat.read(path, as_version=4)))]


_exports: dict[str, tuple[str, list[tuple[str, str]], str]] = {}


def exported_notebook(number: str) -> tuple[str, list[tuple[str, str]], str]:
    """``(number, widget pictures, exported HTML)`` of a committed notebook, exported once."""
    if number not in _exports:
        nb = nbformat.read(next(NOTEBOOKS.glob(f"{number}-*.ipynb")), as_version=4)
        _exports[number] = (number, pictures(nb), export(nb))
    return _exports[number]


@pytest.fixture(params=holding(""))
def notebook(request):
    return exported_notebook(request.param)


@pytest.fixture(params=holding("CreateInstanceForm("))
def form_notebook(request):
    return exported_notebook(request.param)


def test_the_form_and_the_table_are_in_committed_notebooks():
    assert holding("CreateInstanceForm(") and "09" in holding("InstanceTable(")


def test_every_widget_is_drawn_not_named(notebook):
    _, shown, exported = notebook
    assert shown, "the notebook holds no widget display"
    for text, picture in shown:
        assert picture, f"{text} has no static picture"
        assert html.escape(text) not in exported, f"the export shows {text} as its repr"
        for label, value in FIELD.findall(picture):
            assert f"<b>{label}</b> <code>{value}</code>" in exported, (text, label)


def test_forms_show_their_fields_and_chosen_values(form_notebook):
    number, shown, exported = form_notebook
    forms = [picture for text, picture in shown if text.startswith("CreateInstanceForm(")]
    assert forms, f"{number} shows no CreateInstanceForm"
    for picture in forms:
        fields = dict(FIELD.findall(picture))
        assert all(fields.get(name) for name in FORM_FIELDS), fields
        assert "<button" in picture and "Create</button>" in picture
        body = re.search(r"<pre[^>]*>(.*?)</pre>", picture, re.S)
        if body:  # a named form shows the request it will send: the fields agree with it
            sent = json.loads(html.unescape(body.group(1)))
            assert (fields["Type"], fields["Cloud"], fields["Version"]) == \
                (sent["type"], sent["cloud_provider"], sent["version"])
            assert sent["region"] in fields["Region"] and fields["Memory"].startswith(sent["memory"])
            assert f"<code>{sent['name']}</code>" in exported


def test_the_tour_table_shows_a_row_with_its_buttons():
    _, shown, exported = exported_notebook("09")
    tables = [(text, picture) for text, picture in shown if text.startswith("InstanceTable(")]
    assert tables
    text, picture = tables[-1]  # the table as the tour leaves it
    assert int(re.search(r"instances=(\d+)", text).group(1)) >= 1, text
    for button in ("Pause", "Resume", "Delete…"):
        assert f"{button}</button>" in picture and f"{button}</button>" in exported
