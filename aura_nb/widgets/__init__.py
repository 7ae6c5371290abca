"""ipywidgets forms over the aura_nb client: credentials, tenant, create, status, instances.

Typical chain in a notebook::

    creds = CredentialsForm()                 # Connect -> creds.client
    picker = TenantPicker(); creds.on_submit(picker.set_client)
    form = CreateInstanceForm(client, tenant, choices={"memory": "2GB"}, watch=True)
                                              # or picker.on_submit(form.set_tenant)
    InstanceStatus(client, form.value.id).start()   # what watch=True does after each create
    InstanceTable(client, tenant)

Every form is a ``VBox`` with ``value``, ``submit()`` and ``on_submit(callback)``, shows its
outcome (errors included) on its own status line, and keeps secrets out of widget state.
"""

from .create import CreateInstanceForm
from .credentials import CredentialsForm
from .status import InstanceStatus
from .table import InstanceTable
from .tenant import TenantPicker

__all__ = [
    "ClassTable",
    "CreateInstanceForm",
    "CredentialsForm",
    "InstanceStatus",
    "InstanceTable",
    "TenantPicker",
]


def __getattr__(name: str):
    """Import the workshop's ``ClassTable`` (aura_nb/widgets/classroom.py) only when asked for."""
    if name == "ClassTable":
        from .classroom import ClassTable

        return ClassTable
    raise AttributeError(f"module 'aura_nb.widgets' has no attribute {name!r}")
