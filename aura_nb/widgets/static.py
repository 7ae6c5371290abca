"""A static HTML picture of a widget tree, for readers without a kernel (nbconvert, GitHub).

`static_html(widget)` walks the children a form shows and renders each as plain HTML: a text
field as its label and value, a dropdown as its label and chosen option, a checkbox as a ticked
or empty box, a button as a disabled button, an ``HTML``/``Label`` as its content, a progress bar
as ``<progress>``, a ``GridBox`` as a grid with the same columns. Hidden parts
(``layout.display == "none"``) are left out. A ``Password``, and any widget a form names as
secret-bearing, is drawn as the kit's mask, never with its value.
The forms add this picture to their display bundle as ``text/html`` (see ``Form``), next to
ipywidgets' live view: JupyterLab shows the live widget, an export shows this.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from aura_nb.core.display import MASKED, mask

__all__ = ["static_html"]

_BOX = "display:flex;gap:6px;flex-wrap:wrap;align-items:baseline"


def static_html(widget: widgets.Widget, secret: tuple[widgets.Widget, ...] = ()) -> str:
    """Return a self-contained HTML rendering of ``widget`` and its visible children; the
    widgets in ``secret`` (one that may hold a revealed password) are drawn as a mask."""
    body = _render(widget, tuple(id(w) for w in secret))
    return f'<div class="aura-nb-static" style="font-family:sans-serif;font-size:13px">{body}</div>'


def _hidden(widget: widgets.Widget) -> bool:
    layout = getattr(widget, "layout", None)
    return getattr(layout, "display", None) == "none"


def _label(widget: widgets.Widget) -> str:
    text = getattr(widget, "description", "") or ""
    return f"<b>{html.escape(text)}</b> " if text else ""


def _render(widget: widgets.Widget, secret: tuple[int, ...]) -> str:  # noqa: C901 - per kind
    if _hidden(widget):
        return ""
    if id(widget) in secret:
        return f"<code>{MASKED}</code>"
    if isinstance(widget, widgets.GridBox):
        columns = getattr(widget.layout, "grid_template_columns", None) or "auto"
        cells = "".join(f"<div>{_render(child, secret)}</div>" for child in widget.children)
        return (f'<div style="display:grid;grid-template-columns:{html.escape(columns)};'
                f'gap:2px 8px">{cells}</div>')
    if isinstance(widget, widgets.HBox):
        parts = "".join(f"<span>{_render(c, secret)}</span>" for c in widget.children if not _hidden(c))
        return f'<div style="{_BOX}">{parts}</div>'
    if isinstance(widget, widgets.Box):  # VBox and the forms themselves
        return "".join(f"<div>{_render(c, secret)}</div>" for c in widget.children if not _hidden(c))
    if isinstance(widget, widgets.Password):
        shown = mask(widget.value)
        return f"{_label(widget)}<code>{shown}</code>"
    if isinstance(widget, widgets.Checkbox):
        mark = "\u2611" if widget.value else "\u2610"
        return f"{mark} {html.escape(widget.description or '')}"
    if isinstance(widget, (widgets.Text, widgets.Textarea)):
        value = widget.value or ""
        shown = f"<code>{html.escape(value)}</code>" if value else \
            f"<i>{html.escape(widget.placeholder or '')}</i>"
        return f"{_label(widget)}{shown}"
    if isinstance(widget, widgets.Dropdown):
        chosen = widget.label if widget.value is not None else "(nothing chosen)"
        return f"{_label(widget)}<code>{html.escape(str(chosen))}</code>"
    if isinstance(widget, widgets.Button):
        disabled = " disabled" if widget.disabled else ""
        text = widget.description or widget.tooltip or widget.icon or ""
        return f"<button{disabled}>{html.escape(text)}</button>"
    if isinstance(widget, widgets.HTML):
        return widget.value  # the forms escape every server value they put there
    if isinstance(widget, widgets.Label):
        return html.escape(widget.value)
    if isinstance(widget, widgets.FloatProgress):
        return (f"{_label(widget)}<progress value='{widget.value:g}' max='{widget.max:g}'>"
                f"</progress>")
    value: Any = getattr(widget, "value", "")
    return html.escape(str(value)) if value not in (None, "") else ""
