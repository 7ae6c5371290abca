"""IPython extension: one-line answers about Aura projects with the ``%aura`` line magic.

``%load_ext aura_nb`` registers ``%aura`` (and says in one line which API it talks to);
``%unload_ext aura_nb`` removes it and its tab completion again. ``%aura help`` lists the
sub-commands::

    %aura tenants
    x = %aura instances --tenant "Learning Project"
    %aura instance my-db
    %aura create demo --type free-db
    %aura delete demo --yes

Results are the core's model objects (they display as HTML tables and can be assigned); bad
input and API errors are shown as one ``UsageError`` line, never a traceback. Instance and tenant
names are accepted wherever an id is. This package only parses, calls `aura_nb.AuraClient` and
prints: every HTTP call, validation and secret handling happens in the core.

Layout: `hooks` (``%load_ext``/``%unload_ext``), `commands` (the command table and its
parsers), `magic` (`AuraMagics`, one method per sub-command), `completion` (tab completion),
`results` (`ConnectionInfo`, `HttpLog`).
"""

from .hooks import load_ipython_extension, unload_ipython_extension
from .magic import AuraMagics
from .results import ConnectionInfo, HttpLog

__all__ = ["AuraMagics", "ConnectionInfo", "HttpLog", "load_ipython_extension",
           "unload_ipython_extension"]
