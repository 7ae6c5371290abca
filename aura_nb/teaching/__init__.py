"""The notebook layer: what the teaching notebooks call beside the client.

- `lesson`: each cell's exchanges under it, and the kit's errors as one line;
- `tutorial`: the notebooks' helpers (find or create the tutorial instance, and so on);
- `exercises`: the graded exercises.

The notebooks import these by their short names (``from aura_nb import lesson``,
``from aura_nb.exercises import ex03``); ``aura_nb/__init__.py`` keeps those names.
"""
