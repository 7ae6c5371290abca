"""Workshop mode: one Aura instance per attendee, from roster to teardown.

```python
import aura_nb
from aura_nb.workshop import Workshop, ClassSpec, Guardrails, read_roster

client = aura_nb.connect()
ws = Workshop(client, "gds-0612")
report = ws.provision("roster.csv", ClassSpec(type="professional-db", memory="2GB"),
                      guardrails=Guardrails(max_instances=40))
ws.pause_all(); ws.resume_all(); ws.status(); ws.reset("Ada Lovelace")
ws.teardown()            # dry run: what would be deleted, plus orphans
ws.teardown(yes=True)    # delete exactly the manifest's instances
```

Terminal: ``python -m aura_nb.workshop provision|status|pause|resume|reset|handouts|teardown``.
The core here knows nothing of widgets; ``aura_nb.widgets.classroom.ClassTable`` is the view.
"""

from .handouts import Handouts
from .manifest import DELETED, FAILED, PLANNED, UNKNOWN, AttendeeRecord, Manifest, ManifestError, workshop_dir
from .operations import Workshop
from .provisioning import LOST_PASSWORD_NOTE, PAUSED_NOTE
from .reports import BulkReport, Interrupted, ProvisionReport, StatusRow, TeardownReport, WorkshopEvent
from .retry import GaveUp, OutcomeUnknown
from .spec import ClassSpec, Guardrails, GuardrailViolation, TenantNotChosen, WorkshopError
from .roster import Attendee, RosterError, instance_names, parse_roster, read_roster, slugify

__all__ = [
    "Attendee",
    "AttendeeRecord",
    "BulkReport",
    "ClassSpec",
    "DELETED",
    "FAILED",
    "GaveUp",
    "Guardrails",
    "GuardrailViolation",
    "Handouts",
    "Interrupted",
    "LOST_PASSWORD_NOTE",
    "PAUSED_NOTE",
    "Manifest",
    "ManifestError",
    "OutcomeUnknown",
    "PLANNED",
    "ProvisionReport",
    "RosterError",
    "StatusRow",
    "TeardownReport",
    "TenantNotChosen",
    "UNKNOWN",
    "Workshop",
    "WorkshopError",
    "WorkshopEvent",
    "instance_names",
    "parse_roster",
    "read_roster",
    "slugify",
    "workshop_dir",
]
