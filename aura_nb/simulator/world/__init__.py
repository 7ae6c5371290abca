"""The simulated world: every resource the service keeps, as one :class:`World` behind one lock.

Every public method takes the caller's *role* (``"primary"`` for the simulator's configured client,
``"other"`` for the second account) so that each client sees only its own tenants, and raises
:class:`~aura_nb.simulator.errors.ApiError` with the service's status, reason and message when a
request cannot be carried out. Methods return plain dicts shaped like the API's ``data``.

Module map: :mod:`.core` (lock, clock, seeded ids, transitions, persistence, tokens),
:mod:`.tenants`, :mod:`.instances`, :mod:`.snapshots`, :mod:`.keys` (customer-managed keys),
:mod:`.sessions` (graph-analytics sessions), :mod:`.validation` (request-body checks and the
sizing estimates), and for v2beta1 :mod:`.organizations` (organizations, projects),
:mod:`.projectinstances` (instances under a project) and :mod:`.databases` (databases, backups);
:mod:`.connections` answers the Bolt endpoint (which instance a host name means, its login).
"""

from __future__ import annotations

from .connections import ConnectionOps
from .core import STATE_FORMAT, WorldCore
from .databases import Database, DatabaseOps
from .instances import Instance, InstanceOps
from .keys import CustomerManagedKey, KeyOps
from .organizations import OrganizationOps
from .projectinstances import ProjectInstanceOps
from .sessions import Session, SessionOps
from .snapshots import Snapshot, SnapshotOps
from .tenants import Tenant, TenantOps
from .validation import instance_sizing, session_sizing


class World(TenantOps, InstanceOps, SnapshotOps, KeyOps, SessionOps, OrganizationOps,
            ProjectInstanceOps, DatabaseOps, ConnectionOps):
    """Everything the simulated service knows, behind one lock.

    ``World(seed, clock, durations)`` builds the seeded world: the tenants of
    :data:`~aura_nb.simulator.catalog.SEEDED_TENANTS` with ids drawn from ``random.Random(seed)``.
    Public methods take the lock themselves; ``lock`` is re-entrant so a caller may hold it around
    several calls.
    """


__all__ = ["STATE_FORMAT", "CustomerManagedKey", "Database", "Instance", "Session", "Snapshot", "Tenant",
           "World", "WorldCore", "instance_sizing", "session_sizing"]
