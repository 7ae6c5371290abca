"""Fixtures for the headless widget tests (the simulator/client ones come from tests/conftest.py).

``widget_states(*roots)``
    The JSON of every widget state a notebook could save: each root's own tree (children,
    layout and style resolved through their ``IPY_MODEL_`` references, as a front-end would)
    and every widget alive in the kernel (JupyterLab's "save widget state" saves them all).
``assert_no_secrets(sim, *roots, texts=())``
    Fails when any secret value the simulator knows (client secrets, issued tokens, instance
    passwords) appears in the roots' reprs and status lines, in any widget state, in ``texts``,
    or in what the test printed or logged so far.
``wclient``
    The shared ``client`` fixture with the environment cleaned (no ``AURA_*``, empty cwd).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable

import ipywidgets as widgets
import pytest


def _tree_states(root: widgets.Widget) -> list[dict[str, Any]]:
    """States of ``root`` and of every widget its traits hold (children, layout, style...)."""
    seen: set[int] = set()
    states: list[dict[str, Any]] = []
    todo: list[widgets.Widget] = [root]
    while todo:
        widget = todo.pop()
        if id(widget) in seen:
            continue
        seen.add(id(widget))
        states.append(widget.get_state())
        for key in widget.keys:
            value = getattr(widget, key, None)
            for item in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(item, widgets.Widget):
                    todo.append(item)
    return states


@pytest.fixture
def widget_states() -> Callable[..., str]:
    """``widget_states(*roots)``: one JSON text with every saveable widget state (see module doc)."""

    def collect(*roots: widgets.Widget) -> str:
        states = [state for root in roots for state in _tree_states(root)]
        saved = widgets.Widget.get_manager_state()["state"]  # what "save widget state" saves
        states += [entry["state"] for entry in saved.values()]
        return json.dumps(states, default=str)

    return collect


@pytest.fixture
def assert_no_secrets(simulator_secrets, widget_states, capfd, caplog) -> Callable[..., None]:
    """``assert_no_secrets(sim, *roots, texts=())``: no secret anywhere a learner could see."""
    caplog.set_level(logging.DEBUG)

    def check(sim: Any, *roots: widgets.Widget, texts: tuple[str, ...] = ()) -> None:
        secrets = simulator_secrets(sim)
        assert secrets, "the simulator reported no secrets: the scan would prove nothing"
        out, err = capfd.readouterr()
        places = {
            "repr": " ".join(repr(root) for root in roots),
            "status": " ".join(getattr(root, "status_text", "") for root in roots),
            "widget state": widget_states(*roots),
            "stdout/stderr": out + err,
            "log": "\n".join(record.getMessage() for record in caplog.records),
            "texts": "\n".join(texts),
        }
        for where, text in places.items():
            leaked = [s for s in secrets if s in text]
            assert not leaked, f"{len(leaked)} secret value(s) found in {where}"

    return check


@pytest.fixture
def wclient(clean_env, client):
    """The shared simulator client, with no ``AURA_*`` variables and an empty working folder."""
    return client
