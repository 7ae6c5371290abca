"""What a test needs from outside the repository: when it is missing, the test is skipped here
and FAILS under ``CI=true`` (CI has everything), so a broken set-up cannot pass as green."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def missing(message: str) -> None:
    """Skip with ``message``, or fail with it when ``CI=true``."""
    __tracebackhide__ = True  # the report names the test's line, not this one
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; CI needs it", pytrace=False)
    pytest.skip(message)


def reference_dir() -> Path:
    """The published API documents: ``$AURA_REFERENCE_DIR``, else ``shared/reference`` in the
    folder that holds the repository (not part of it)."""
    return Path(os.environ.get("AURA_REFERENCE_DIR")
                or Path(__file__).resolve().parents[3] / "shared" / "reference")


def reference_file(name: str) -> Path:
    """The path of the reference document ``name``; `missing` when it is absent."""
    __tracebackhide__ = True
    path = reference_dir() / name
    if not path.is_file():
        missing(f"the published reference {name} is not here ({path}; set $AURA_REFERENCE_DIR)")
    return path
