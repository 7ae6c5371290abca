"""The shared pieces: one-line errors, callbacks that fail."""

from __future__ import annotations

from aura_nb.core.errors import Conflict
from aura_nb.widgets import TenantPicker
from aura_nb.widgets.base import error_line


def test_error_lines_are_single_lines_and_name_unexpected_errors():
    assert error_line(ValueError("first\n  second")) == "Unexpected ValueError: first second"
    assert error_line(KeyError()) == "Unexpected KeyError"
    kit_error = Conflict(409, "ongoing-database-operation", ["busy"], method="POST", path="/v1/x")
    assert error_line(kit_error) == str(kit_error) and not error_line(kit_error).startswith("Unexpected")
    assert len(error_line(RuntimeError("x" * 1000))) == 400


def test_a_failing_callback_is_reported_in_the_widget(wclient):
    picker = TenantPicker(wclient)

    def broken(tenant):
        raise RuntimeError("my callback broke")

    picker.on_submit(broken)
    picker.dropdown.label = "Workshop Project"
    assert picker.value.name == "Workshop Project"
    assert picker.status_text == "on_submit callback failed: Unexpected RuntimeError: my callback broke"
    picker.on_submit(broken, remove=True)
    picker.dropdown.label = "Learning Project"
    assert picker.status_text == "Using tenant 'Learning Project'."
