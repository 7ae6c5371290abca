"""Fixtures for the ``%aura`` magic tests: an IPython shell with the extension loaded against an
in-process simulator, selected through the environment exactly as a notebook kernel would be.

``aura`` runs magic lines and records everything they print and return; after each test it
searches that record for every secret the simulator issued (client secrets, access tokens,
instance passwords) so no test can leak one unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from aura_nb.lab import simulator_environment

TENANT = "Learning Project"


@dataclass
class Outcome:
    """What one cell did: its value (``None`` on error), stdout, stderr and the exception."""

    value: Any
    out: str
    err: str
    error: BaseException | None

    @property
    def error_line(self) -> str:
        """The single stderr line of a failed magic (asserts it is one line, no traceback)."""
        assert self.error is not None, f"expected an error, got {self.value!r}"
        assert "Traceback" not in self.err and "Traceback" not in self.out
        lines = [line for line in self.err.splitlines() if line.strip()]
        assert len(lines) == 1, self.err
        assert lines[0].startswith("UsageError: ")
        return lines[0]


@dataclass
class AuraRunner:
    """Runs cells in ``shell`` and keeps every text they produced, for the secret scan."""

    shell: InteractiveShell
    capsys: pytest.CaptureFixture
    sim: Any
    seen: list[str] = field(default_factory=list)

    def run(self, cell: str) -> Outcome:
        """Run one cell (``%aura ...`` or Python) and return its `Outcome`."""
        self.capsys.readouterr()
        result = self.shell.run_cell(cell, store_history=False)
        out, err = self.capsys.readouterr()
        value = result.result
        self.seen += [out, err, repr(value), str(value)]
        html = getattr(value, "_repr_html_", None)
        if callable(html):
            self.seen.append(html())
        for item in value if isinstance(value, list) else ():
            self.seen += [repr(item), str(item)]
        error = result.error_in_exec or result.error_before_exec
        return Outcome(value, out, err, error)

    def ok(self, cell: str) -> Any:
        """Run a cell that must succeed; returns its value."""
        outcome = self.run(cell)
        assert outcome.error is None, outcome.err
        return outcome.value

    def fails(self, cell: str) -> str:
        """Run a cell that must fail with one ``UsageError`` line; returns that line."""
        return self.run(cell).error_line


@pytest.fixture(scope="session")
def shell() -> InteractiveShell:
    """The process's IPython shell (the extension is loaded and unloaded per test)."""
    return InteractiveShell.instance()


@pytest.fixture
def aura_sim(fast_sim):
    """The simulator the shell's environment points at: ``fast_sim`` (speed ``FAST``, no rate
    limit), so a create is running after about 0.15 s of polling. A module that needs another
    one overrides this fixture (test_magics_real_time.py)."""
    return fast_sim


@pytest.fixture
def aura_env(aura_sim, clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The environment a notebook kernel gets from ``./dev lab`` for ``aura_sim``, with
    ``AURA_TENANT`` set and client-side pacing off. Returns the AURA_NB_HOME folder."""
    home = tmp_path / "home"
    for name, value in simulator_environment(aura_sim.base_url, aura_sim.client_id,
                                             aura_sim.client_secret, home).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AURA_TENANT", TENANT)
    monkeypatch.setenv("AURA_RATE_LIMIT", "0")
    return home


@pytest.fixture
def aura(shell, aura_sim, aura_env, capsys, simulator_secrets) -> AuraRunner:
    """``%load_ext aura_nb`` done (its output is in ``runner.loaded``); unloaded afterwards,
    then every recorded output is searched for the simulator's secrets."""
    runner = AuraRunner(shell, capsys, aura_sim)
    runner.loaded = runner.run("%load_ext aura_nb")  # type: ignore[attr-defined]
    assert runner.loaded.error is None, runner.loaded.err  # type: ignore[attr-defined]
    yield runner
    runner.run("%unload_ext aura_nb")
    secrets = simulator_secrets(aura_sim)
    assert secrets, "the simulator reported no secrets to search for"
    text = "\n".join(runner.seen)
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"{len(leaked)} secret value(s) reached the output"


@pytest.fixture
def running(aura) -> Any:
    """A professional-db instance named ``prod-db`` that is running (its `Instance`)."""
    aura.ok("%aura create prod-db --type professional-db --cloud gcp --region europe-west1 "
            "--memory 2GB")
    return aura.ok("%aura wait prod-db")
