"""Real-mode notebook journeys against a simulator: quick operations, already learned.

In real mode (``AURA_NB_MODE=real``) the kit assumes the real service's pace: a create it has
never seen stays quiet for its first half minute. A journey test therefore runs a simulator in
real time with every operation taking 1 to 2 seconds (`QUICK`) and gives each kernel's
``AURA_NB_HOME`` those durations as already observed (`seed_learned_durations`).
"""

from __future__ import annotations

import time
from pathlib import Path

from aura_nb.waiting import DurationStore

#: Real mode: every lifecycle operation takes 1 to 2 seconds of real time.
QUICK = {kind: (1, 2) for kind in ("creating", "pausing", "resuming", "updating", "overwriting",
                                   "restoring", "destroying", "snapshot")}
#: The operations whose durations the kit learns.
LEARNED = ("create", "pause", "resume", "delete", "resize", "overwrite", "restore", "snapshot")


def seed_learned_durations(base_url: str, home: Path) -> None:
    """Write QUICK's durations, seen three times, into ``home/durations.json`` for ``base_url``."""
    home.mkdir(parents=True, exist_ok=True)
    store = DurationStore(base_url, home / "durations.json")
    for operation in LEARNED:
        store.record(operation, [QUICK["creating"]] * 3, time.time())
