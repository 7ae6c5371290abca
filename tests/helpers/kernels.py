"""Running a whole notebook in a fresh kernel, as the journey and notebook tests do.

The kernel talks over Unix sockets in a folder of its own (jupyter_client's ``ipc`` transport),
not over TCP: with TCP, jupyter_client picks free ports, lets them go and the kernel binds them
a moment later, so kernels started at once by parallel tests could take the same port ("Address
already in use", "Kernel died before replying to kernel_info").
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, Mapping

from jupyter_client.manager import KernelManager
from nbclient import NotebookClient


def execute_notebook(nb: Any, cwd: Path, env: Mapping[str, str] | None = None, *,
                     timeout: float = 120, allow_errors: bool = True) -> Any:
    """Run every cell of ``nb`` (an nbformat notebook, changed in place) in a new ``python3``
    kernel working in ``cwd``, with ``env`` as its environment (default: this process's)."""
    sockets = tempfile.mkdtemp(prefix="aura_nb-kernel-")  # short: a socket path has ~100 bytes
    manager = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "k"))
    options = {} if env is None else {"env": dict(env)}
    try:
        return NotebookClient(nb, km=manager, timeout=timeout, allow_errors=allow_errors,
                              resources={"metadata": {"path": str(cwd)}}).execute(**options)
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
