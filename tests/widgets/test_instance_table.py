"""InstanceTable: rows and their cost, refresh, pause/resume, guarded delete, errors."""

from __future__ import annotations

import ipywidgets as widgets
import pytest

from aura_nb.widgets import InstanceTable

from tests.helpers.clock import wait_until
from tests.helpers.specs import learning_spec

DETAIL = "GET /v1/instances/{instanceId}"


def row_cells(table, instance_id):
    """The texts of the row showing ``instance_id`` by column name, and its buttons by tooltip."""
    actions = table.action_buttons(instance_id)
    return table.row_texts(instance_id), {b.tooltip.rstrip("\u2026"): b for b in actions}


@pytest.fixture
def two_running(wclient, sim):
    first = wclient.create_instance(learning_spec(wclient, "table-one"))
    second = wclient.create_instance(learning_spec(wclient, "table-two"))
    sim.advance(200)
    return first, second


def detail_requests(sim):
    return sim.stats_snapshot()["requests"].get(DETAIL, 0)


def test_rows_show_status_type_memory_region_and_age_at_one_get_each(wclient, sim, two_running):
    before = detail_requests(sim)
    shown = []
    table = InstanceTable(wclient, "Learning Project")
    table.on_submit(shown.append)
    assert detail_requests(sim) - before == 2  # the list has no status: one GET per row

    first, second = two_running
    assert [row.name for row in table.value] == ["table-one", "table-two"]
    texts, buttons = row_cells(table, first.id)
    detail = wclient.get_instance(first.id)
    assert texts["Status"] == "running" and texts["Type"] == detail.type
    assert texts["Memory"] == detail.memory and texts["Region"] == detail.region
    assert texts["Age"].endswith(("s", "min")) and texts["Age"] != "0 s"
    assert not buttons["Pause"].disabled and buttons["Resume"].disabled
    assert repr(table) == "InstanceTable(tenant='Learning Project', instances=2, state='ready')"
    table.refresh_button.click()
    assert table.join(30)  # Refresh works in a background thread
    assert len(shown) == 1 and shown[0] == table.value


def test_detail_requests_are_bounded(wclient, sim, two_running):
    before = detail_requests(sim)
    table = InstanceTable(wclient, "Learning Project", max_details=1)
    assert detail_requests(sim) - before == 1
    assert "first 1 only" in table.status_text
    texts, buttons = row_cells(table, two_running[1].id)
    assert texts["Status"] == "\u2026" and buttons["Pause"].disabled


def test_pause_then_resume_from_the_row_buttons(wclient, sim, two_running):
    first, _ = two_running
    table = InstanceTable(wclient, "Learning Project")

    row_cells(table, first.id)[1]["Pause"].click()

    assert row_cells(table, first.id)[0]["Status"] == "pausing"
    assert sim.world.instances[first.id].status == "pausing"
    assert "Pause accepted" in table.status_text
    sim.advance(60)
    table.refresh()
    texts, buttons = row_cells(table, first.id)
    assert texts["Status"] == "paused" and buttons["Pause"].disabled and not buttons["Resume"].disabled

    buttons["Resume"].click()
    assert row_cells(table, first.id)[0]["Status"] == "resuming"


def test_delete_needs_the_exact_name_typed(wclient, sim, two_running):
    first, second = two_running
    table = InstanceTable(wclient, "Learning Project")
    row_cells(table, first.id)[1]["Delete"].click()
    assert table.confirm_box.layout.display is None and "table-one" in table.confirm_prompt.value
    assert table.confirm_button.disabled

    table.confirm_text.value = "table-one "  # close is not enough
    assert table.confirm_button.disabled
    table.confirm_button.click()  # even a forced click sends nothing
    assert sim.world.instances[first.id].status == "running"
    assert "exactly" in table.status_text

    table.confirm_text.value = "table-one"
    assert not table.confirm_button.disabled
    table.confirm_button.click()

    assert sim.world.instances[first.id].status == "destroying"
    assert sim.world.instances[second.id].status == "running"
    texts, buttons = row_cells(table, first.id)
    assert texts["Status"] == "destroying" and buttons["Delete"].disabled
    assert table.confirm_box.layout.display == "none" and table.confirm_text.value == ""


def test_keep_it_cancels_the_delete(wclient, sim, two_running):
    first, _ = two_running
    table = InstanceTable(wclient, "Learning Project")
    table.ask_delete(first.id)
    table.confirm_text.value = "table-one"
    table.keep_button.click()
    assert table.confirm_box.layout.display == "none" and "Nothing deleted" in table.status_text
    assert sim.world.instances[first.id].status == "running"


def test_refused_action_is_one_line_and_rows_stay(wclient, sim):
    created = wclient.create_instance(learning_spec(wclient, "still-creating"))
    table = InstanceTable(wclient, "Learning Project")
    assert row_cells(table, created.id)[0]["Status"] == "creating"
    table.pause(created.id)  # the button is disabled; the API refuses too
    assert table.state == "error" and table.status_text[:3] in {"400", "409"}
    assert "\n" not in table.status_text
    assert row_cells(table, created.id)[0]["Status"] == "creating"


def test_refresh_failure_keeps_the_previous_rows(wclient, sim, two_running):
    table = InstanceTable(wclient, "Learning Project")
    sim.set_faults(error_rate=1.0)
    table.refresh()
    assert table.state == "error" and len(table.value) == 2
    assert table.status_text.split()[0] in {"500", "502", "503", "504"}
    sim.set_faults(error_rate=0.0)
    assert len(table.refresh()) == 2 and table.state == "ready"


def test_replaced_row_widgets_are_closed(wclient, two_running):
    table = InstanceTable(wclient, "Learning Project")
    old = list(table.grid.children)
    table.refresh()
    assert all(cell.comm is None for cell in old if isinstance(cell, widgets.Widget))
    assert all(cell.comm is not None for cell in table.grid.children)


def test_action_buttons_are_compact_and_text_cells_wrap(wclient, two_running):
    table = InstanceTable(wclient, "Learning Project")
    for row in table.value:
        actions = table.action_buttons(row.id)
        assert [b.tooltip for b in actions] == ["Pause", "Resume", "Delete\u2026"]
        assert all(b.description == "" and b.layout.width == "2.6em" for b in actions)
    assert table.grid.layout.width == "100%"
    assert "overflow-wrap:anywhere" in table.grid.children[len(table.grid.children) - 2].value


def test_a_slow_refresh_counts_its_calls_and_can_be_cancelled(wclient, sim, two_running):
    table = InstanceTable(wclient, "Learning Project")
    before = table.value
    seen = []
    table.on_submit(seen.append)
    sim.set_faults(latency=0.3)

    table.refresh_button.click()
    wait_until(lambda: "of 2" in table.status_text)
    assert "Loading instances\u2026" in table.status_text and "of 2" in table.status_text
    assert table.state == "working" and table.cancel_button.layout.display is None
    table.cancel_button.click()
    assert table.join(30)
    sim.set_faults(latency=0.0)

    assert "Refresh cancelled" in table.status_text and table.state == "ready"
    assert table.value == before and seen == []
    assert table.cancel_button.layout.display == "none" and not table.refresh_button.disabled
