"""``%load_ext aura_nb`` / ``%unload_ext aura_nb``: register and remove ``%aura``."""

from __future__ import annotations

from typing import Any

from aura_nb.core.errors import AuraError, error_line
from .magic import AuraMagics

__all__ = ["load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%aura`` and its tab completion on ``ipython`` and print, in one line, which
    API it talks to (connecting with `aura_nb.connect()`). A connection problem is printed as one
    line and retried on the next ``%aura`` call; the magic is registered either way."""
    unload_ipython_extension(ipython)
    magics = AuraMagics(ipython)
    ipython.register_magics(magics)
    ipython.Completer.custom_matchers.append(magics.matcher)
    try:
        describe = magics.client.describe()
    except AuraError as exc:
        print(f"%aura is ready, but could not connect yet ({error_line(exc, named=True)}); "
              "fix the settings and run %aura connect")
    else:
        print(f"{describe.rstrip('.')}; %aura help lists the commands.")


def unload_ipython_extension(ipython: Any) -> None:
    """Remove ``%aura`` and its tab completion from ``ipython`` (nothing happens if absent)."""
    manager = ipython.magics_manager
    magics = manager.registry.pop(AuraMagics.__name__, None)
    if magics is None:
        return
    line_table = manager.magics["line"]
    bound = line_table.get("aura")
    if getattr(bound, "__self__", None) is magics:
        del line_table["aura"]
    matchers = ipython.Completer.custom_matchers
    matchers[:] = [m for m in matchers if getattr(m, "__self__", None) is not magics]

