"""The instance status graph and the sent-actions log, without any I/O."""

from __future__ import annotations

import re

import pytest

from aura_nb.core.lifecycle import ACTIONS, SETTLED, SETTLES_TO, ActionLog, action_taken_effect, \
    can_reach

from tests.helpers.clock import ManualClock
from tests.helpers.needs import reference_file


@pytest.mark.parametrize("status, target, expected", [
    ("creating", "running", True), ("running", "running", True), ("resuming", "running", True),
    ("updating", "running", True), ("pausing", "paused", True), ("destroying", None, True),
    ("suspending", "suspended", True), ("loading", "running", True),
    ("loading failed", "running", False), ("destroying", "running", False),
    (None, "running", False), (None, None, True), ("paused", "running", False),
    ("pausing", "running", False), ("running", "paused", False), ("suspended", "running", False),
    ("running", None, False), ("some-new-state", "running", True),
])
def test_can_reach(status, target, expected):
    assert can_reach(status, target) is expected


@pytest.mark.parametrize("action, status, expected", [
    ("pause", "running", False), ("pause", "pausing", True), ("pause", "paused", True),
    ("pause", None, False), ("resume", "paused", False), ("resume", "resuming", True),
    ("resume", "running", True), ("resume", None, False), ("delete", "running", False),
    ("delete", "paused", False), ("delete", "destroying", True), ("delete", None, True),
])
def test_action_taken_effect(action, status, expected):
    assert action_taken_effect(action, status) is expected


def test_unknown_action_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="pause"):
        action_taken_effect("explode", "running")


def test_every_status_in_the_graph_is_an_api_status():
    """The graph names only the statuses the API documents ('deleted' is not one)."""
    line = next(row for row in reference_file("aura-api.md").read_text().splitlines()
                if row.startswith("| Instance `status`"))
    api = set(re.findall(r"`([a-z ]+)`", line.split("|")[2]))
    named = set(SETTLES_TO) | {s for s in SETTLES_TO.values() if s} | SETTLED
    named |= {a.in_flight for a in ACTIONS.values()} | {a.target for a in ACTIONS.values() if a.target}
    assert named <= api
    assert "deleted" not in named


def test_action_log_keeps_the_last_action_and_forgets_old_ones():
    clock = ManualClock(100.0)
    log = ActionLog(speed=10.0, clock=clock)
    assert log.last("i1") is None and log.recent("i1") is None
    log.note("i1", "pause", 5000.0)
    log.note("i1", "resume", 5010.0)
    assert log.last("i1") == ("resume", 5010.0)
    clock.now += 5.9  # 59 server seconds at speed 10
    assert log.recent("i1") == "resume"
    clock.now += 0.2
    assert log.recent("i1") is None
    assert log.recent("i1", within=10.0) == "resume"


def test_statuses_are_the_api_documented_ones_and_transitional_ones_settle():
    from aura_nb.core.lifecycle import STATUSES, SETTLES_TO, is_transitional

    assert len(STATUSES) == 13 and "loading failed" in STATUSES
    assert [s for s in sorted(STATUSES) if is_transitional(s)] == sorted(SETTLES_TO)
    assert not is_transitional(None) and not is_transitional("running")
    assert not is_transitional("some future status")
