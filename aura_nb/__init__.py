"""aura_nb: learn and drive the Neo4j Aura API from notebooks.

``client = aura_nb.connect()`` gives a client for the configured Aura API, or for a local
simulator when no credentials are configured. See docs/DESIGN.md for the whole public API.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from .core.bolt import driver_options
from .core.client import AuraClient, ClientSettings
from .core.credentials import ClientCredentials, credentials_configured, resolve_credentials
from .core.display import ModelList
from .core.errors import (
    AmbiguousName,
    ApiError,
    AuraError,
    AuthenticationFailed,
    BadRequest,
    ConfigurationError,
    Conflict,
    CreateResponseLost,
    EarlierCreateUnresolved,
    CredentialsUnavailable,
    Forbidden,
    InstanceStatusUnreachable,
    InstanceWaitError,
    InstanceWaitTimeout,
    InvalidId,
    InvalidInstanceSpec,
    NameNotFound,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
    VaultEntryNotFound,
    VaultError,
    VaultUnwritable,
    VaultWriteFailed,
    WaitCancelled,
    WaitIncomplete,
)
from .core.history import Exchange, History
from .core.models import (
    CreatedInstance,
    Instance,
    InstanceConfiguration,
    InstanceSummary,
    Organization,
    Project,
    Snapshot,
    Tenant,
    TenantSummary,
)
from .core.rules import InstanceSpec, allowed_choices, complete_spec
from aura_nb.session import connect
from .core.vault import Vault, VaultEntry
from .core.waiting import WaitProgress
from .teaching import exercises, lesson, tutorial

# The notebooks import the teaching layer by its short names: aura_nb.lesson, aura_nb.tutorial and
# aura_nb.exercises stay the same modules as aura_nb.teaching.<name>.
sys.modules.update({f"{__name__}.{module.__name__.rsplit('.', 1)[1]}": module
                    for module in (exercises, lesson, tutorial)})

__version__ = "0.1.0"

# A library leaves logging output to the application; `logging.basicConfig(level="DEBUG")` shows
# every request line (never a secret).
logging.getLogger("aura_nb").addHandler(logging.NullHandler())

__all__ = [
    "connect",
    "driver_options",
    "AuraClient",
    "ClientSettings",
    "ClientCredentials",
    "resolve_credentials",
    "credentials_configured",
    "allowed_choices",
    "complete_spec",
    "TenantSummary",
    "Tenant",
    "Organization",
    "Project",
    "InstanceConfiguration",
    "InstanceSummary",
    "Instance",
    "CreatedInstance",
    "Snapshot",
    "InstanceSpec",
    "ModelList",
    "Vault",
    "VaultEntry",
    "Exchange",
    "History",
    "WaitProgress",
    "AuraError",
    "ConfigurationError",
    "CredentialsUnavailable",
    "AuthenticationFailed",
    "TransportError",
    "ApiError",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "NameNotFound",
    "Conflict",
    "RateLimited",
    "ServerError",
    "AmbiguousName",
    "CreateResponseLost",
    "EarlierCreateUnresolved",
    "InstanceWaitError",
    "InstanceWaitTimeout",
    "InstanceStatusUnreachable",
    "WaitCancelled",
    "WaitIncomplete",
    "InvalidInstanceSpec",
    "InvalidId",
    "VaultError",
    "VaultEntryNotFound",
    "VaultUnwritable",
    "VaultWriteFailed",
    "load_ipython_extension",
    "unload_ipython_extension",
]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext aura_nb``: register the ``%aura`` magics (imported only now, so the core
    never needs IPython)."""
    from . import magics

    magics.load_ipython_extension(ipython)
    lesson.install(ipython)  # each cell's exchanges under it; the kit's errors as one line


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext aura_nb``: remove what `load_ipython_extension` registered."""
    from . import magics

    magics.unload_ipython_extension(ipython)
    lesson.uninstall(ipython)
