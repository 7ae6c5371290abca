"""The ClassTable widget, driven headless as an instructor would."""

from __future__ import annotations

import json
import re

import ipywidgets as widgets
import pytest

from aura_nb.widgets.classroom import ClassTable
from aura_nb.workshop import Workshop

from tests.helpers.simulator import prefixed, requests_made
from tests.helpers.workshop import SPEC


@pytest.fixture
def workshop(sim, workshop_client, home, roster_file):
    ws = Workshop(workshop_client, "wk", retry_delay=0.05)
    ws.provision(roster_file(3), SPEC, wait=False)
    sim.advance(200)  # creation done
    return ws


def _states(widget):
    """The saved state of a widget and all its children (what a notebook would store)."""
    yield widget.get_state()
    for child in getattr(widget, "children", ()):
        if isinstance(child, widgets.Widget):
            yield from _states(child)


def test_shows_the_class_and_pauses_and_resumes_it(sim, workshop):
    table = ClassTable(workshop)
    assert repr(table) == "ClassTable(prefix='wk', attendees=3, state='ready')"
    assert [row.attendee for row in table.value] == ["Zoë Núñez", "Zoe Nunez", "Attendee 00"]
    assert table.status_text == "3 attendees: 3 running"
    cells = table.table_html.value
    assert cells.count("<tr>") == 4 and "Zoë Núñez" in cells and "wk-attendee-00" in cells
    assert all(re.fullmatch(r"\d+ (s|min \d\d s)", row.age_text) for row in table.value)
    seen = []
    table.on_submit(seen.append)

    table.pause_button.click()
    assert table.status_text == "pause: 3 sent, 0 already there" and table.state == "ready"
    assert {row.status for row in table.value} == {"pausing"}
    sim.advance(60)
    table.refresh_button.click()
    assert {row.status for row in table.value} == {"paused"} and len(seen) == 2
    table.resume_button.click()
    assert table.status_text == "resume: 3 sent, 0 already there"
    sim.advance(120)
    table.refresh()
    assert {i.status for i in prefixed(sim, "wk")} == {"running"}
    assert not any(b.disabled for b in (table.refresh_button, table.pause_button, table.resume_button))


def test_teardown_needs_the_prefix_typed(sim, workshop):
    table = ClassTable(workshop, load=False)
    table.teardown_button.click()
    assert table.state == "confirm" and table.confirm_box.layout.display == "flex"
    assert "would delete 3 instances" in table.status_text and table.confirm_button.disabled
    table.confirm_text.value = "wk-wrong"
    assert table.confirm_button.disabled
    assert table.confirm_teardown("nope") is None and "nothing was deleted" in table.status_text
    table.keep_button.click()
    assert table.confirm_box.layout.display == "none"
    assert "DELETE /v1/instances/{instanceId}" not in requests_made(sim)

    table.teardown_button.click()
    table.confirm_text.value = "wk"
    assert not table.confirm_button.disabled
    table.confirm_button.click()
    assert table.state == "done" and table.status_text.startswith("deleted 3")
    assert table.confirm_button.disabled and table.confirm_box.layout.display == "none"
    assert {row.status for row in table.value} == {"deleted"}
    assert requests_made(sim)["DELETE /v1/instances/{instanceId}"] == 3


def test_errors_show_as_one_line_and_keep_the_rows(sim, workshop):
    table = ClassTable(workshop)
    sim.set_faults(error_rate=1.0)
    table.refresh_button.click()
    assert table.state == "error" and "Simulated server error" in table.status_text
    assert "\n" not in table.status_text and "Traceback" not in table.status_text
    assert len(table.value) == 3 and not table.refresh_button.disabled


def test_no_secret_in_repr_or_widget_state(sim, workshop):
    table = ClassTable(workshop)
    table.ask_teardown()
    saved = repr(table) + json.dumps(list(_states(table)), default=str)
    found = sim.issued_secrets()
    secrets = found["passwords"] + found["access_tokens"] + found["client_secrets"]
    assert len(found["passwords"]) == 3
    assert not [s for s in secrets if s in saved]
