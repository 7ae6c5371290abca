"""The notebook layer: what the teaching notebooks call beside the client.

- `lesson`: each cell's exchanges under it (the kit's and the learner's own), and the kit's
  errors as one line;
- `capture`: the learner's own ``requests`` traffic, seen at ``HTTPAdapter.send``;
- `tutorial`: the notebooks' helpers (find or create the tutorial instance, and so on);
- `exercises`: the graded exercises (the path's run the learner's functions on a sandbox, then
  on the learner's own ``nb-tutorial``).

The notebooks import these by their short names (``from aura_nb import lesson``,
``from aura_nb.exercises import ex03``); ``aura_nb/__init__.py`` keeps those names.
"""
