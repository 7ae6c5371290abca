"""Waiting for instances and snapshots to reach a status, on schedules learned from history.

* `single`: one instance (`wait_for_instance`) or one snapshot (`wait_for_snapshot`);
* `fleet`: many instances under one request budget (`wait_for_instances`);
* `plan`: when to poll one operation, from what history says (pure arithmetic);
* `learning`: how long each kind of operation took before, per API (`DurationStore`);
* `common`: the client seam (`WaitClient`), progress events, verdicts shared by all.

The instance status graph itself lives in `aura_nb.core.lifecycle`.
"""

from .common import DEFAULT_POLL_INTERVAL, WaitClient, WaitProgress
from .fleet import wait_for_instances
from .learning import DurationStore
from .single import wait_for_instance, wait_for_snapshot

__all__ = [
    "WaitProgress",
    "WaitClient",
    "DurationStore",
    "wait_for_instance",
    "wait_for_instances",
    "wait_for_snapshot",
    "DEFAULT_POLL_INTERVAL",
]
