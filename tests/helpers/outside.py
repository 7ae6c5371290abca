"""Helpers for the outside-client tests: skip-or-fail when a client is missing, a simulator process.

``./dev test`` installs them; when one is missing the test is skipped locally but FAILS under
``CI=true``, so a broken install cannot pass as green.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.helpers.needs import missing


def unavailable(what: str, how: str) -> None:
    """Skip (or fail when ``CI=true``) because an outside client is not installed."""
    missing(f"{what} is not installed ({how})")


class SimulatorProcess:
    """``python -m aura_nb.simulator`` in a child process; ``base_url`` once it listens."""

    def __init__(self, *args: str):
        self._folder = tempfile.TemporaryDirectory(prefix="aura_nb-outside-")
        self.token_file = Path(self._folder.name) / "admin.token"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aura_nb.simulator", "--port", "0",
             "--admin-token-file", str(self.token_file), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        if not found:
            self.stop()
            raise RuntimeError(f"the simulator did not start: {line!r}")
        self.base_url = found.group(0)

    def admin(self):
        """A `SimulatorAdmin` for this process, with the admin token from the 0600 file the
        process wrote (its own folder: another test's ``AURA_NB_HOME`` does not matter)."""
        from aura_nb.simulator.remote import SimulatorAdmin
        return SimulatorAdmin(self.base_url, token=self.token_file.read_text().strip())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()
        self._folder.cleanup()

