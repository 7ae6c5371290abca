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


#: the class the ``workshop`` fixture (tests/workshop/conftest.py) provisions
CLASS = ("wk", 3)


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
    cells = table.table.value
    assert cells.count("<tr>") == 4 and "Zoë Núñez" in cells and "wk-attendee-00" in cells
    assert table.row_texts("Attendee 00")["Instance"] == "wk-attendee-00"
    assert all(re.fullmatch(r"\d+ (s|min \d\d s)", row.age_text) for row in table.value)
    seen = []
    table.on_submit(seen.append)

    table.pause_button.click()
    assert table.join(10)
    assert table.status_text == "pause: 3 sent, 0 already there" and table.state == "ready"
    assert {row.status for row in table.value} == {"pausing"}
    sim.advance(60)
    table.refresh_button.click()
    assert table.join(10)
    assert {row.status for row in table.value} == {"paused"} and len(seen) == 2
    table.resume_button.click()
    assert table.join(10)
    assert table.status_text == "resume: 3 sent, 0 already there"
    sim.advance(120)
    table.refresh()
    assert {i.status for i in prefixed(sim, "wk")} == {"running"}
    assert not any(b.disabled for b in (table.refresh_button, table.pause_button, table.resume_button))


def test_progress_counts_each_attendee_while_the_work_runs(sim, workshop):
    table = ClassTable(workshop)
    steps = []
    table.progress.observe(lambda change: steps.append((round(change["new"], 2), table.status_text)),
                           names="value")
    table.pause_button.click()
    assert table.join(10)
    assert [fraction for fraction, _ in steps] == [0.33, 0.67, 1.0, 0.0]  # 0.0: reset at the end
    assert steps[0][1].startswith("Pausing every instance\u2026 1 of 3 done: 1 sent (Cancel stops")
    assert steps[2][1].startswith("Pausing every instance\u2026 3 of 3 done: 3 sent")
    assert table.progress.layout.display == "none" and table.cancel_button.layout.display == "none"


def _hold_after_first(workshop, status):
    """Block the worker that first records ``status`` in the manifest until ``release`` is set."""
    import threading

    reached, release = threading.Event(), threading.Event()

    def hold(record):
        if record.status == status and not reached.is_set():
            reached.set()
            assert release.wait(10)

    workshop.manifest.on_change(hold)
    return reached, release


@pytest.mark.parametrize("action", ["pause", "teardown"])
def test_cancel_stops_before_the_next_attendee_and_reports_what_was_sent(sim, workshop_client, home, roster_file, action):
    workshop = Workshop(workshop_client, "wk", retry_delay=0.05, concurrency=1)  # one attendee at a time
    workshop.provision(roster_file(3), SPEC, wait=False)
    sim.advance(200)
    table = ClassTable(workshop)
    reached, release = _hold_after_first(workshop, "pausing" if action == "pause" else "deleted")
    if action == "pause":
        table.pause_button.click()
    else:
        table.teardown_button.click()
        assert table.join(10) and table.state == "confirm"
        table.confirm_text.value = "wk"
        table.confirm_button.click()
    assert reached.wait(10)  # the first request is sent; the click has returned meanwhile
    assert table.state == "working" and table.pause_button.disabled and table.teardown_button.disabled
    assert table.cancel_button.layout.display != "none" and table.progress.layout.display != "none"
    table.cancel_button.click()
    release.set()
    assert table.join(10)

    request = "POST /v1/instances/{instanceId}/pause" if action == "pause" else "DELETE /v1/instances/{instanceId}"
    assert requests_made(sim)[request] == 1
    first, *rest = [row.attendee for row in table.value]
    assert table.state == "cancelled"
    assert f"Not sent: {', '.join(rest)}; run it again" in table.status_text
    summary = "pause: 1 sent, 0 already there, 2 not sent (cancelled)" if action == "pause" \
        else "deleted 1, already gone 0, not sent 2 (cancelled)"
    assert table.status_text.startswith(summary)
    assert table.row_texts(first)["Status"] == ("pausing" if action == "pause" else "deleted")
    assert [table.row_texts(a)["Status"] for a in rest] == ["running", "running"]
    assert table.cancel_button.layout.display == "none" and not table.pause_button.disabled


def test_rows_follow_a_teardown_run_outside_the_table(sim, workshop):
    table = ClassTable(workshop)
    assert {table.row_texts(row.attendee)["Status"] for row in table.value} == {"running"}
    workshop.teardown(yes=True)
    assert {table.row_texts(row.attendee)["Status"] for row in table.value} == {"deleted"}
    assert "running" not in table.static_html() and table.static_html().count(">deleted<") == 3


@pytest.mark.parametrize("action", ["pause", "resume"])
def test_a_bulk_action_on_a_torn_down_class_says_there_is_nothing_to_do(sim, workshop, action):
    workshop.teardown(yes=True)
    table = ClassTable(workshop, load=False)
    sent = sum(requests_made(sim).values())
    getattr(table, f"{action}_button").click()
    assert table.join(10) and table.state == "ready"
    assert table.status_text == f"{action}: nothing to {action}: no attendee has an instance"
    assert "aura-nb-info" in table.static_html()  # said plainly, not ticked off as done
    assert sum(requests_made(sim).values()) == sent


def test_teardown_needs_the_prefix_typed(sim, workshop):
    table = ClassTable(workshop, load=False)
    table.teardown_button.click()
    assert table.join(10)
    assert table.state == "confirm" and table.confirm_box.layout.display == "flex"
    assert "would delete 3 instances" in table.status_text and table.confirm_button.disabled
    table.confirm_text.value = "wk-wrong"
    assert table.confirm_button.disabled and table.start("teardown") is None
    assert table.confirm_teardown("nope") is None and "nothing was deleted" in table.status_text
    table.keep_button.click()
    assert table.confirm_box.layout.display == "none"
    assert "DELETE /v1/instances/{instanceId}" not in requests_made(sim)

    table.teardown_button.click()
    assert table.join(10)
    table.confirm_text.value = "wk"
    assert not table.confirm_button.disabled
    table.confirm_button.click()
    assert table.join(10)
    assert table.state == "done" and table.status_text.startswith("deleted 3")
    assert table.confirm_button.disabled and table.confirm_box.layout.display == "none"
    assert {row.status for row in table.value} == {"deleted"}
    assert requests_made(sim)["DELETE /v1/instances/{instanceId}"] == 3


def test_errors_show_as_one_line_and_keep_the_rows(sim, workshop):
    table = ClassTable(workshop)
    sim.set_faults(error_rate=1.0)
    table.refresh_button.click()
    assert table.join(30)
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
