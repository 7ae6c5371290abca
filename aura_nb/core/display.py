"""Notebook display helpers: HTML tables for models, the masks for secrets, durations.

Every value that may come from the server goes through ``html.escape``. Nothing here imports
IPython or ipywidgets: Jupyter picks up ``_repr_html_`` by itself.
"""

from __future__ import annotations

import dataclasses
import html
from typing import Any, Iterable, Sequence

__all__ = ["MASKED", "REDACTED", "mask", "duration_text", "table", "record", "ModelList", "fields_of"]

#: What every secret (client secret, access token, instance password) is shown as to a person:
#: in a form, a repr, a model's table (`mask`).
MASKED = "••••••••"
#: What a secret is replaced by in a recorded exchange (JSON bodies, headers, ``curl``) or in a
#: quoted text: a word, so the JSON and the command stay readable (`aura_nb.core.history.redact`).
REDACTED = "<redacted>"


def mask(value: str | None) -> str:
    """The kit's one mask for a secret (client secret, access token, password): a fixed-width
    `MASKED`, or ``""`` when there is none (never reveals the length). A client id is not a
    secret and is shown as it is."""
    return MASKED if value else ""


def duration_text(seconds: float) -> str:
    """A duration for people: ``45 s``, ``3 min 05 s``, ``2 h 04 min``, ``3 days``. Negative
    durations count as 0 (pass ``abs()`` for "ago"); fractions are dropped."""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    if whole < 2 * 86400:
        return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
    return f"{whole // 86400} days"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return html.escape(", ".join(str(v) for v in value))
    return html.escape(str(value))


def fields_of(item: Any) -> list[str]:
    """The names a model shows in tables: its ``_display_fields`` if it has them, else every
    dataclass field that is part of its repr."""
    names = getattr(item, "_display_fields", None)
    if names:
        return list(names)
    if dataclasses.is_dataclass(item):
        return [f.name for f in dataclasses.fields(item) if f.repr]
    return []


def _value(item: Any, name: str) -> Any:
    display_value = getattr(item, "_display_value", None)
    if display_value is not None:
        return display_value(name)
    return getattr(item, name, None)


def table(items: Iterable[Any], columns: Sequence[str] | None = None, caption: str = "") -> str:
    """One HTML table with a row per item and a column per field (from the first item, or
    ``columns``). Values are escaped; an empty list renders as a short note."""
    rows = list(items)
    if not rows:
        return f"<p><em>{html.escape(caption or 'no items')}: none</em></p>" if caption else \
            "<p><em>(none)</em></p>"
    names = list(columns) if columns else fields_of(rows[0])
    out = ['<table class="aura-nb">']
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{html.escape(n)}</th>" for n in names) + "</tr></thead>")
    out.append("<tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{_cell(_value(row, n))}</td>" for n in names) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def record(item: Any, title: str = "") -> str:
    """A two-column HTML table (field, value) for one model; values are escaped."""
    names = fields_of(item)
    out = ['<table class="aura-nb">']
    if title:
        out.append(f"<caption>{html.escape(title)}</caption>")
    for name in names:
        out.append(f"<tr><th style=\"text-align:left\">{html.escape(name)}</th>"
                   f"<td style=\"text-align:left\">{_cell(_value(item, name))}</td></tr>")
    out.append("</table>")
    return "".join(out)


class ModelList(list):
    """A plain ``list`` of models that a notebook shows as one HTML table.

    ``caption`` (optional) titles the table. Everything else behaves like ``list``."""

    caption: str = ""

    def __init__(self, items: Iterable[Any] = (), caption: str = "") -> None:
        super().__init__(items)
        self.caption = caption

    def _repr_html_(self) -> str:
        return table(self, caption=self.caption)
