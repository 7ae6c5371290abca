"""aura_nb: learn and drive the Neo4j Aura API from notebooks.

``client = aura_nb.connect()`` gives a client for the configured Aura API, or for a local
simulator when no credentials are configured. See docs/DESIGN.md for the whole public API.
"""

from __future__ import annotations

import logging
from typing import Any

from .client import AuraClient
from .credentials import ClientCredentials, credentials_configured, resolve_credentials
from .display import ModelList
from .errors import (
    AmbiguousName,
    ApiError,
    AuraError,
    AuthenticationFailed,
    BadRequest,
    ConfigurationError,
    Conflict,
    CreateResponseLost,
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
from .history import Exchange, History
from .models import (
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
from .rules import InstanceSpec, allowed_choices, complete_spec
from .session import connect
from .vault import Vault, VaultEntry
from .waiting import WaitProgress

__version__ = "0.1.0"

# A library leaves logging output to the application; `logging.basicConfig(level="DEBUG")` shows
# every request line (never a secret).
logging.getLogger("aura_nb").addHandler(logging.NullHandler())

__all__ = [
    "connect",
    "AuraClient",
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
    from . import lesson, magics

    magics.load_ipython_extension(ipython)
    lesson.install(ipython)  # each cell's exchanges under it; the kit's errors as one line


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext aura_nb``: remove what `load_ipython_extension` registered."""
    from . import lesson, magics

    magics.unload_ipython_extension(ipython)
    lesson.uninstall(ipython)
